import Foundation
import Hummingbird
import HummingbirdTesting
import MatrixProtocol
import Sodium
import Testing

private let base = e2eeBase

/// `/keys/upload`, `/keys/query`, `/keys/claim`, `/keys/changes`.
@Suite struct E2EEKeysTests {
    @Test func uploadThenQuery() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await E2EEDevice.register(client, "alice"), bob = try await E2EEDevice.register(client, "bob")
            let uploaded = try await alice.upload(client, oneTimeKeyIDs: ["AAAA", "AAAB", "AAAC"], fallbackID: "FFFF")
            #expect(uploaded["one_time_key_counts"]?["signed_curve25519"] == 3)

            var r = try await client.call(.post, "\(base)/keys/query", token: bob.token,
                                          body: ["device_keys": [alice.userID: [], "@nobody:localhost": [], "@carol:remote.example": []]])
            #expect(r.status == .ok)
            let device = r.json["device_keys"]?[alice.userID]?[alice.deviceID]?.objectValue
            #expect(device?["keys"]?["ed25519:\(alice.deviceID)"] == .string(alice.ed25519))
            #expect(device?["unsigned"]?["device_display_name"] == "alice's phone")
            // What comes back still verifies with the device's key: the server kept the signed JSON intact.
            let object = try #require(device)
            try JSONSigning.verify(object, entity: alice.userID, keyID: "ed25519:\(alice.deviceID)", publicKey: alice.identity.publicKey)
            #expect(r.json["device_keys"]?["@nobody:localhost"]?.objectValue?.isEmpty ?? true)
            #expect(r.json["failures"]?["remote.example"] != nil)
            #expect(r.json["device_keys"]?["@carol:remote.example"] == nil)

            // A device list narrows the answer; an unknown device is simply absent.
            r = try await client.call(.post, "\(base)/keys/query", token: bob.token,
                                      body: ["device_keys": [alice.userID: ["NOPE"]]])
            #expect(r.json["device_keys"]?[alice.userID]?.objectValue?.isEmpty == true)
            r = try await client.call(.post, "\(base)/keys/query", token: bob.token,
                                      body: ["device_keys": [alice.userID: [.string(alice.deviceID), "NOPE"]]])
            #expect(r.json["device_keys"]?[alice.userID]?.objectValue?.keys.sorted() == [alice.deviceID])

