import CSodium

/// Cryptographically secure random bytes from libsodium.
public enum SecureRandom {
    public static func bytes(_ count: Int) -> [UInt8] {
        Sodium.ensureInitialized()
        var out = [UInt8](repeating: 0, count: count)
        out.withUnsafeMutableBytes { randombytes_buf($0.baseAddress!, count) }
        return out
    }

    /// Random alphanumeric string (access tokens, device IDs, transaction IDs).
    public static func alphanumeric(_ count: Int) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)
        Sodium.ensureInitialized()
        var chars = [UInt8]()
        chars.reserveCapacity(count)
        for _ in 0..<count {
            chars.append(alphabet[Int(randombytes_uniform(UInt32(alphabet.count)))])
        }
        return String(decoding: chars, as: UTF8.self)
    }
}
