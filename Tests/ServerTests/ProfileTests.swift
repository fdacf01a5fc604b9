import Foundation
import Hummingbird
import HummingbirdTesting
import MatrixProtocol
import Testing

private let base = "/_matrix/client/v3"

@Suite struct ProfileTests {
    @Test func setAndGetPropagatesToRooms() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice"), bob = try await registerUser(client, "bob")
            let me = "\(base)/profile/\(enc("@alice:localhost"))"
            var r = try await client.call(.put, "\(me)/displayname", token: alice.token, body: ["displayname": "Alice"])
            #expect(r.status == .ok)
            r = try await client.call(.put, "\(me)/avatar_url", token: alice.token, body: ["avatar_url": "mxc://localhost/abc"])
            #expect(r.status == .ok)
            r = try await client.call(.get, me, token: bob.token)
            #expect(r.json == ["displayname": "Alice", "avatar_url": "mxc://localhost/abc"])
            r = try await client.call(.get, "\(me)/displayname", token: bob.token)
            #expect(r.json == ["displayname": "Alice"])
            // Rooms joined from now on carry the profile in the member event...
            let roomID = try await createRoom(client, token: alice.token, ["preset": "public_chat"])
            r = try await client.call(.get, "\(base)/rooms/\(enc(roomID))/state/m.room.member/\(enc("@alice:localhost"))", token: alice.token)
            #expect(r.json["displayname"] == "Alice" && r.json["membership"] == "join")
            // ...and a change is sent into rooms already joined.
            r = try await client.call(.put, "\(me)/displayname", token: alice.token, body: ["displayname": "Alice B."])
            r = try await client.call(.get, "\(base)/rooms/\(enc(roomID))/state/m.room.member/\(enc("@alice:localhost"))", token: alice.token)
            #expect(r.json["displayname"] == "Alice B." && r.json["avatar_url"] == "mxc://localhost/abc")
        }
        try await hs.close()
    }

    @Test func errors() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice"), bob = try await registerUser(client, "bob")
            let me = "\(base)/profile/\(enc("@alice:localhost"))"
            var r = try await client.call(.put, "\(me)/displayname", token: bob.token, body: ["displayname": "Mallory"])
            #expect(r.status == .forbidden)
            r = try await client.call(.put, "\(me)/displayname", token: alice.token, body: [:])
            #expect(r.json["errcode"] == "M_MISSING_PARAM")
            r = try await client.call(.put, "\(me)/displayname", token: alice.token, body: ["displayname": 5])
            #expect(r.json["errcode"] == "M_BAD_JSON")
            r = try await client.call(.put, "\(me)/avatar_url", token: alice.token, body: ["avatar_url": "https://evil.example/x.png"])
            #expect(r.json["errcode"] == "M_BAD_JSON")
            r = try await client.call(.put, "\(me)/displayname", token: alice.token, body: ["displayname": .string(String(repeating: "x", count: 300))])
            #expect(r.json["errcode"] == "M_BAD_JSON")
            r = try await client.call(.get, "\(me)/displayname", token: alice.token)
            #expect(r.status == .notFound)  // none set
            r = try await client.call(.get, "\(base)/profile/\(enc("@nobody:localhost"))", token: alice.token)
            #expect(r.status == .notFound && r.json["errcode"] == "M_NOT_FOUND")
            r = try await client.call(.get, "\(base)/profile/not-a-user", token: alice.token)
            #expect(r.json["errcode"] == "M_INVALID_PARAM")
            r = try await client.call(.get, me)
            #expect(r.status == .unauthorized)
        }
        try await hs.close()
    }
}
