/// A libsodium call failed or was given malformed input.
public enum SodiumError: Error, Equatable, Sendable {
    case initializationFailed
    case invalidLength(expected: Int, got: Int)
    case invalidBase64
    case operationFailed(String)
}
