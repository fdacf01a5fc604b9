/// A state entry's key: `(type, state_key)`.
public struct StateKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let type: String
    public let stateKey: String

    public init(_ type: String, _ stateKey: String) {
        self.type = type
        self.stateKey = stateKey
    }

    public var description: String { "\(type)|\(stateKey)" }

    public static func < (a: StateKey, b: StateKey) -> Bool {
        let byType = UTF8Order.compare(a.type, b.type)
        return byType != 0 ? byType < 0 : UTF8Order.precedes(a.stateKey, b.stateKey)
    }

    public static let create = StateKey("m.room.create", "")
    public static let powerLevels = StateKey("m.room.power_levels", "")
    public static let joinRules = StateKey("m.room.join_rules", "")
    public static func member(_ userID: String) -> StateKey { StateKey("m.room.member", userID) }
}

/// A resolved or partial room state: which event holds each state key.
public typealias StateMap = [StateKey: String]
