import Testing
import Sodium
@testable import MatrixProtocol

@Suite struct SigningTests {
    struct VectorKey {
        let key: SigningKey
        let seedBase64: String
        let publicKeyBase64: String
        let serverName: String
    }

    func keys() throws -> [String: VectorKey] {
        let file = try Vectors.load("signing.json")
        var out: [String: VectorKey] = [:]
        for (name, k) in try need(file["keys"]?.objectValue) {
            let seed = try need(Base64.decode(try need(k["seed_base64"]?.stringValue)))
            let key = try SigningKey(keyID: try need(k["key_id"]?.stringValue), seed: seed)
            #expect(key.publicKeyBase64 == k["public_key_base64"]?.stringValue, "public key of \(name)")
            out[name] = VectorKey(key: key, seedBase64: try need(k["seed_base64"]?.stringValue),
                                  publicKeyBase64: try need(k["public_key_base64"]?.stringValue),
                                  serverName: try need(k["server_name"]?.stringValue))
        }
        return out
    }

    @Test func signVectors() throws {
        let file = try Vectors.load("signing.json")
        let keys = try keys()
        let vectors = try need(file["sign_vectors"]?.arrayValue)
        #expect(!vectors.isEmpty)
        for v in vectors {
            let id = v["id"]?.stringValue ?? "?"
            let vk = try need(keys[try need(v["key"]?.stringValue)])
            let key = vk.key, entity = vk.serverName
            let input = try need(v["input"]?.objectValue)
            let bytes = try JSONSigning.signingBytes(input)
            #expect(String(decoding: bytes, as: UTF8.self) == v["signing_bytes"]?.stringValue, "\(id) signing bytes")
            let signed = try JSONSigning.sign(input, entity: entity, key: key)
            #expect(signed["signatures"]?[entity]?[key.keyID]?.stringValue == v["expected_signature"]?.stringValue, "\(id) signature")
            #expect(JSONValue.object(signed) == v["expected_signed"], "\(id) signed object")
            try JSONSigning.verify(signed, entity: entity, keyID: key.keyID, publicKey: key.keyPair.publicKey)
        }
    }

    @Test func verifyVectors() throws {
        let file = try Vectors.load("signing.json")
        let keys = try keys()
        let vectors = try need(file["verify_vectors"]?.arrayValue)
        #expect(vectors.count >= 10)
        for v in vectors {
            let id = v["id"]?.stringValue ?? "?"
            let key = try need(keys[try need(v["key"]?.stringValue)]).key
            let input = try need(v["input"]?.objectValue)
            let entity = try need(v["entity"]?.stringValue)
            let expected = try need(v["expected_valid"]?.boolValue)
            var valid = true
            do {
                try JSONSigning.verify(input, entity: entity, keyID: key.keyID, publicKey: key.keyPair.publicKey)
            } catch {
                valid = false
            }
            #expect(valid == expected, "verify vector \(id)")
        }
    }

    /// The same vectors through the batch verifier: the valid ones pass as one batch, and a
    /// batch of all of them marks exactly the expected ones valid.
    @Test func verifyVectorsInOneBatch() throws {
        let file = try Vectors.load("signing.json")
        let keys = try keys()
        var items: [Ed25519.SignedMessage] = []
        var expected: [Bool] = []
        // Verify vectors check `input`; sign vectors' `expected_signed` objects are all valid.
        let cases = try need(file["verify_vectors"]?.arrayValue).map { ($0, "input") }
            + need(file["sign_vectors"]?.arrayValue).map { ($0, "expected_signed") }
        for (v, field) in cases {
            let vk = try need(keys[try need(v["key"]?.stringValue)])
            let entity = v["entity"]?.stringValue ?? vk.serverName
            let object = try need(v[field]?.objectValue)
            let valid = v["expected_valid"]?.boolValue ?? true
            guard let signature = try? JSONSigning.signature(in: object, entity: entity, keyID: vk.key.keyID),
                  let bytes = try? JSONSigning.signingBytes(object) else {
                #expect(!valid, "vector \(v["id"]?.stringValue ?? "?") has no signature to check")
                continue
            }
            items.append(Ed25519.SignedMessage(signature: signature, message: bytes, publicKey: vk.key.keyPair.publicKey))
            expected.append(valid)
        }
        #expect(expected.contains(true) && expected.contains(false))
        let validOnes = zip(items, expected).filter(\.1).map(\.0)
        #expect(Ed25519.verifyAll(validOnes) == Array(repeating: true, count: validOnes.count))
        #expect(Ed25519.verifyAll(items) == expected)
    }

    @Test func keepsOtherSignatures() throws {
        let a = SigningKey.generate(), b = SigningKey.generate()
        let once = try JSONSigning.sign(["x": 1], entity: "a.example", key: a)
        let twice = try JSONSigning.sign(once, entity: "b.example", key: b)
        try JSONSigning.verify(twice, entity: "a.example", keyID: a.keyID, publicKey: a.keyPair.publicKey)
        try JSONSigning.verify(twice, entity: "b.example", keyID: b.keyID, publicKey: b.keyPair.publicKey)
        #expect(JSONSigning.keyIDs(in: twice, entity: "a.example") == [a.keyID])
    }

    @Test func signingKeyFileRoundTrip() throws {
        let key = SigningKey.generate()
        let parsed = try SigningKey(fileContents: key.fileContents)
        #expect(parsed.keyID == key.keyID)
        #expect(parsed.keyPair.publicKey == key.keyPair.publicKey)
        // Synapse's format, with the spec's seed (whose base64 has non-zero trailing bits).
        let vk = try need(keys()["spec"])
        let spec = try SigningKey(fileContents: "ed25519 1 \(vk.seedBase64)\n")
        #expect(spec.keyID == "ed25519:1")
        #expect(spec.publicKeyBase64 == vk.publicKeyBase64)
        for bad in ["", "ed25519 1", "rsa 1 AAAA", "ed25519 1 AAAA", "ed25519 bad-id! \(vk.seedBase64)"] {
            #expect(throws: SigningKeyError.self, "\(bad)") { try SigningKey(fileContents: bad) }
        }
    }
}
