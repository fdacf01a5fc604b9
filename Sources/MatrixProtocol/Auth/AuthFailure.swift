/// Why the authorisation rules rejected an event: one sentence naming the rule that failed.
public struct AuthFailure: Error, Equatable, Sendable, CustomStringConvertible {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}
