import ApusConfig
import Foundation
import Hummingbird
import HummingbirdTesting
import MatrixProtocol
import Services
import Sodium
import Testing

private let admin = "/_synapse/admin"
private let base = "/_matrix/client/v3"

/// An admin and a regular user on a fresh server with open registration.
private func withAdmin(configure: @escaping @Sendable (inout ApusConfiguration) -> Void = { _ in },
                       _ body: @Sendable @escaping (TestHomeserver, any TestClientProtocol, (userID: String, token: String, deviceID: String),
                                                    (userID: String, token: String, deviceID: String)) async throws -> Void) async throws {
    let hs = try await TestHomeserver.make(configure: { config in
        config.registration.enabled = true
        configure(&config)
    })
    try await hs.test { client in
        let root = try await registerUser(client, "root")
        let user = try await registerUser(client, "user")
        try await hs.homeserver.database.setAdmin(true, userID: root.userID)
        try await body(hs, client, root, user)
    }
    try await hs.close()
}

@Suite struct AdminUserTests {
    @Test func onlyAdminsGetIn() async throws {
        try await withAdmin { _, client, root, user in
            #expect(try await client.call(.get, "\(admin)/v2/users", token: user.token).status == .forbidden)
            #expect(try await client.call(.get, "\(admin)/v2/users").status == .unauthorized)
            #expect(try await client.call(.get, "\(admin)/v2/users", token: root.token).status == .ok)
            let version = try await client.call(.get, "\(admin)/v1/server_version")
            #expect(version.json["server_version"]?.stringValue?.hasPrefix("Apus") == true)
        }
    }

    @Test func listGetCreateModifyDeactivate() async throws {
        try await withAdmin { _, client, root, user in
            var r = try await client.call(.get, "\(admin)/v2/users?limit=1", token: root.token)
            #expect(r.json["total"] == 2 && r.json["users"]?.arrayValue?.count == 1 && r.json["next_token"] == "1")
            r = try await client.call(.get, "\(admin)/v2/users/\(enc(user.userID))", token: root.token)
            #expect(r.json["name"]?.stringValue == user.userID && r.json["admin"] == false)
            #expect(try await client.call(.get, "\(admin)/v2/users/\(enc("@ghost:localhost"))", token: root.token).status == .notFound)

            r = try await client.call(.put, "\(admin)/v2/users/\(enc("@carol:localhost"))", token: root.token,
                                      body: ["password": "carol-pw", "displayname": "Carol", "admin": true])
            #expect(r.status == .created && r.json["admin"] == true && r.json["displayname"] == "Carol")
            let login = try await client.call(.post, "\(base)/login", body: ["type": "m.login.password", "user": "carol", "password": "carol-pw"])
            #expect(login.status == .ok)
            r = try await client.call(.put, "\(admin)/v2/users/\(enc("@carol:localhost"))", token: root.token, body: ["admin": false])
            #expect(r.status == .ok && r.json["admin"] == false)
            r = try await client.call(.put, "\(admin)/v2/users/\(enc("@carol:localhost"))", token: root.token, body: ["deactivated": true])
            #expect(r.json["deactivated"] == true)
            let refused = try await client.call(.post, "\(base)/login", body: ["type": "m.login.password", "user": "carol", "password": "carol-pw"])
            #expect(refused.status == .forbidden)
            r = try await client.call(.put, "\(admin)/v2/users/\(enc("@x:elsewhere.example"))", token: root.token, body: [:])
            #expect(r.status == .badRequest)
            r = try await client.call(.get, "\(admin)/v1/whois/\(enc(user.userID))", token: root.token)
            #expect(r.json["devices"]?[user.deviceID] != nil)
        }
    }

    @Test func sharedSecretRegistration() async throws {
        try await withAdmin(configure: { $0.registration.sharedSecret = "s3cret" }) { _, client, _, _ in
            func mac(_ nonce: String, _ user: String, _ password: String, _ admin: Bool) -> String {
                let message = Array("\(nonce)\u{0}\(user)\u{0}\(password)\u{0}\(admin ? "admin" : "notadmin")".utf8)
                return HMAC.hex(HMAC.sha1(key: Array("s3cret".utf8), message: message))
            }
            var nonce = try await client.call(.get, "\(admin)/v1/register").json["nonce"]?.stringValue ?? ""
            var r = try await client.call(.post, "\(admin)/v1/register", body: [
                "nonce": .string(nonce), "username": "boss", "password": "pw", "admin": true, "mac": .string(mac(nonce, "boss", "pw", true))])
            #expect(r.status == .ok && r.json["user_id"] == "@boss:localhost" && r.json["access_token"] != nil, "\(r.json)")
            let token = r.json["access_token"]?.stringValue ?? ""
            #expect(try await client.call(.get, "\(admin)/v2/users", token: token).status == .ok)
            r = try await client.call(.post, "\(admin)/v1/register", body: [
                "nonce": .string(nonce), "username": "boss2", "password": "pw", "mac": .string(mac(nonce, "boss2", "pw", false))])
            #expect(r.status == .badRequest)  // a nonce is good once
            nonce = try await client.call(.get, "\(admin)/v1/register").json["nonce"]?.stringValue ?? ""
            r = try await client.call(.post, "\(admin)/v1/register", body: [
                "nonce": .string(nonce), "username": "boss3", "password": "pw", "mac": "0000"])
            #expect(r.status == .forbidden)
        }
        try await withAdmin { _, client, _, _ in
            let nonce = try await client.call(.get, "\(admin)/v1/register").json["nonce"]?.stringValue ?? ""
            let r = try await client.call(.post, "\(admin)/v1/register", body: ["nonce": .string(nonce), "username": "x", "password": "y", "mac": "z"])
            #expect(r.status == .badRequest)  // no shared secret configured
        }
    }

