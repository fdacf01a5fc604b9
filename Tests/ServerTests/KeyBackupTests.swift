import Foundation
import Hummingbird
import HummingbirdTesting
import MatrixProtocol
import Testing

private let base = e2eeBase
private let algorithm = "m.megolm_backup.v1.curve25519-aes-sha2"

/// Server-side key backups: `/room_keys/version` and `/room_keys/keys`.
@Suite struct KeyBackupTests {
    func keyData(first: Int64, forwarded: Int64, verified: Bool, tag: String = "x") -> JSONObject {
        ["first_message_index": .int(first), "forwarded_count": .int(forwarded), "is_verified": .bool(verified),
         "session_data": ["ephemeral": .string(tag), "ciphertext": "c", "mac": "m"]]
    }

    @Test func versionLifecycle() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await E2EEDevice.register(client, "alice"), bob = try await E2EEDevice.register(client, "bob")
            var r = try await client.call(.get, "\(base)/room_keys/version", token: alice.token)
            #expect(r.status == .notFound && r.json["errcode"] == "M_NOT_FOUND")
            r = try await client.call(.post, "\(base)/room_keys/version", token: alice.token,
                                      body: ["algorithm": .string(algorithm), "auth_data": ["public_key": "abc"]])
            #expect(r.status == .ok && r.json["version"] == "1")
            r = try await client.call(.get, "\(base)/room_keys/version", token: alice.token)
            #expect(r.json["version"] == "1" && r.json["algorithm"] == .string(algorithm) && r.json["count"] == 0)
            #expect(r.json["auth_data"] == ["public_key": "abc"] && r.json["etag"]?.stringValue != nil)
            // Backups are per user.
            r = try await client.call(.get, "\(base)/room_keys/version/1", token: bob.token)
            #expect(r.status == .notFound)

            r = try await client.call(.put, "\(base)/room_keys/version/1", token: alice.token,
                                      body: ["algorithm": .string(algorithm), "auth_data": ["public_key": "def"], "version": "2"])
            #expect(r.status == .badRequest && r.json["errcode"] == "M_INVALID_PARAM")
            r = try await client.call(.put, "\(base)/room_keys/version/1", token: alice.token,
                                      body: ["algorithm": "other.algorithm", "auth_data": ["public_key": "def"]])
            #expect(r.status == .badRequest && r.json["errcode"] == "M_INVALID_PARAM")
            r = try await client.call(.put, "\(base)/room_keys/version/1", token: alice.token, body: ["algorithm": .string(algorithm)])
            #expect(r.json["errcode"] == "M_MISSING_PARAM")
            r = try await client.call(.put, "\(base)/room_keys/version/7", token: alice.token,
                                      body: ["algorithm": .string(algorithm), "auth_data": [:]])
            #expect(r.status == .notFound && r.json["errcode"] == "M_NOT_FOUND")
            r = try await client.call(.put, "\(base)/room_keys/version/1", token: alice.token,
                                      body: ["algorithm": .string(algorithm), "auth_data": ["public_key": "def"], "version": "1"])
            #expect(r.status == .ok)
            r = try await client.call(.get, "\(base)/room_keys/version/1", token: alice.token)
            #expect(r.json["auth_data"] == ["public_key": "def"])

