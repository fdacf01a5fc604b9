import Foundation
import HummingbirdTesting
import MatrixProtocol
import Testing

private let base = "/_matrix/client/v3"

@Suite struct EditTests {
    func edit(_ rc: RoomClient, _ token: String, _ roomID: String, of original: String, _ body: String,
              newContent: Bool = true, type: String = "m.room.message") async throws -> String {
        var content: JSONObject = ["msgtype": "m.text", "body": .string("* " + body),
                                   "m.relates_to": ["rel_type": "m.replace", "event_id": .string(original)]]
        if newContent { content["m.new_content"] = ["msgtype": "m.text", "body": .string(body)] }
        return try await rc.send(token, roomID, content, type: type)
    }

    func replacement(_ event: JSONValue?) -> String? {
        event?["unsigned"]?["m.relations"]?["m.replace"]?["event_id"]?.stringValue
    }

    @Test func latestValidEditIsBundledEverywhere() async throws {
        let clock = TestClock()
        let hs = try await TestHomeserver.make(configure: openRegistration, clock: clock.clock)
        try await hs.test { client in
            let rc = RoomClient(client: client)
            let alice = try await registerUser(client, "alice"), bob = try await registerUser(client, "bob")
            let roomID = try await createRoom(client, token: alice.token, ["preset": "public_chat"])
            try await rc.join(bob.token, roomID)
            let original = try await rc.text(alice.token, roomID, "I like cake")
            clock.now += 1000
            let first = try await edit(rc, alice.token, roomID, of: original, "I like chocolate cake")
            clock.now += 1000
            let second = try await edit(rc, alice.token, roomID, of: original, "I really like chocolate cake")
            clock.now += 1000
            // Not valid: another sender, no m.new_content, another type.
            _ = try await edit(rc, bob.token, roomID, of: original, "bob was here")
            _ = try await edit(rc, alice.token, roomID, of: original, "no new content", newContent: false)
            _ = try await edit(rc, alice.token, roomID, of: original, "typed", type: "org.example.other")

            var r = try await client.call(.get, "\(base)/rooms/\(enc(roomID))/event/\(enc(original))", token: bob.token)
            #expect(replacement(.object(r.json)) == second)
            #expect(r.json["content"]?["body"] == "I like cake")  // the original content is left intact
            #expect(r.json["unsigned"]?["m.relations"]?["m.replace"]?["content"]?["m.new_content"]?["body"] == "I really like chocolate cake")

            r = try await client.call(.get, "\(base)/rooms/\(enc(roomID))/messages?dir=b&limit=20", token: bob.token)
            let chunk = r.json["chunk"]?.arrayValue ?? []
            #expect(replacement(chunk.first { $0["event_id"] == .string(original) }) == second)
            // Edits themselves carry no edit aggregation.
            #expect(replacement(chunk.first { $0["event_id"] == .string(first) }) == nil)

            r = try await client.call(.get, "\(base)/rooms/\(enc(roomID))/context/\(enc(original))?limit=4", token: bob.token)
            #expect(replacement(r.json["event"]) == second)

            let sync = try await rc.sync(bob.token, filter: #"{"room":{"timeline":{"limit":20}}}"#)
            let timeline = sync["rooms"]?["join"]?[roomID]?["timeline"]?["events"]?.arrayValue ?? []
            #expect(replacement(timeline.first { $0["event_id"] == .string(original) }) == second)

            r = try await client.call(.get, "/_matrix/client/v1/rooms/\(enc(roomID))/relations/\(enc(original))/m.replace", token: bob.token)
            #expect(r.json["chunk"]?.arrayValue?.count == 5)

            // Redacting the newest edit falls back to the one before it.
            r = try await client.call(.put, "\(base)/rooms/\(enc(roomID))/redact/\(enc(second))/\(UUID())", token: alice.token, body: [:])
            #expect(r.status == .ok)
            r = try await client.call(.get, "\(base)/rooms/\(enc(roomID))/event/\(enc(original))", token: bob.token)
            #expect(replacement(.object(r.json)) == first)

            // A redacted original bundles no edit.
            _ = try await client.call(.put, "\(base)/rooms/\(enc(roomID))/redact/\(enc(original))/\(UUID())", token: alice.token, body: [:])
            r = try await client.call(.get, "\(base)/rooms/\(enc(roomID))/event/\(enc(original))", token: bob.token)
            #expect(r.status == .ok && replacement(.object(r.json)) == nil)
        }
        try await hs.close()
    }

    @Test func sameTimestampPicksLargestEventID() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)  // a fixed clock: every event has the same ts
        try await hs.test { client in
            let rc = RoomClient(client: client)
            let alice = try await registerUser(client, "alice")
            let roomID = try await createRoom(client, token: alice.token)
            let original = try await rc.text(alice.token, roomID, "v0")
            var edits: [String] = []
            for i in 1...3 { edits.append(try await edit(rc, alice.token, roomID, of: original, "v\(i)")) }
            let r = try await client.call(.get, "\(base)/rooms/\(enc(roomID))/event/\(enc(original))", token: alice.token)
            #expect(replacement(.object(r.json)) == edits.max())
        }
        try await hs.close()
    }

    @Test func editsInThreadsAndRelations() async throws {
        let clock = TestClock()
        let hs = try await TestHomeserver.make(configure: openRegistration, clock: clock.clock)
        try await hs.test { client in
            let rc = RoomClient(client: client)
            let alice = try await registerUser(client, "alice")
            let roomID = try await createRoom(client, token: alice.token)
            let root = try await rc.text(alice.token, roomID, "root")
            clock.now += 10
            let reply = try await rc.threadReply(alice.token, roomID, root: root, "reply")
            clock.now += 10
            let fix = try await edit(rc, alice.token, roomID, of: reply, "reply, fixed")
            var r = try await client.call(.get, "/_matrix/client/v1/rooms/\(enc(roomID))/relations/\(enc(root))/m.thread", token: alice.token)
            #expect(r.json["chunk"]?.arrayValue?.map { $0["event_id"] } == [.string(reply)])
            #expect(replacement(r.json["chunk"]?.arrayValue?.first) == fix)
            r = try await client.call(.get, "/_matrix/client/v1/rooms/\(enc(roomID))/threads", token: alice.token)
            let summary = r.json["chunk"]?.arrayValue?.first?["unsigned"]?["m.relations"]?["m.thread"]
            #expect(summary?["latest_event"]?["event_id"] == .string(reply) && summary?["count"] == 1)
            #expect(replacement(summary?["latest_event"]) == fix)
        }
        try await hs.close()
    }
}

