import CEd25519Batch

extension Ed25519 {
    /// A signature to check with `verifyAll`.
    public struct SignedMessage: Sendable {
        public let signature: [UInt8]
        public let message: [UInt8]
        public let publicKey: [UInt8]

        public init(signature: [UInt8], message: [UInt8], publicKey: [UInt8]) {
            self.signature = signature
            self.message = message
            self.publicKey = publicKey
        }
    }

    /// Signatures checked together in one batch equation; a batch that fails is checked again
    /// one by one, so a bad signature costs its neighbours a second check. Per signature, a
    /// batch of 1 024 costs about a fifth of a single check; 64, about a third.
    public static let batchSize = 1024

    /// Whether each signature is valid, in order: `verify` for each, at a fraction of the cost
    /// when many share a few keys (see `apus_ed25519_verify_batch` for the one kind of crafted
    /// signature a batch accepts and `verify` does not).
    public static func verifyAll(_ items: [SignedMessage]) -> [Bool] {
        var valid = [Bool](repeating: false, count: items.count)
        var start = 0
        while start < items.count {
            let end = min(start + batchSize, items.count)
            let candidates = (start..<end).filter {
                items[$0].signature.count == signatureLength && items[$0].publicKey.count == publicKeyLength
            }
            if candidates.count > 1, verifyBatch(candidates.map { items[$0] }) {
                for index in candidates { valid[index] = true }
            } else {
                for index in candidates {
                    valid[index] = verify(signature: items[index].signature, message: items[index].message,
                                          publicKey: items[index].publicKey)
                }
            }
            start = end
        }
        return valid
    }

    /// One batch equation over `items` (lengths already checked): true only if all are valid.
    static func verifyBatch(_ items: [SignedMessage]) -> Bool {
        // Contiguous copies, so one pointer per buffer serves every item.
        var fixed: [UInt8] = []
        fixed.reserveCapacity(items.count * (signatureLength + publicKeyLength))
        var messages: [UInt8] = []
        messages.reserveCapacity(items.reduce(0) { $0 + $1.message.count })
        for item in items {
            fixed.append(contentsOf: item.signature)
            fixed.append(contentsOf: item.publicKey)
            messages.append(contentsOf: item.message)
        }
        return fixed.withUnsafeBufferPointer { fixedBytes in
            messages.withUnsafeBufferPointer { messageBytes in
                guard let fixedBase = fixedBytes.baseAddress else { return false }
                // An empty message still needs a valid pointer.
                let messageBase = messageBytes.baseAddress ?? fixedBase
                var offset = 0
                var batch: [apus_ed25519_item] = []
                batch.reserveCapacity(items.count)
                for (n, item) in items.enumerated() {
                    let signature = fixedBase + n * (signatureLength + publicKeyLength)
                    batch.append(apus_ed25519_item(message: messageBase + offset, length: item.message.count,
                                                   signature: signature, public_key: signature + signatureLength))
                    offset += item.message.count
                }
                return apus_ed25519_verify_batch(batch, batch.count) == 0
            }
        }
    }
}