            r = try await client.call(.post, "\(base)/room_keys/version", token: alice.token,
                                      body: ["algorithm": .string(algorithm), "auth_data": [:]])
            #expect(r.json["version"] == "2")
            #expect(try await client.call(.get, "\(base)/room_keys/version", token: alice.token).json["version"] == "2")
            r = try await client.call(.delete, "\(base)/room_keys/version/2", token: alice.token)
            #expect(r.status == .ok)
            r = try await client.call(.delete, "\(base)/room_keys/version/2", token: alice.token)  // deleted already: fine
            #expect(r.status == .ok)
            r = try await client.call(.get, "\(base)/room_keys/version/2", token: alice.token)
            #expect(r.status == .notFound)
            #expect(try await client.call(.get, "\(base)/room_keys/version", token: alice.token).json["version"] == "1")
            // A deleted version's number is never handed out again.
            r = try await client.call(.post, "\(base)/room_keys/version", token: alice.token,
                                      body: ["algorithm": .string(algorithm), "auth_data": [:]])
            #expect(r.json["version"] == "3")
            r = try await client.call(.delete, "\(base)/room_keys/version/99", token: alice.token)
            #expect(r.status == .notFound && r.json["errcode"] == "M_NOT_FOUND")
            r = try await client.call(.get, "\(base)/room_keys/version/abc", token: alice.token)
            #expect(r.status == .notFound)
            r = try await client.call(.post, "\(base)/room_keys/version", token: alice.token, body: ["auth_data": [:]])
            #expect(r.status == .badRequest && r.json["errcode"] == "M_MISSING_PARAM")
            r = try await client.call(.post, "\(base)/room_keys/version", token: alice.token, body: ["algorithm": .string(algorithm), "auth_data": 3])
            #expect(r.json["errcode"] == "M_BAD_JSON")
            r = try await client.call(.get, "\(base)/room_keys/version")
            #expect(r.status == .unauthorized)
        }
        try await hs.close()
    }

    @Test func keysAtEveryLevel() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await E2EEDevice.register(client, "alice")
            let room1 = "!one:localhost", room2 = "!two:localhost"
            var r = try await client.call(.put, "\(base)/room_keys/keys/\(enc(room1))/s1?version=1", token: alice.token,
                                          body: keyData(first: 0, forwarded: 0, verified: false))
            #expect(r.status == .notFound && r.json["errcode"] == "M_NOT_FOUND")  // no backup at all
            _ = try await client.call(.post, "\(base)/room_keys/version", token: alice.token, body: ["algorithm": .string(algorithm), "auth_data": [:]])
            let etag0 = try await client.call(.get, "\(base)/room_keys/version", token: alice.token).json["etag"]

            r = try await client.call(.put, "\(base)/room_keys/keys/\(enc(room1))/s1?version=1", token: alice.token,
                                      body: keyData(first: 0, forwarded: 0, verified: false))
            #expect(r.status == .ok && r.json["count"] == 1 && r.json["etag"] != etag0)
            r = try await client.call(.put, "\(base)/room_keys/keys/\(enc(room1))?version=1", token: alice.token,
                                      body: ["sessions": ["s2": .object(keyData(first: 1, forwarded: 0, verified: true))]])
            #expect(r.json["count"] == 2)
            r = try await client.call(.put, "\(base)/room_keys/keys?version=1", token: alice.token,
                                      body: ["rooms": [room2: ["sessions": ["s3": .object(keyData(first: 2, forwarded: 1, verified: false))]]]])
            #expect(r.json["count"] == 3)
            let etag = r.json["etag"]

            r = try await client.call(.get, "\(base)/room_keys/keys?version=1", token: alice.token)
            #expect(r.json["rooms"]?[room1]?["sessions"]?.objectValue?.keys == ["s1", "s2"])
            #expect(r.json["rooms"]?[room2]?["sessions"]?["s3"] == .object(keyData(first: 2, forwarded: 1, verified: false)))
            r = try await client.call(.get, "\(base)/room_keys/keys/\(enc(room1))?version=1", token: alice.token)
            #expect(r.json["sessions"]?.objectValue?.count == 2)
            r = try await client.call(.get, "\(base)/room_keys/keys/\(enc(room1))/s2?version=1", token: alice.token)
            #expect(r.json == keyData(first: 1, forwarded: 0, verified: true))
            r = try await client.call(.get, "\(base)/room_keys/keys/\(enc(room1))/nope?version=1", token: alice.token)
            #expect(r.status == .notFound && r.json["errcode"] == "M_NOT_FOUND")
            r = try await client.call(.get, "\(base)/room_keys/keys/%21empty%3Alocalhost?version=1", token: alice.token)
            #expect(r.status == .ok && r.json == ["sessions": [:]])
            r = try await client.call(.get, "\(base)/room_keys/keys?version=5", token: alice.token)
            #expect(r.status == .notFound)
            r = try await client.call(.get, "\(base)/room_keys/keys", token: alice.token)
            #expect(r.status == .badRequest && r.json["errcode"] == "M_MISSING_PARAM")
            let version = try await client.call(.get, "\(base)/room_keys/version", token: alice.token)
            #expect(version.json["count"] == 3 && version.json["etag"] == etag)

            // Writing to a version that is not the current one.
            _ = try await client.call(.post, "\(base)/room_keys/version", token: alice.token, body: ["algorithm": .string(algorithm), "auth_data": [:]])
            r = try await client.call(.put, "\(base)/room_keys/keys/\(enc(room1))/s9?version=1", token: alice.token,
                                      body: keyData(first: 0, forwarded: 0, verified: false))
            #expect(r.status == .forbidden && r.json["errcode"] == "M_WRONG_ROOM_KEYS_VERSION" && r.json["current_version"] == "2")
            // Old versions can still be read and emptied.
            r = try await client.call(.delete, "\(base)/room_keys/keys/\(enc(room1))/s1?version=1", token: alice.token)
            #expect(r.status == .ok && r.json["count"] == 2 && r.json["etag"] != etag)
            r = try await client.call(.delete, "\(base)/room_keys/keys/\(enc(room1))?version=1", token: alice.token)
            #expect(r.json["count"] == 1)
            r = try await client.call(.delete, "\(base)/room_keys/keys?version=1", token: alice.token)
            #expect(r.json["count"] == 0)
            r = try await client.call(.delete, "\(base)/room_keys/keys?version=8", token: alice.token)
            #expect(r.status == .notFound)

            r = try await client.call(.put, "\(base)/room_keys/keys/\(enc(room1))/s1?version=2", token: alice.token,
                                      body: ["forwarded_count": 0, "is_verified": false, "session_data": [:]])
            #expect(r.status == .badRequest && r.json["errcode"] == "M_MISSING_PARAM")
            r = try await client.call(.put, "\(base)/room_keys/keys/\(enc(room1))/s1?version=2", token: alice.token,
                                      body: ["first_message_index": 0, "forwarded_count": 0, "is_verified": false, "session_data": "x"])
            #expect(r.json["errcode"] == "M_BAD_JSON")
            r = try await client.call(.put, "\(base)/room_keys/keys?version=2", token: alice.token, body: [:])
            #expect(r.json["errcode"] == "M_MISSING_PARAM")
        }
        try await hs.close()
    }

    @Test func betterKeysReplaceWorseOnes() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await E2EEDevice.register(client, "alice")
            _ = try await client.call(.post, "\(base)/room_keys/version", token: alice.token, body: ["algorithm": .string(algorithm), "auth_data": [:]])
            let uri = "\(base)/room_keys/keys/\(enc("!r:localhost"))/s?version=1"
            func put(_ data: JSONObject) async throws -> JSONValue? {
                try await client.call(.put, uri, token: alice.token, body: data).json["etag"]
            }
            func stored() async throws -> String? { try await client.call(.get, uri, token: alice.token).json["session_data"]?["ephemeral"]?.stringValue }

            var etag = try await put(keyData(first: 5, forwarded: 1, verified: false, tag: "a"))
            // Lower first_message_index wins (same verification).
            var next = try await put(keyData(first: 3, forwarded: 4, verified: false, tag: "b"))
            #expect(try await stored() == "b" && next != etag)
            etag = next
            // Higher index loses, whatever the forwarded count.
            next = try await put(keyData(first: 4, forwarded: 0, verified: false, tag: "c"))
            #expect(try await stored() == "b" && next == etag)  // nothing changed: same etag
            // Same index: lower forwarded_count wins; an exact tie keeps the old key.
            _ = try await put(keyData(first: 3, forwarded: 2, verified: false, tag: "d"))
            #expect(try await stored() == "d")
            _ = try await put(keyData(first: 3, forwarded: 2, verified: false, tag: "e"))
            #expect(try await stored() == "d")
            // A verified key beats unverified ones even with a worse index ...
            _ = try await put(keyData(first: 9, forwarded: 9, verified: true, tag: "f"))
            #expect(try await stored() == "f")
            // ... and is not replaced by an unverified one with a better index.
            _ = try await put(keyData(first: 0, forwarded: 0, verified: false, tag: "g"))
            #expect(try await stored() == "f")
        }
        try await hs.close()
    }
}
