import Testing
@testable import Sodium

@Suite struct Base64Tests {
    @Test func roundTripsAllLengths() {
        for n in 0..<40 {
            let bytes = SecureRandom.bytes(n)
            let text = Base64.encode(bytes)
            #expect(!text.contains("="))
            #expect(Base64.decode(text) == bytes)
            #expect(Base64.decode(Base64.encodeURLSafe(bytes)) == bytes)
        }
    }

    @Test func knownValues() {
        #expect(Base64.encode(Array("".utf8)) == "")
        #expect(Base64.encode(Array("f".utf8)) == "Zg")
        #expect(Base64.encode(Array("fo".utf8)) == "Zm8")
        #expect(Base64.encode(Array("foo".utf8)) == "Zm9v")
        #expect(Base64.encode([0xfb, 0xff]) == "+/8")
        #expect(Base64.encodeURLSafe([0xfb, 0xff]) == "-_8")
        #expect(Base64.decode("Zm8=") == Array("fo".utf8))
    }

    @Test func decodesNonZeroTrailingBits() {
        // The spec's signing seed ends in a character whose low bits are not zero.
        let seed = Base64.decode("YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1")
        #expect(seed?.count == 32)
        #expect(Base64.encode(seed!) == "YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA0")
    }

    @Test func rejectsGarbage() {
        #expect(Base64.decode("not base64") == nil)
        #expect(Base64.decode("A") == nil)
        #expect(Base64.decode("Zg=a") == nil)
    }
}

@Suite struct CryptoTests {
    @Test func ed25519SignVerify() throws {
        let pair = Ed25519.KeyPair.generate()
        let msg = Array("hello".utf8)
        let sig = pair.sign(msg)
        #expect(sig.count == 64)
        #expect(Ed25519.verify(signature: sig, message: msg, publicKey: pair.publicKey))
        #expect(!Ed25519.verify(signature: sig, message: Array("hellO".utf8), publicKey: pair.publicKey))
        #expect(!Ed25519.verify(signature: Array(sig.dropLast()), message: msg, publicKey: pair.publicKey))
        let other = Ed25519.KeyPair.generate()
        #expect(!Ed25519.verify(signature: sig, message: msg, publicKey: other.publicKey))
    }

    @Test func seedDerivesDeterministically() throws {
        let seed = [UInt8](repeating: 7, count: 32)
        #expect(try Ed25519.KeyPair(seed: seed).publicKey == Ed25519.KeyPair(seed: seed).publicKey)
        #expect(throws: SodiumError.invalidLength(expected: 32, got: 31)) { try Ed25519.KeyPair(seed: Array(seed.dropLast())) }
    }

    @Test func sha256KnownAnswer() {
        let hex = SHA256.hash(Array("abc".utf8)).map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
        #expect(hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func passwordHashing() throws {
        let hash = try PasswordHash.hash("correct horse", cost: .testing)
        #expect(hash.hasPrefix("$argon2id$"))
        #expect(PasswordHash.verify("correct horse", hash: hash))
        #expect(!PasswordHash.verify("wrong horse", hash: hash))
        #expect(!PasswordHash.verify("correct horse", hash: "garbage"))
        #expect(try PasswordHash.hash("correct horse", cost: .testing) != hash)  // salted
    }

    @Test func randomness() {
        #expect(SecureRandom.bytes(16) != SecureRandom.bytes(16))
        let token = SecureRandom.alphanumeric(24)
        #expect(token.count == 24 && token.allSatisfy { $0.isLetter || $0.isNumber })
    }
}
