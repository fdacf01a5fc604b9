/// Why a JSON object is not a valid event for a room version.
public enum PDUError: Error, Equatable, Sendable, CustomStringConvertible {
    case missingField(String)
    case wrongType(field: String, expected: String)
    case invalidValue(field: String, reason: String)
    case tooLarge(String)
    case notCanonical(String)

    public var description: String {
        switch self {
        case .missingField(let f): "missing field '\(f)'"
        case .wrongType(let f, let expected): "field '\(f)' must be \(expected)"
        case .invalidValue(let f, let reason): "field '\(f)': \(reason)"
        case .tooLarge(let why): why
        case .notCanonical(let why): "not canonical JSON: \(why)"
        }
    }
}