    @Test func registrationTokens() async throws {
        try await withAdmin { _, client, root, user in
            var r = try await client.call(.post, "\(admin)/v1/registration_tokens/new", token: root.token, body: ["token": "abc", "uses_allowed": 1])
            #expect(r.status == .ok && r.json["token"] == "abc" && r.json["uses_allowed"] == 1)
            r = try await client.call(.post, "\(admin)/v1/registration_tokens/new", token: root.token, body: ["token": "abc"])
            #expect(r.status == .badRequest)
            r = try await client.call(.post, "\(admin)/v1/registration_tokens/new", token: root.token, body: ["token": "bad token!"])
            #expect(r.json["errcode"] == "M_INVALID_PARAM")
            r = try await client.call(.post, "\(admin)/v1/registration_tokens/new", token: root.token, body: ["length": 8])
            #expect(r.json["token"]?.stringValue?.count == 8)
            r = try await client.call(.put, "\(admin)/v1/registration_tokens/abc", token: root.token, body: ["uses_allowed": 0])
            #expect(r.json["uses_allowed"] == 0)
            r = try await client.call(.get, "\(admin)/v1/registration_tokens?valid=false", token: root.token)
            #expect(r.json["registration_tokens"]?.arrayValue?.map { $0["token"] } == ["abc"])
            #expect(try await client.call(.delete, "\(admin)/v1/registration_tokens/abc", token: root.token).status == .ok)
            #expect(try await client.call(.get, "\(admin)/v1/registration_tokens/abc", token: root.token).status == .notFound)
            #expect(try await client.call(.get, "\(admin)/v1/registration_tokens", token: user.token).status == .forbidden)
        }
    }
}

@Suite struct AdminRoomTests {
    @Test func listInspectAndDeleteRooms() async throws {
        try await withAdmin { _, client, root, user in
            let room = try await createRoom(client, token: user.token, ["preset": "public_chat", "name": "Doomed", "room_alias_name": "doomed"])
            var r = try await client.call(.get, "\(admin)/v1/rooms", token: root.token)
            let first = r.json["rooms"]?.arrayValue?.first
            #expect(r.json["total_rooms"] == 1 && first?["name"] == "Doomed" && first?["joined_local_members"] == 1)
            r = try await client.call(.get, "\(admin)/v1/rooms/\(enc(room))/members", token: root.token)
            #expect(r.json["members"] == [.string(user.userID)])
            r = try await client.call(.get, "\(admin)/v1/rooms/\(enc(room))/state", token: root.token)
            #expect(r.json["state"]?.arrayValue?.contains { $0["type"] == "m.room.name" } == true)
            #expect(try await client.call(.get, "\(admin)/v1/rooms/\(enc("!nope:localhost"))", token: root.token).status == .notFound)
            r = try await client.call(.delete, "\(admin)/v2/rooms/\(enc(room))", token: root.token, body: ["purge": true])
            #expect(r.status == .ok && r.json["kicked_users"] == [.string(user.userID)], "\(r.json)")
            #expect(try await client.call(.get, "\(admin)/v1/rooms/\(enc(room))", token: root.token).status == .notFound)
            let joined = try await client.call(.get, "\(base)/joined_rooms", token: user.token)
            #expect(joined.json["joined_rooms"] == [])
            #expect(try await client.call(.get, "\(base)/directory/room/\(enc("#doomed:localhost"))").status == .notFound)
        }
    }

    @Test func purgeHistoryAndServerNotices() async throws {
        try await withAdmin { hs, client, root, user in
            let room = try await createRoom(client, token: user.token, ["preset": "public_chat"])
            for n in 0..<3 {
                _ = try await client.call(.put, "\(base)/rooms/\(enc(room))/send/m.room.message/p\(n)", token: user.token,
                                          body: ["msgtype": "m.text", "body": .string("old \(n)")])
            }
            var r = try await client.call(.post, "\(admin)/v1/purge_history/\(enc(room))", token: root.token,
                                          body: ["purge_up_to_ts": .int(TestHomeserver.now + 1), "delete_local_events": true])
            #expect(r.status == .ok && (r.json["deleted_events"]?.intValue ?? 0) >= 2, "\(r.json)")
            r = try await client.call(.post, "\(admin)/v1/purge_history/\(enc(room))", token: root.token, body: [:])
            #expect(r.json["errcode"] == "M_MISSING_PARAM")

            r = try await client.call(.post, "\(admin)/v1/send_server_notice", token: root.token,
                                      body: ["user_id": .string(user.userID), "content": ["msgtype": "m.text", "body": "Maintenance tonight"]])
            #expect(r.status == .ok && r.json["event_id"] != nil, "\(r.json)")
            let sync = try await client.call(.get, "\(base)/sync", token: user.token)
            let invites = sync.json["rooms"]?["invite"]?.objectValue ?? [:]
            #expect(invites.count == 1)
            r = try await client.call(.post, "\(admin)/v1/send_server_notice", token: root.token,
                                      body: ["user_id": "@x:elsewhere.example", "content": ["msgtype": "m.text", "body": "x"]])
            #expect(r.status == .badRequest)
            _ = hs
        }
    }
}
