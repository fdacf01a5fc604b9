/// Where state resolution reads events: the seam between the algorithm and a store.
///
/// Only `event(_:)` is required. A store can answer `authChain(_:)` from a precomputed index so
/// that the auth difference of a large room does not load every state event, and
/// `isRejected(_:)` from its rejection flags.
public protocol StateResolutionEvents {
    /// The event with this ID, or nil when it is not known.
    func event(_ id: String) -> PDU?

    /// Whether the event was rejected because it failed the authorisation rules against its own
    /// auth events (spec "Rejected events"). Such an event is never admitted to the resolved state
    /// and never stands in for a missing key during the iterative auth checks. An event that only
    /// failed against the state before it (or was soft-failed) is *not* rejected here.
    /// Default: false.
    func isRejected(_ id: String) -> Bool

    /// The event's whole auth chain (every auth ancestor, not the event itself), when the provider
    /// has it precomputed; nil to let the resolver walk `auth_events`. In room v12 the chain must
    /// include the create event, which every other event has as an implied auth event.
    /// Default: nil.
    func authChain(_ id: String) -> [String]?
}

extension StateResolutionEvents {
    public func isRejected(_ id: String) -> Bool { false }
    public func authChain(_ id: String) -> [String]? { nil }
}

/// A closure as a provider.
struct ClosureEvents: StateResolutionEvents {
    let lookup: StateResolution.Events
    func event(_ id: String) -> PDU? { lookup(id) }
}

/// Events in memory, by ID (tests, the CLI, benchmarks).
extension Dictionary: StateResolutionEvents where Key == String, Value == PDU {
    public func event(_ id: String) -> PDU? { self[id] }
}
