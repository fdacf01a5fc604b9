import CCrypto

/// SHA-256 through OpenSSL's libcrypto, which uses the CPU's SHA extensions where present
/// (4–5× libsodium's portable code here): content hashes, reference hashes and token hashes
/// sit on the hottest paths.
public enum SHA256 {
    public static let byteCount = 32
    nonisolated(unsafe) private static let digest: OpaquePointer? = EVP_sha256()

    public static func hash<Bytes: Collection<UInt8>>(_ data: Bytes) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: byteCount)
        let done: Void? = data.withContiguousStorageIfAvailable { buf in
            digest(buf.baseAddress, buf.count, into: &out)
        }
        if done == nil {
            let copy = Array(data)
            copy.withUnsafeBufferPointer { digest($0.baseAddress, $0.count, into: &out) }
        }
        return out
    }

    private static func digest(_ bytes: UnsafePointer<UInt8>?, _ count: Int, into out: inout [UInt8]) {
        var length: UInt32 = 0
        let ok = out.withUnsafeMutableBufferPointer { md in
            EVP_Digest(bytes, count, md.baseAddress, &length, digest, nil)
        }
        precondition(ok == 1 && length == 32, "EVP_Digest(SHA-256) failed")
    }
}

/// SHA-1, for room version 1's state resolution, which orders events by `sha1(event_id)`.
/// Not for security.
public enum SHA1 {
    nonisolated(unsafe) private static let digest: OpaquePointer? = EVP_sha1()

    public static func hash<Bytes: Collection<UInt8>>(_ data: Bytes) -> [UInt8] {
        let bytes = Array(data)
        var out = [UInt8](repeating: 0, count: 20)
        var length: UInt32 = 0
        let ok = out.withUnsafeMutableBufferPointer { md in
            bytes.withUnsafeBufferPointer { EVP_Digest($0.baseAddress, $0.count, md.baseAddress, &length, digest, nil) }
        }
        precondition(ok == 1 && length == 20, "EVP_Digest(SHA-1) failed")
        return out
    }
}