@Suite struct RelationVisibilityTests {
    @Test func relationsAndThreadsShowOnlyVisibleEvents() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let rc = RoomClient(client: client)
            let alice = try await registerUser(client, "alice"), bob = try await registerUser(client, "bob")
            let roomID = try await createRoom(client, token: alice.token, ["preset": "public_chat"])
            var r = try await client.call(.put, "\(base)/rooms/\(enc(roomID))/state/m.room.history_visibility", token: alice.token,
                                          body: ["history_visibility": "joined"])
            #expect(r.status == .ok)
            // A thread bob never sees: it was over before he joined.
            let early = try await rc.text(alice.token, roomID, "early root")
            _ = try await rc.threadReply(alice.token, roomID, root: early, "early reply")
            try await rc.join(bob.token, roomID)
            let root = try await rc.text(alice.token, roomID, "root")
            let seen1 = try await rc.threadReply(alice.token, roomID, root: root, "while bob is here")
            _ = try await client.call(.post, "\(base)/rooms/\(enc(roomID))/leave", token: bob.token, body: [:])
            let hidden = try await rc.threadReply(alice.token, roomID, root: root, "while bob is away")
            try await rc.join(bob.token, roomID)
            let seen2 = try await rc.threadReply(alice.token, roomID, root: root, "bob is back")

