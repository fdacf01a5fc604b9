/// A user's power level, or the level an action needs.
///
/// In room version 12 the room creators have *infinite* power (`v12.md`, "Authorisation rules"):
/// `.infinite` compares above every integer level, and equal only to itself, so a creator can
/// never kick, ban or demote another creator (`target < sender` fails).
public enum PowerLevel: Comparable, Hashable, Sendable, CustomStringConvertible {
    case level(Int64)
    case infinite

    public static func < (a: PowerLevel, b: PowerLevel) -> Bool {
        switch (a, b) {
        case (.level(let x), .level(let y)): x < y
        case (.level, .infinite): true
        case (.infinite, _): false
        }
    }

    public var description: String {
        switch self {
        case .level(let l): String(l)
        case .infinite: "infinite"
        }
    }
}
