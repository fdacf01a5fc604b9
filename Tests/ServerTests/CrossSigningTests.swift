import Foundation
import Hummingbird
import HummingbirdTesting
import MatrixProtocol
import Sodium
import Testing

private let base = e2eeBase

/// A user's three cross-signing key pairs, and the signed objects a client uploads for them.
struct CrossSigningIdentity {
    let userID: String
    let master = Ed25519.KeyPair.generate()
    let selfSigning = Ed25519.KeyPair.generate()
    let userSigning = Ed25519.KeyPair.generate()

    static func name(_ pair: Ed25519.KeyPair) -> String { Base64.encode(pair.publicKey) }

    func key(_ pair: Ed25519.KeyPair, usage: String) -> JSONObject {
        let pub = Self.name(pair)
        return ["user_id": .string(userID), "usage": [.string(usage)], "keys": ["ed25519:\(pub)": .string(pub)]]
    }

    var masterKey: JSONObject { key(master, usage: "master") }
    func selfSigningKey(signedBy signer: Ed25519.KeyPair? = nil) throws -> JSONObject {
        let by = signer ?? master
        return try signed(key(selfSigning, usage: "self_signing"), by: userID, keyName: Self.name(by), with: by)
    }
    func userSigningKey() throws -> JSONObject {
        try signed(key(userSigning, usage: "user_signing"), by: userID, keyName: Self.name(master), with: master)
    }
    func uploadBody() throws -> JSONObject {
        ["master_key": .object(masterKey), "self_signing_key": .object(try selfSigningKey()), "user_signing_key": .object(try userSigningKey())]
    }
}

/// `POST /keys/device_signing/upload`, `POST /keys/signatures/upload`, and what `/keys/query` shows of them.
@Suite struct CrossSigningTests {
    func query(_ client: some TestClientProtocol, as device: E2EEDevice, _ user: String) async throws -> JSONObject {
        try await client.call(.post, "\(base)/keys/query", token: device.token, body: ["device_keys": [user: []]]).json
    }

    @Test func firstUploadNeedsNoAuthReplacingDoes() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await E2EEDevice.register(client, "alice"), bob = try await E2EEDevice.register(client, "bob")
            let identity = CrossSigningIdentity(userID: alice.userID)
            var r = try await client.call(.post, "\(base)/keys/device_signing/upload", token: alice.token, body: try identity.uploadBody())
            #expect(r.status == .ok, "\(r.json)")
            // Repeating the same keys (a lost response, retried) needs no authentication either.
            r = try await client.call(.post, "\(base)/keys/device_signing/upload", token: alice.token, body: try identity.uploadBody())
            #expect(r.status == .ok)

            let own = try await query(client, as: alice, alice.userID)
            #expect(own["master_keys"]?[alice.userID]?["keys"] == identity.masterKey["keys"])
            #expect(own["self_signing_keys"]?[alice.userID] != nil)
            #expect(own["user_signing_keys"]?[alice.userID] != nil)
            let seenByBob = try await query(client, as: bob, alice.userID)
            #expect(seenByBob["master_keys"]?[alice.userID] != nil && seenByBob["self_signing_keys"]?[alice.userID] != nil)
            #expect(seenByBob["user_signing_keys"]?[alice.userID] == nil)  // only ever shown to its owner

