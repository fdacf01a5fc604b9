/// One resolution's working memory: the interned event graph, and (when explaining) what
/// happened to each event checked for each key.
struct Resolver {
    typealias Node = EventGraph.Node

    let version: RoomVersion
    var graph: EventGraph
    let explaining: Bool
    /// Per state key, the events checked for it, in the order they were checked.
    private(set) var trail: [StateKey: [(node: Node, phase: ResolutionPhase, rejection: String?)]] = [:]

    init(version: RoomVersion, events: some StateResolutionEvents, explaining: Bool = false) {
        self.version = version
        graph = EventGraph(source: events, version: version)
        self.explaining = explaining
    }

    /// Resolves with the algorithm of the room version.
    mutating func resolve(_ sets: [StateMap]) throws(StateResolutionError) -> (state: StateMap, conflictedKeys: [StateKey]) {
        switch version.stateResolution {
        case .v1: try resolveV1(sets)
        case .v2, .v2_1: try resolveV2(sets)
        }
    }

    mutating func record(_ key: StateKey, _ n: Node, _ phase: ResolutionPhase, rejection: String?) {
        guard explaining else { return }
        trail[key, default: []].append((n, phase, rejection))
    }

    /// Interned state back to event IDs.
    func stateMap(_ state: [StateKey: Node]) -> StateMap {
        state.mapValues { graph.id($0) }
    }
}
