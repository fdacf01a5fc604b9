import Foundation
import Sodium

/// Opaque bearer tokens: random, shown to the client once, stored only as SHA-256 hashes.
public enum AccessTokens {
    public static func generate(prefix: String) -> String {
        prefix + SecureRandom.alphanumeric(40)
    }

    public static func hash(_ token: String) -> [UInt8] {
        SHA256.hash(Array(token.utf8))
    }

    /// A device ID as clients see them: ten upper-case letters.
    public static func deviceID() -> String {
        String(SecureRandom.alphanumeric(40).filter(\.isUppercase).prefix(10)).padding(toLength: 10, withPad: "X", startingAt: 0)
    }
}
