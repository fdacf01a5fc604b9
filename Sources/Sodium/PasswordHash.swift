import CSodium

/// argon2id password hashing in libsodium's self-describing string format (`$argon2id$...`).
public enum PasswordHash {
    /// Cost presets: `standard` for accounts (Apus's default), libsodium's `interactive` and
    /// `moderate`, and `testing` to keep test suites fast.
    public struct Cost: Sendable {
        public let opsLimit: UInt64
        public let memLimit: Int
        public static let interactive = Cost(
            opsLimit: UInt64(crypto_pwhash_opslimit_interactive()),
            memLimit: Int(crypto_pwhash_memlimit_interactive()))
        public static let moderate = Cost(
            opsLimit: UInt64(crypto_pwhash_opslimit_moderate()),
            memLimit: Int(crypto_pwhash_memlimit_moderate()))
        /// OWASP's argon2id minimum (m = 19 MiB, t = 2): a third of `interactive`'s memory, so
        /// a burst of logins on a small box stays within its RAM budget.
        public static let standard = Cost(opsLimit: 2, memLimit: 19 * 1024 * 1024)
        public static let testing = Cost(opsLimit: 1, memLimit: 8192)

        public init(opsLimit: UInt64, memLimit: Int) {
            self.opsLimit = opsLimit
            self.memLimit = memLimit
        }
    }

    public static func hash(_ password: String, cost: Cost = .standard) throws(SodiumError) -> String {
        Sodium.ensureInitialized()
        var out = [CChar](repeating: 0, count: Int(crypto_pwhash_strbytes()))
        let length = UInt64(password.utf8.count)
        let rc = password.withCString { pw in
            crypto_pwhash_str_alg(&out, pw, length, cost.opsLimit, cost.memLimit, crypto_pwhash_alg_argon2id13())
        }
        guard rc == 0 else { throw .operationFailed("crypto_pwhash_str_alg (out of memory?)") }
        return String(decoding: out.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Constant-time check of `password` against a stored hash; false for malformed hashes.
    public static func verify(_ password: String, hash: String) -> Bool {
        Sodium.ensureInitialized()
        let length = UInt64(password.utf8.count)
        return password.withCString { pw in crypto_pwhash_str_verify(hash, pw, length) == 0 }
    }
}
