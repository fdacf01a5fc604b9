import CSodium

public enum SHA256 {
    public static let byteCount = Int(crypto_hash_sha256_bytes())

    public static func hash<Bytes: Collection<UInt8>>(_ data: Bytes) -> [UInt8] {
        Sodium.ensureInitialized()
        var out = [UInt8](repeating: 0, count: byteCount)
        let done: Void? = data.withContiguousStorageIfAvailable { buf in
            _ = crypto_hash_sha256(&out, buf.baseAddress, UInt64(buf.count))
        }
        if done == nil {
            let copy = Array(data)
            _ = crypto_hash_sha256(&out, copy, UInt64(copy.count))
        }
        return out
    }
}
