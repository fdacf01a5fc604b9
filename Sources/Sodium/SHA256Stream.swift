import CCrypto

extension SHA256 {
    /// Incremental SHA-256, for content hashed while it streams (media uploads): one chunk at a
    /// time, never the whole input in memory.
    public final class Stream {
        private let context: OpaquePointer

        public init() {
            guard let context = EVP_MD_CTX_new() else { fatalError("EVP_MD_CTX_new failed") }
            precondition(EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1, "EVP_DigestInit_ex(SHA-256) failed")
            self.context = context
        }

        deinit { EVP_MD_CTX_free(context) }

        public func update(_ bytes: UnsafeRawBufferPointer) {
            guard bytes.count > 0 else { return }
            precondition(EVP_DigestUpdate(context, bytes.baseAddress, bytes.count) == 1, "EVP_DigestUpdate failed")
        }

        /// The digest; the stream is spent afterwards.
        public func finalize() -> [UInt8] {
            var out = [UInt8](repeating: 0, count: SHA256.byteCount)
            var length: UInt32 = 0
            let ok = out.withUnsafeMutableBufferPointer { EVP_DigestFinal_ex(context, $0.baseAddress, &length) }
            precondition(ok == 1 && length == 32, "EVP_DigestFinal_ex(SHA-256) failed")
            return out
        }
    }
}
