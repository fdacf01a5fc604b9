/// Why a resolution could not run: an event it needs is unknown.
public struct StateResolutionError: Error, Equatable, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// How the winner of one conflicted state key was decided (`apus state resolve --explain`).
public struct ResolutionStep: Sendable, Equatable {
    public let key: StateKey
    public let candidates: [String]
    public let winner: String?
    public let decidedBy: String
    /// Candidates the auth rules rejected, with why.
    public let rejected: [String: String]
}

/// State resolution (spec: room v1 "State resolution", `fragments/v2-state-res.md`, v12 v2.1):
/// merges the states of several forks of a room into one, the same way on every server.
public enum StateResolution {
    /// Looks events up by ID; the store can serve them lazily.
    public typealias Events = (String) -> PDU?

    public static func resolve(_ stateSets: [StateMap], version: RoomVersion, events: @escaping Events) throws(StateResolutionError) -> StateMap {
        try resolveExplained(stateSets, version: version, events: events).state
    }

    public static func resolveExplained(_ stateSets: [StateMap], version: RoomVersion,
                                        events: @escaping Events) throws(StateResolutionError) -> (state: StateMap, steps: [ResolutionStep]) {
        var resolver = Resolver(version: version, lookup: events)
        switch version.stateResolution {
        case .v1: return try resolver.resolveV1(stateSets)
        case .v2, .v2_1: return try resolver.resolveV2(stateSets)
        }
    }
}
