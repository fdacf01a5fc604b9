import Testing
@testable import Sodium

/// The batch verifier must answer exactly as libsodium's one-by-one `verify` does.
@Suite struct Ed25519BatchTests {
    static func signed(_ count: Int, keys: [Ed25519.KeyPair], length: (Int) -> Int = { 40 + $0 * 7 }) -> [Ed25519.SignedMessage] {
        (0..<count).map { n in
            let key = keys[n % keys.count]
            let message = SecureRandom.bytes(length(n))
            return Ed25519.SignedMessage(signature: key.sign(message), message: message, publicKey: key.publicKey)
        }
    }

    static func replacing(_ item: Ed25519.SignedMessage, signature: [UInt8]? = nil, message: [UInt8]? = nil,
                          publicKey: [UInt8]? = nil) -> Ed25519.SignedMessage {
        Ed25519.SignedMessage(signature: signature ?? item.signature, message: message ?? item.message,
                              publicKey: publicKey ?? item.publicKey)
    }

    static func flipping(_ bytes: [UInt8], at index: Int) -> [UInt8] {
        var copy = bytes
        copy[index] ^= 0x01
        return copy
    }

    /// Small batches give each point a table; from `PIPPENGER_MIN` (128) on, R terms share buckets.
    static let sizes = [64, 300]

    @Test(arguments: sizes) func acceptsValidBatchesOfOneOrManyKeys(size: Int) {
        for keyCount in [1, 3, 64] {
            let keys = (0..<keyCount).map { _ in Ed25519.KeyPair.generate() }
            let items = Self.signed(size, keys: keys)
            #expect(Ed25519.verifyBatch(items), "\(keyCount) keys")
            #expect(Ed25519.verifyAll(items) == Array(repeating: true, count: size))
        }
    }

    @Test func acceptsEmptyAndLongMessages() {
        let key = Ed25519.KeyPair.generate()
        let items = Self.signed(6, keys: [key]) { [0, 1, 127, 128, 4096, 70_000][$0] }
        #expect(Ed25519.verifyBatch(items))
    }

    @Test(arguments: sizes) func refusesABatchWithAnyChangedByte(size: Int) {
        let keys = [Ed25519.KeyPair.generate(), Ed25519.KeyPair.generate()]
        let items = Self.signed(size, keys: keys)
        let forged: [(String, Ed25519.SignedMessage)] = [
            ("message", Self.replacing(items[5], message: Self.flipping(items[5].message, at: 3))),
            ("R", Self.replacing(items[5], signature: Self.flipping(items[5].signature, at: 10))),
            ("S", Self.replacing(items[5], signature: Self.flipping(items[5].signature, at: 40))),
            ("key", Self.replacing(items[5], publicKey: keys[1].publicKey == items[5].publicKey ? keys[0].publicKey : keys[1].publicKey)),
            ("key byte", Self.replacing(items[5], publicKey: Self.flipping(items[5].publicKey, at: 0))),
        ]
        for (what, item) in forged {
            var batch = items
            batch[5] = item
            #expect(!Ed25519.verifyBatch(batch), "changed \(what)")
            var expected = Array(repeating: true, count: size)
            expected[5] = false
            #expect(Ed25519.verifyAll(batch) == expected, "changed \(what)")
        }
    }

    @Test func refusesWhatLibsodiumRefuses() {
        let key = Ed25519.KeyPair.generate()
        let items = Self.signed(4, keys: [key])
        // S + L: the same point equation, but S is not reduced.
        let order: [UInt8] = [0xED, 0xD3, 0xF5, 0x5C, 0x1A, 0x63, 0x12, 0x58, 0xD6, 0x9C, 0xF7, 0xA2, 0xDE, 0xF9, 0xDE, 0x14]
            + Array(repeating: 0, count: 15) + [0x10]
        var unreduced = items[1].signature
        var carry = 0
        for i in 0..<32 {
            let sum = Int(unreduced[32 + i]) + Int(order[i]) + carry
            unreduced[32 + i] = UInt8(sum & 0xFF)
            carry = sum >> 8
        }
        let identity: [UInt8] = [1] + Array(repeating: 0, count: 31)
        // y = p + 1 encodes the identity's y non-canonically.
        let nonCanonical: [UInt8] = [0xEE] + Array(repeating: 0xFF, count: 30) + [0x7F]
        let cases: [(String, Ed25519.SignedMessage)] = [
            ("S not reduced", Self.replacing(items[1], signature: unreduced)),
            ("small-order R", Self.replacing(items[1], signature: identity + Array(items[1].signature[32...]))),
            ("small-order key", Self.replacing(items[1], publicKey: identity)),
            ("non-canonical key", Self.replacing(items[1], publicKey: nonCanonical)),
            ("non-canonical R", Self.replacing(items[1], signature: nonCanonical + Array(items[1].signature[32...]))),
        ]
        for (what, item) in cases {
            #expect(!Ed25519.verify(signature: item.signature, message: item.message, publicKey: item.publicKey), "\(what)")
            var batch = items
            batch[1] = item
            #expect(!Ed25519.verifyBatch(batch), "\(what)")
            #expect(Ed25519.verifyAll(batch) == [true, false, true, true], "\(what)")
        }
    }

    @Test(arguments: sizes) func agreesWithOneByOneVerificationOnRandomDamage(size: Int) {
        let keys = (0..<3).map { _ in Ed25519.KeyPair.generate() }
        var items = Self.signed(size, keys: keys)
        for n in stride(from: 0, to: items.count, by: 1) where SecureRandom.bytes(1)[0] < 24 {
            let byte = Int(SecureRandom.bytes(1)[0]) % 64
            items[n] = Self.replacing(items[n], signature: Self.flipping(items[n].signature, at: byte))
        }
        let oneByOne = items.map { Ed25519.verify(signature: $0.signature, message: $0.message, publicKey: $0.publicKey) }
        #expect(Ed25519.verifyAll(items) == oneByOne)
        #expect(oneByOne.contains(true))
    }

    @Test func wrongLengthsAreInvalidNotFatal() {
        let key = Ed25519.KeyPair.generate()
        var items = Self.signed(3, keys: [key])
        items[0] = Self.replacing(items[0], signature: Array(items[0].signature.prefix(63)))
        items[2] = Self.replacing(items[2], publicKey: Array(items[2].publicKey.prefix(31)))
        #expect(Ed25519.verifyAll(items) == [false, true, false])
        #expect(Ed25519.verifyAll([]) == [])
    }
}
