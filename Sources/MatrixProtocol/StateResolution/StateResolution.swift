/// State resolution: merges the states of several forks of a room into one, the same way on
/// every server (spec: `rooms/v1.md` "State resolution" for room v1; `rooms/fragments/v2-state-res.md`
/// for v2–v11; `rooms/v12.md` "State resolution" (v2.1) for v12).
///
/// The algorithm follows ``RoomVersion/stateResolution``. Events are read through a
/// ``StateResolutionEvents`` provider, so a store can serve them lazily and supply precomputed
/// auth chains.
public enum StateResolution {
    /// Looks events up by ID.
    public typealias Events = (String) -> PDU?

    /// The resolved state of `stateSets` under the rules of `version`.
    ///
    /// Every event the algorithm reads must be known to `events`: the events of the state sets and
    /// their auth ancestors. An unknown one is an error rather than a guess, so that every server
    /// reaches the same answer or none.
    public static func resolve(_ stateSets: [StateMap], version: RoomVersion,
                               events: some StateResolutionEvents) throws(StateResolutionError) -> StateMap {
        var resolver = Resolver(version: version, events: events, explaining: false)
        return try resolver.resolve(stateSets).state
    }

    /// ``resolve(_:version:events:)`` with events looked up by a closure.
    public static func resolve(_ stateSets: [StateMap], version: RoomVersion,
                               events: @escaping Events) throws(StateResolutionError) -> StateMap {
        try resolve(stateSets, version: version, events: ClosureEvents(lookup: events))
    }

    /// The resolved state, and for every conflicted key how its winner was decided
    /// (`apus state resolve --explain`). The steps are sorted by key.
    public static func resolveExplained(_ stateSets: [StateMap], version: RoomVersion, events: some StateResolutionEvents)
        throws(StateResolutionError) -> (state: StateMap, steps: [ResolutionStep]) {
        var resolver = Resolver(version: version, events: events, explaining: true)
        let outcome = try resolver.resolve(stateSets)
        return (outcome.state, resolver.explanation(of: stateSets, conflictedKeys: outcome.conflictedKeys, resolved: outcome.state))
    }

    /// ``resolveExplained(_:version:events:)`` with events looked up by a closure.
    public static func resolveExplained(_ stateSets: [StateMap], version: RoomVersion, events: @escaping Events)
        throws(StateResolutionError) -> (state: StateMap, steps: [ResolutionStep]) {
        try resolveExplained(stateSets, version: version, events: ClosureEvents(lookup: events))
    }
}

/// Why a resolution could not run: an event it needs is not known to the provider.
public struct StateResolutionError: Error, Equatable, Sendable, CustomStringConvertible {
    public let message: String
    /// The event that was needed, when the error is about one.
    public let eventID: String?

    public init(message: String, eventID: String? = nil) {
        self.message = message
        self.eventID = eventID
    }

    static func unknownEvent(_ id: String) -> StateResolutionError {
        StateResolutionError(message: "event \(id) is not known", eventID: id)
    }

    public var description: String { message }
}
