/// Why the authorization rules rejected an event.
public struct AuthFailure: Error, Equatable, Sendable, CustomStringConvertible {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// The authorization rules of every room version (spec `content/rooms/v*.md`).
public enum AuthRules {
    /// Checks `event` against the rules of `version`. `state` answers the state the rules read
    /// (the event's auth events, or the room state before it); for v12 it must answer the
    /// create event too, which is never listed in `auth_events`.
    public static func check(_ event: PDU, version: RoomVersion, state: (StateKey) -> PDU?) throws(AuthFailure) {
        throw AuthFailure("authorization rules are not implemented yet")
    }
}
