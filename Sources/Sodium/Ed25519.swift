import CSodium

/// Ed25519 signing as Matrix uses it: a 32-byte seed is the private key on disk.
public enum Ed25519 {
    public static let seedLength = Int(crypto_sign_ed25519_seedbytes())
    public static let publicKeyLength = Int(crypto_sign_ed25519_publickeybytes())
    public static let signatureLength = Int(crypto_sign_ed25519_bytes())
    static let secretKeyLength = Int(crypto_sign_ed25519_secretkeybytes())

    public struct KeyPair: Sendable {
        public let seed: [UInt8]
        public let publicKey: [UInt8]
        let secretKey: [UInt8]

        /// Derives the key pair from a 32-byte seed.
        public init(seed: [UInt8]) throws(SodiumError) {
            guard seed.count == Ed25519.seedLength else {
                throw .invalidLength(expected: Ed25519.seedLength, got: seed.count)
            }
            Sodium.ensureInitialized()
            var pk = [UInt8](repeating: 0, count: Ed25519.publicKeyLength)
            var sk = [UInt8](repeating: 0, count: Ed25519.secretKeyLength)
            guard crypto_sign_ed25519_seed_keypair(&pk, &sk, seed) == 0 else {
                throw .operationFailed("crypto_sign_ed25519_seed_keypair")
            }
            self.seed = seed
            self.publicKey = pk
            self.secretKey = sk
        }

        /// A fresh random key pair.
        public static func generate() -> KeyPair {
            // A random seed of the right length cannot fail to derive.
            try! KeyPair(seed: SecureRandom.bytes(Ed25519.seedLength))
        }

        public func sign<Bytes: Collection<UInt8>>(_ message: Bytes) -> [UInt8] {
            var sig = [UInt8](repeating: 0, count: Ed25519.signatureLength)
            let msg = message as? [UInt8] ?? Array(message)
            _ = crypto_sign_ed25519_detached(&sig, nil, msg, UInt64(msg.count), secretKey)
            return sig
        }
    }

    /// True when `signature` is a valid signature of `message` by `publicKey`.
    public static func verify<Bytes: Collection<UInt8>>(signature: [UInt8], message: Bytes, publicKey: [UInt8]) -> Bool {
        guard signature.count == signatureLength, publicKey.count == publicKeyLength else { return false }
        Sodium.ensureInitialized()
        let msg = message as? [UInt8] ?? Array(message)
        return crypto_sign_ed25519_verify_detached(signature, msg, UInt64(msg.count), publicKey) == 0
    }
}