            let relations = "/_matrix/client/v1/rooms/\(enc(roomID))/relations"
            r = try await client.call(.get, "\(relations)/\(enc(root))", token: bob.token)
            #expect(r.json["chunk"]?.arrayValue?.map { $0["event_id"] } == [.string(seen2), .string(seen1)])
            r = try await client.call(.get, "\(relations)/\(enc(root))?dir=f&limit=1", token: bob.token)
            #expect(r.json["chunk"]?.arrayValue?.map { $0["event_id"] } == [.string(seen1)])
            r = try await client.call(.get, "\(relations)/\(enc(root))", token: alice.token)
            #expect(r.json["chunk"]?.arrayValue?.map { $0["event_id"] } == [.string(seen2), .string(hidden), .string(seen1)])

            // The earlier thread's root is invisible to bob: 404, as for an unknown event.
            r = try await client.call(.get, "\(relations)/\(enc(early))", token: bob.token)
            #expect(r.status == .notFound && r.json["errcode"] == "M_NOT_FOUND")
            #expect(try await client.call(.get, "\(relations)/\(enc(early))", token: alice.token).json["chunk"]?.arrayValue?.count == 1)

            r = try await client.call(.get, "/_matrix/client/v1/rooms/\(enc(roomID))/threads", token: bob.token)
            let chunk = r.json["chunk"]?.arrayValue ?? []
            #expect(chunk.map { $0["event_id"] } == [.string(root)])
            #expect(chunk.first?["unsigned"]?["m.relations"]?["m.thread"]?["count"] == 2)
            r = try await client.call(.get, "/_matrix/client/v1/rooms/\(enc(roomID))/threads", token: alice.token)
            #expect(r.json["chunk"]?.arrayValue?.map { $0["event_id"] } == [.string(root), .string(early)])
            #expect(r.json["chunk"]?.arrayValue?.first?["unsigned"]?["m.relations"]?["m.thread"]?["count"] == 3)

            // The thread summary in bob's timeline counts only what he may see too.
            r = try await client.call(.get, "\(base)/rooms/\(enc(roomID))/event/\(enc(root))", token: bob.token)
            #expect(r.json["unsigned"]?["m.relations"]?["m.thread"]?["count"] == 2)
        }
        try await hs.close()
    }
}

@Suite struct LazyMembersInMessagesTests {
    @Test func messagesCarryTheSendersMembers() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let rc = RoomClient(client: client)
            let alice = try await registerUser(client, "alice"), bob = try await registerUser(client, "bob")
            let carol = try await registerUser(client, "carol"), dave = try await registerUser(client, "dave")
            let roomID = try await createRoom(client, token: alice.token, ["preset": "public_chat"])
            for user in [bob, carol, dave] { try await rc.join(user.token, roomID) }
            _ = try await client.call(.put, "\(base)/profile/\(enc(carol.userID))/displayname", token: carol.token, body: ["displayname": "Carol"])
            _ = try await rc.text(bob.token, roomID, "from bob")
            _ = try await rc.text(carol.token, roomID, "from carol")
            let filter = #"{"lazy_load_members":true,"types":["m.room.message"]}"#.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            var r = try await client.call(.get, "\(base)/rooms/\(enc(roomID))/messages?dir=b&limit=2&filter=\(filter)", token: alice.token)
            #expect(r.status == .ok)
            let state = r.json["state"]?.arrayValue ?? []
            #expect(Set(state.compactMap { $0["state_key"]?.stringValue }) == [bob.userID, carol.userID])
            #expect(state.allSatisfy { $0["type"] == "m.room.member" && $0["content"]?["membership"] == "join" })
            #expect(state.first { $0["state_key"] == .string(carol.userID) }?["content"]?["displayname"] == "Carol")
            // Without lazy loading there is no state section.
            r = try await client.call(.get, "\(base)/rooms/\(enc(roomID))/messages?dir=b&limit=2", token: alice.token)
            #expect(r.json["state"] == nil)
            _ = dave
        }
        try await hs.close()
    }
}
