/// Why a string is not a valid Matrix identifier; the message names what is wrong.
public enum IdentifierError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalid(String)

    public var description: String {
        switch self {
        case .invalid(let why): why
        }
    }
}