            // New keys over existing ones: user-interactive authentication with the password.
            let replacement = CrossSigningIdentity(userID: alice.userID)
            r = try await client.call(.post, "\(base)/keys/device_signing/upload", token: alice.token, body: try replacement.uploadBody())
            #expect(r.status == .unauthorized)
            let session = try #require(r.json["session"]?.stringValue)
            #expect(r.json["flows"]?.arrayValue?.first?["stages"] == ["m.login.password"])
            var body = try replacement.uploadBody()
            body["auth"] = ["type": "m.login.password", "identifier": ["type": "m.id.user", "user": .string(alice.userID)],
                            "password": .string(alice.password), "session": .string(session)]
            r = try await client.call(.post, "\(base)/keys/device_signing/upload", token: alice.token, body: body)
            #expect(r.status == .ok, "\(r.json)")
            let after = try await query(client, as: bob, alice.userID)
            #expect(after["master_keys"]?[alice.userID]?["keys"] == replacement.masterKey["keys"])
        }
        try await hs.close()
    }

    @Test func badCrossSigningKeysAreRefused() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await E2EEDevice.register(client, "alice")
            let identity = CrossSigningIdentity(userID: alice.userID)
            func upload(_ body: JSONObject) async throws -> (status: HTTPResponse.Status, json: JSONObject) {
                try await client.call(.post, "\(base)/keys/device_signing/upload", token: alice.token, body: body)
            }
            // A self-signing key with no master key to check it against.
            var r = try await upload(["self_signing_key": .object(try identity.selfSigningKey())])
            #expect(r.status == .badRequest && r.json["errcode"] == "M_MISSING_PARAM")
            // Signed by something other than the master key.
            r = try await upload(["master_key": .object(identity.masterKey),
                                  "self_signing_key": .object(try identity.selfSigningKey(signedBy: Ed25519.KeyPair.generate()))])
            #expect(r.status == .badRequest && r.json["errcode"] == "M_INVALID_SIGNATURE")
            var master = identity.masterKey
            master["usage"] = ["self_signing"]
            r = try await upload(["master_key": .object(master)])
            #expect(r.json["errcode"] == "M_INVALID_PARAM")
            master = identity.masterKey
            master["user_id"] = "@bob:localhost"
            r = try await upload(["master_key": .object(master)])
            #expect(r.json["errcode"] == "M_INVALID_PARAM")
            master = identity.masterKey
            master["keys"] = ["ed25519:other": .string(CrossSigningIdentity.name(identity.master))]
            r = try await upload(["master_key": .object(master)])
            #expect(r.json["errcode"] == "M_INVALID_PARAM")
            r = try await upload(["master_key": "x"])
            #expect(r.json["errcode"] == "M_BAD_JSON")
            // A public key equal to one of the user's device IDs.
            let clash = E2EEDevice(userID: alice.userID, deviceID: CrossSigningIdentity.name(identity.master), token: "", password: "")
            _ = try await alice.login(client, deviceID: clash.deviceID)
            r = try await upload(["master_key": .object(identity.masterKey)])
            #expect(r.status == .forbidden && r.json["errcode"] == "M_FORBIDDEN")
            // Nothing was stored by any of these.
            let q = try await client.call(.post, "\(base)/keys/query", token: alice.token, body: ["device_keys": [alice.userID: []]])
            #expect(q.json["master_keys"]?.objectValue?.isEmpty == true)
        }
        try await hs.close()
    }

    @Test func signaturesAreVerifiedAndShownToWhomTheyConcern() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await E2EEDevice.register(client, "alice"), bob = try await E2EEDevice.register(client, "bob")
            let carol = try await E2EEDevice.register(client, "carol")
            try await alice.upload(client)
            let aliceX = CrossSigningIdentity(userID: alice.userID), bobX = CrossSigningIdentity(userID: bob.userID)
            #expect(try await client.call(.post, "\(base)/keys/device_signing/upload", token: alice.token, body: try aliceX.uploadBody()).status == .ok)
            #expect(try await client.call(.post, "\(base)/keys/device_signing/upload", token: bob.token, body: try bobX.uploadBody()).status == .ok)
            let room = try await createRoom(client, token: bob.token, ["preset": "public_chat"])
            _ = try await client.call(.post, "\(base)/join/\(enc(room))", token: alice.token, body: [:])
            let since = try await bob.sync(client).nextBatch

            // Alice signs her device with her self-signing key, and bob's master key with her user-signing key.
            let sskName = CrossSigningIdentity.name(aliceX.selfSigning), uskName = CrossSigningIdentity.name(aliceX.userSigning)
            let deviceSigned = try signed(try alice.deviceKeys(), by: alice.userID, keyName: sskName, with: aliceX.selfSigning)
            let bobMaster = bobX.masterKey
            let bobMasterSigned = try signed(bobMaster, by: alice.userID, keyName: uskName, with: aliceX.userSigning)
            let forged = try signed(bobMaster, by: alice.userID, keyName: uskName, with: Ed25519.KeyPair.generate())
            var r = try await client.call(.post, "\(base)/keys/signatures/upload", token: alice.token, body: [
                alice.userID: [alice.deviceID: .object(deviceSigned)], bob.userID: [CrossSigningIdentity.name(bobX.master): .object(bobMasterSigned)]])
            #expect(r.status == .ok && r.json["failures"] == [:], "\(r.json)")

            var seen = try await query(client, as: bob, alice.userID)
            let device = try #require(seen["device_keys"]?[alice.userID]?[alice.deviceID]?.objectValue)
            try JSONSigning.verify(device, entity: alice.userID, keyID: "ed25519:\(sskName)", publicKey: aliceX.selfSigning.publicKey)
            try JSONSigning.verify(device, entity: alice.userID, keyID: "ed25519:\(alice.deviceID)", publicKey: alice.identity.publicKey)
            // Alice sees her signature on bob's master key; bob and carol do not.
            seen = try await query(client, as: alice, bob.userID)
            #expect(seen["master_keys"]?[bob.userID]?["signatures"]?[alice.userID]?["ed25519:\(uskName)"] != nil)
            seen = try await query(client, as: bob, bob.userID)
            #expect(seen["master_keys"]?[bob.userID]?["signatures"]?[alice.userID] == nil)
            seen = try await query(client, as: carol, bob.userID)
            #expect(seen["master_keys"]?[bob.userID]?["signatures"]?[alice.userID] == nil)
            // Alice's device vouches for her own master key; everyone sees that signature.
            let masterName = CrossSigningIdentity.name(aliceX.master)
            let masterSigned = try signed(aliceX.masterKey, by: alice.userID, keyName: alice.deviceID, with: alice.identity)
            r = try await client.call(.post, "\(base)/keys/signatures/upload", token: alice.token, body: [alice.userID: [masterName: .object(masterSigned)]])
            #expect(r.json["failures"] == [:], "\(r.json)")
            seen = try await query(client, as: carol, alice.userID)
            let master = try #require(seen["master_keys"]?[alice.userID]?.objectValue)
            try JSONSigning.verify(master, entity: alice.userID, keyID: "ed25519:\(alice.deviceID)", publicKey: alice.identity.publicKey)
            // Bob's clients learn that alice's keys changed.
            #expect(try await bob.sync(client, since: since).changedDeviceLists.contains(alice.userID))

            // Bad signatures are failures per user and key; the request still succeeds.
            var tampered = deviceSigned
            tampered["algorithms"] = ["m.megolm.v1.aes-sha2"]
            r = try await client.call(.post, "\(base)/keys/signatures/upload", token: alice.token, body: [
                bob.userID: [CrossSigningIdentity.name(bobX.master): .object(forged)], alice.userID: [alice.deviceID: .object(tampered), "NOPE": [:]]])
            #expect(r.status == .ok)
            #expect(r.json["failures"]?[bob.userID]?[CrossSigningIdentity.name(bobX.master)]?["errcode"] == "M_INVALID_SIGNATURE")
            #expect(r.json["failures"]?[alice.userID]?[alice.deviceID]?["errcode"] == "M_INVALID_PARAM")
            #expect(r.json["failures"]?[alice.userID]?["NOPE"]?["errcode"] == "M_NOT_FOUND")
            r = try await client.call(.post, "\(base)/keys/signatures/upload", token: alice.token, body: [alice.userID: "x"])
            #expect(r.status == .badRequest && r.json["errcode"] == "M_BAD_JSON")
        }
        try await hs.close()
    }
}