            r = try await client.call(.post, "\(base)/keys/query", token: bob.token, body: [:])
            #expect(r.status == .badRequest && r.json["errcode"] == "M_MISSING_PARAM")
            r = try await client.call(.post, "\(base)/keys/query", token: bob.token, body: ["device_keys": [alice.userID: "x"]])
            #expect(r.status == .badRequest && r.json["errcode"] == "M_BAD_JSON")
            r = try await client.call(.post, "\(base)/keys/query", body: ["device_keys": [:]])
            #expect(r.status == .unauthorized && r.json["errcode"] == "M_MISSING_TOKEN")
            r = try await client.call(.post, "\(base)/keys/upload", body: [:])
            #expect(r.status == .unauthorized)
        }
        try await hs.close()
    }

    @Test func malformedOrMissignedDeviceKeysAreRefused() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await E2EEDevice.register(client, "alice")
            func upload(_ keys: JSONObject) async throws -> (status: HTTPResponse.Status, json: JSONObject) {
                try await client.call(.post, "\(base)/keys/upload", token: alice.token, body: ["device_keys": .object(keys)])
            }
            let good = try alice.deviceKeys()
            var keys = good
            keys["user_id"] = "@mallory:localhost"
            var r = try await upload(keys)
            #expect(r.status == .badRequest && r.json["errcode"] == "M_INVALID_PARAM")
            keys = good
            keys["device_id"] = "OTHER"
            r = try await upload(keys)
            #expect(r.json["errcode"] == "M_INVALID_PARAM")
            keys = good
            keys["algorithms"] = nil
            r = try await upload(keys)
            #expect(r.json["errcode"] == "M_MISSING_PARAM")
            keys = good
            keys["keys"] = "not an object"
            r = try await upload(keys)
            #expect(r.json["errcode"] == "M_BAD_JSON")

            // Signed by another key than the ed25519 key the object carries.
            var unsigned = good
            unsigned["signatures"] = nil
            let wrong = try signed(unsigned, by: alice.userID, keyName: alice.deviceID, with: Ed25519.KeyPair.generate())
            r = try await upload(wrong)
            #expect(r.status == .badRequest && r.json["errcode"] == "M_INVALID_SIGNATURE")
            // Changed after signing.
            keys = good
            keys["algorithms"] = ["m.olm.v1.curve25519-aes-sha2"]
            r = try await upload(keys)
            #expect(r.json["errcode"] == "M_INVALID_SIGNATURE")
            r = try await upload(unsigned)
            #expect(r.json["errcode"] == "M_MISSING_PARAM")

            // Nothing of the refused uploads was stored.
            let q = try await client.call(.post, "\(base)/keys/query", token: alice.token, body: ["device_keys": [alice.userID: []]])
            #expect(q.json["device_keys"]?[alice.userID]?.objectValue?.isEmpty == true)

            r = try await upload(good)
            #expect(r.status == .ok)
            r = try await upload(good)  // the same keys again: fine
            #expect(r.status == .ok)
            // Other identity keys for a device that has some: refused, the old ones stay.
            let impostor = E2EEDevice(userID: alice.userID, deviceID: alice.deviceID, token: alice.token, password: alice.password)
            r = try await upload(try impostor.deviceKeys())
            #expect(r.status == .badRequest && r.json["errcode"] == "M_INVALID_PARAM")
            let after = try await client.call(.post, "\(base)/keys/query", token: alice.token, body: ["device_keys": [alice.userID: []]])
            #expect(after.json["device_keys"]?[alice.userID]?[alice.deviceID]?["keys"]?["ed25519:\(alice.deviceID)"] == .string(alice.ed25519))
        }
        try await hs.close()
    }

    @Test func oneTimeKeysAreCheckedAndNeverReplayed() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await E2EEDevice.register(client, "alice")
            func upload(_ body: JSONObject) async throws -> (status: HTTPResponse.Status, json: JSONObject) {
                try await client.call(.post, "\(base)/keys/upload", token: alice.token, body: body)
            }
            // Signed one-time keys before any device keys: nothing to check them with.
            var r = try await upload(["one_time_keys": .object(try alice.oneTimeKeys(["K1"]))])
            #expect(r.status == .badRequest && r.json["errcode"] == "M_INVALID_PARAM")
            // A bad one-time key sinks the whole request, device keys included.
            let forged = try signed(["key": .string(randomKey())], by: alice.userID, keyName: alice.deviceID, with: Ed25519.KeyPair.generate())
            r = try await upload(["device_keys": .object(try alice.deviceKeys()), "one_time_keys": ["signed_curve25519:K1": .object(forged)]])
            #expect(r.status == .badRequest && r.json["errcode"] == "M_INVALID_SIGNATURE")
            let q = try await client.call(.post, "\(base)/keys/query", token: alice.token, body: ["device_keys": [alice.userID: []]])
            #expect(q.json["device_keys"]?[alice.userID]?.objectValue?.isEmpty == true)

            let first = try alice.oneTimeKeys(["K1", "K2"])
            r = try await upload(["device_keys": .object(try alice.deviceKeys()), "one_time_keys": .object(first)])
            #expect(r.json["one_time_key_counts"]?["signed_curve25519"] == 2)
            r = try await upload(["one_time_keys": .object(first)])  // a retried request: same keys, no change
            #expect(r.status == .ok && r.json["one_time_key_counts"]?["signed_curve25519"] == 2)
            // The same key ID with other content: a replay or a confused client, refused.
            r = try await upload(["one_time_keys": .object(try alice.oneTimeKeys(["K2", "K3"]))])
            #expect(r.status == .badRequest && r.json["errcode"] == "M_INVALID_PARAM")
            r = try await upload([:])
            #expect(r.json["one_time_key_counts"]?["signed_curve25519"] == 2)

            r = try await upload(["one_time_keys": ["nocolon": "abc"]])
            #expect(r.json["errcode"] == "M_INVALID_PARAM")
            r = try await upload(["one_time_keys": ["signed_curve25519:K9": .string(randomKey())]])
            #expect(r.json["errcode"] == "M_BAD_JSON")
            r = try await upload(["one_time_keys": ["curve25519:K9": 5]])
            #expect(r.json["errcode"] == "M_BAD_JSON")
            r = try await upload(["one_time_keys": ["curve25519:K9": .string(randomKey())]])  // unsigned algorithm
            #expect(r.status == .ok && r.json["one_time_key_counts"]?["curve25519"] == 1)
            var twoFallbacks = try alice.oneTimeKeys(["F1"], fallback: true)
            for (k, v) in try alice.oneTimeKeys(["F2"], fallback: true) { twoFallbacks[k] = v }
            r = try await upload(["fallback_keys": .object(twoFallbacks)])
            #expect(r.status == .badRequest && r.json["errcode"] == "M_INVALID_PARAM")
            r = try await upload(["one_time_keys": "x"])
            #expect(r.json["errcode"] == "M_BAD_JSON")
        }
        try await hs.close()
    }

    @Test func claimUsesOneTimeKeysOnceThenTheFallbackKey() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await E2EEDevice.register(client, "alice"), bob = try await E2EEDevice.register(client, "bob")
            try await alice.upload(client, oneTimeKeyIDs: ["K1", "K2"], fallbackID: "FB")
            var sync = try await alice.sync(client)
            #expect(sync["device_one_time_keys_count"]?["signed_curve25519"] == 2)
            #expect(sync["device_unused_fallback_key_types"] == ["signed_curve25519"])

            func claim() async throws -> JSONObject {
                let r = try await client.call(.post, "\(base)/keys/claim", token: bob.token,
                                              body: ["one_time_keys": [alice.userID: [alice.deviceID: "signed_curve25519"]]])
                #expect(r.status == .ok)
                return r.json["one_time_keys"]?[alice.userID]?[alice.deviceID]?.objectValue ?? [:]
            }
            var seen: Set<String> = []
            for _ in 0..<2 {
                let keys = try await claim()
                #expect(keys.count == 1)
                let (name, key) = try #require(keys.members.first)
                #expect(["signed_curve25519:K1", "signed_curve25519:K2"].contains(name))
                #expect(seen.insert(name).inserted)  // never the same one-time key twice
                let object = try #require(key.objectValue)
                try JSONSigning.verify(object, entity: alice.userID, keyID: "ed25519:\(alice.deviceID)", publicKey: alice.identity.publicKey)
            }
            // Exhausted: the fallback key, again and again, now marked used.
            for _ in 0..<2 {
                let keys = try await claim()
                #expect(keys.keys == ["signed_curve25519:FB"])
                #expect(keys["signed_curve25519:FB"]?["fallback"] == true)
            }
            sync = try await alice.sync(client)
            #expect(sync["device_one_time_keys_count"]?["signed_curve25519"] == 0)
            #expect(sync["device_unused_fallback_key_types"] == [])
            // A new fallback key starts unused.
            let r = try await client.call(.post, "\(base)/keys/upload", token: alice.token,
                                          body: ["fallback_keys": .object(try alice.oneTimeKeys(["FB2"], fallback: true))])
            #expect(r.status == .ok)
            sync = try await alice.sync(client)
            #expect(sync["device_unused_fallback_key_types"] == ["signed_curve25519"])

            // Unknown devices and users are absent; remote servers are failures.
            let other = try await client.call(.post, "\(base)/keys/claim", token: bob.token, body: ["one_time_keys": [
                alice.userID: ["NODEVICE": "signed_curve25519"], "@x:remote.example": ["D": "signed_curve25519"]]])
            #expect(other.json["one_time_keys"]?[alice.userID] == nil)
            #expect(other.json["failures"]?["remote.example"] != nil)
            var bad = try await client.call(.post, "\(base)/keys/claim", token: bob.token, body: [:])
            #expect(bad.status == .badRequest && bad.json["errcode"] == "M_MISSING_PARAM")
            bad = try await client.call(.post, "\(base)/keys/claim", token: bob.token,
                                        body: ["one_time_keys": [alice.userID: [alice.deviceID: 1]]])
            #expect(bad.json["errcode"] == "M_BAD_JSON")
        }
        try await hs.close()
    }

    @Test func concurrentClaimsNeverShareAKey() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await E2EEDevice.register(client, "alice"), bob = try await E2EEDevice.register(client, "bob")
            try await alice.upload(client, oneTimeKeyIDs: (0..<8).map { "K\($0)" })
            let names = try await withThrowingTaskGroup(of: [String].self) { group in
                for _ in 0..<10 {
                    group.addTask {
                        let r = try await client.call(.post, "\(base)/keys/claim", token: bob.token,
                                                      body: ["one_time_keys": [alice.userID: [alice.deviceID: "signed_curve25519"]]])
                        return r.json["one_time_keys"]?[alice.userID]?[alice.deviceID]?.objectValue?.keys ?? []
                    }
                }
                return try await group.reduce(into: [String]()) { $0 += $1 }
            }
            #expect(names.count == 8)  // two claims found nothing (no fallback key)
            #expect(Set(names).count == 8)
        }
        try await hs.close()
    }

    @Test func keysChangesBetweenTokens() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await E2EEDevice.register(client, "alice"), bob = try await E2EEDevice.register(client, "bob")
            let stranger = try await E2EEDevice.register(client, "stranger")
            let room = try await createRoom(client, token: alice.token, ["invite": [.string(bob.userID)]])
            _ = try await client.call(.post, "\(base)/join/\(enc(room))", token: bob.token, body: [:])
            let from = try await alice.sync(client).nextBatch
            try await bob.upload(client)
            try await stranger.upload(client)
            let to = try await alice.sync(client).nextBatch
            var r = try await client.call(.get, "\(base)/keys/changes?from=\(from)&to=\(to)", token: alice.token)
            #expect(r.status == .ok)
            #expect(r.json["changed"] == [.string(bob.userID)])  // not the stranger: no room in common
            #expect(r.json["left"] == [])
            r = try await client.call(.get, "\(base)/keys/changes?from=\(to)&to=\(to)", token: alice.token)
            #expect(r.json["changed"] == [])
            r = try await client.call(.get, "\(base)/keys/changes?from=\(from)", token: alice.token)
            #expect(r.status == .badRequest && r.json["errcode"] == "M_MISSING_PARAM")
            r = try await client.call(.get, "\(base)/keys/changes?from=nonsense&to=\(to)", token: alice.token)
            #expect(r.status == .badRequest && r.json["errcode"] == "M_INVALID_PARAM")
        }
        try await hs.close()
    }
}
