import Sodium

/// A server's Ed25519 signing key with its key ID (`ed25519:<version>`).
public struct SigningKey: Sendable {
    public let keyID: String
    public let keyPair: Ed25519.KeyPair

    public var publicKeyBase64: String { Base64.encode(keyPair.publicKey) }

    public init(keyID: String, seed: [UInt8]) throws(SigningKeyError) {
        guard Self.isValidKeyID(keyID) else { throw .invalidKeyID(keyID) }
        do { keyPair = try Ed25519.KeyPair(seed: seed) } catch { throw .invalidSeed }
        self.keyID = keyID
    }

    /// A new random key whose version is random alphanumeric, like Synapse's `a_XXXX`.
    public static func generate() -> SigningKey {
        let version = "a_" + SecureRandom.alphanumeric(4)
        return try! SigningKey(keyID: "ed25519:\(version)", seed: Ed25519.KeyPair.generate().seed)
    }

    /// Parses Synapse's signing key file: one line `ed25519 <version> <unpadded base64 seed>`.
    public init(fileContents: String) throws(SigningKeyError) {
        let lines = fileContents.split(whereSeparator: \.isNewline).filter { !$0.allSatisfy(\.isWhitespace) }
        guard let line = lines.first else { throw .malformedFile("the file is empty") }
        let parts = line.split(whereSeparator: \.isWhitespace)
        guard parts.count == 3 else {
            throw .malformedFile("expected 'ed25519 <version> <base64 seed>', found \(parts.count) fields")
        }
        guard parts[0] == "ed25519" else { throw .malformedFile("unsupported algorithm '\(parts[0])'") }
        guard let seed = Base64.decode(String(parts[2])), seed.count == Ed25519.seedLength else {
            throw .malformedFile("the seed is not 32 bytes of base64")
        }
        try self.init(keyID: "ed25519:\(parts[1])", seed: seed)
    }

    /// The file form, readable by Synapse.
    public var fileContents: String {
        let version = keyID.dropFirst("ed25519:".count)
        return "ed25519 \(version) \(Base64.encode(keyPair.seed))\n"
    }

    /// `algorithm:version` with version made of `[a-zA-Z0-9_]`.
    public static func isValidKeyID(_ id: String) -> Bool {
        let parts = id.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0] == "ed25519", !parts[1].isEmpty else { return false }
        return parts[1].unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_") }
    }
}

public enum SigningKeyError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidKeyID(String)
    case invalidSeed
    case malformedFile(String)

    public var description: String {
        switch self {
        case .invalidKeyID(let id): "invalid key ID '\(id)' (expected ed25519:<[a-zA-Z0-9_]+>)"
        case .invalidSeed: "the seed is not a valid Ed25519 seed"
        case .malformedFile(let why): "malformed signing key file: \(why)"
        }
    }
}
