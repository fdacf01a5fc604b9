import Foundation
import Hummingbird
import HummingbirdTesting
import MatrixProtocol
import Testing

private let base = "/_matrix/client/v3"

@Suite struct DirectoryTests {
    @Test func aliases() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice"), bob = try await registerUser(client, "bob")
            let roomID = try await createRoom(client, token: alice.token)
            let alias = "\(base)/directory/room/\(enc("#hall:localhost"))"
            var r = try await client.call(.put, alias, token: alice.token, body: ["room_id": .string(roomID)])
            #expect(r.status == .ok)
            r = try await client.call(.get, alias)
            #expect(r.json["room_id"] == .string(roomID) && r.json["servers"] == ["localhost"])
            r = try await client.call(.put, alias, token: alice.token, body: ["room_id": .string(roomID)])
            #expect(r.status == .conflict)
            r = try await client.call(.put, "\(base)/directory/room/\(enc("#x:elsewhere"))", token: alice.token, body: ["room_id": .string(roomID)])
            #expect(r.json["errcode"] == "M_INVALID_PARAM")
            r = try await client.call(.put, "\(base)/directory/room/\(enc("#y:localhost"))", token: bob.token, body: ["room_id": .string(roomID)])
            #expect(r.status == .forbidden)  // bob is not in the room
            r = try await client.call(.put, "\(base)/directory/room/\(enc("#z:localhost"))", token: alice.token, body: [:])
            #expect(r.json["errcode"] == "M_MISSING_PARAM")
            r = try await client.call(.get, "\(base)/rooms/\(enc(roomID))/aliases", token: alice.token)
            #expect(r.json["aliases"] == ["#hall:localhost"])
            r = try await client.call(.delete, alias, token: bob.token)
            #expect(r.status == .forbidden)
            r = try await client.call(.delete, alias, token: alice.token)
            #expect(r.status == .ok)
            r = try await client.call(.get, alias)
            #expect(r.status == .notFound && r.json["errcode"] == "M_NOT_FOUND")
            r = try await client.call(.delete, alias, token: alice.token)
            #expect(r.status == .notFound)
        }
        try await hs.close()
    }

    @Test func publicRoomDirectory() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice"), bob = try await registerUser(client, "bob")
            let pub = try await createRoom(client, token: alice.token, ["visibility": "public", "preset": "public_chat", "name": "Welcome", "topic": "Say hi"])
            let priv = try await createRoom(client, token: alice.token, ["name": "Hidden"])
            var r = try await client.call(.get, "\(base)/publicRooms")
            #expect(r.json["chunk"]?.arrayValue?.map { $0["room_id"] } == [.string(pub)])
            let entry = r.json["chunk"]?.arrayValue?.first
            #expect(entry?["name"] == "Welcome" && entry?["num_joined_members"] == 1 && entry?["join_rule"] == "public")
            r = try await client.call(.get, "\(base)/directory/list/room/\(enc(priv))")
            #expect(r.json["visibility"] == "private")
            r = try await client.call(.put, "\(base)/directory/list/room/\(enc(priv))", token: bob.token, body: ["visibility": "public"])
            #expect(r.status == .forbidden)
            r = try await client.call(.put, "\(base)/directory/list/room/\(enc(priv))", token: alice.token, body: ["visibility": "everyone"])
            #expect(r.json["errcode"] == "M_INVALID_PARAM")
            r = try await client.call(.put, "\(base)/directory/list/room/\(enc(priv))", token: alice.token, body: ["visibility": "public"])
            #expect(r.status == .ok)
            r = try await client.call(.get, "\(base)/publicRooms?limit=1")
            #expect(r.json["chunk"]?.arrayValue?.count == 1 && r.json["total_room_count_estimate"] == 2)
            let next = try #require(r.json["next_batch"]?.stringValue)
            r = try await client.call(.get, "\(base)/publicRooms?limit=1&since=\(next)")
            #expect(r.json["chunk"]?.arrayValue?.count == 1 && r.json["next_batch"] == nil)
            r = try await client.call(.post, "\(base)/publicRooms", token: bob.token, body: ["filter": ["generic_search_term": "hidden"]])
            #expect(r.json["chunk"]?.arrayValue?.map { $0["room_id"] } == [.string(priv)])
            r = try await client.call(.post, "\(base)/publicRooms", body: [:])
            #expect(r.status == .unauthorized)
            r = try await client.call(.get, "\(base)/publicRooms?since=bogus")
            #expect(r.json["errcode"] == "M_INVALID_PARAM")
            r = try await client.call(.get, "\(base)/directory/list/room/\(enc("!nope:localhost"))")
            #expect(r.status == .notFound)
        }
        try await hs.close()
    }
}
