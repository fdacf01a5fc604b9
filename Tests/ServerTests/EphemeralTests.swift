import Foundation
import Hummingbird
import HummingbirdTesting
import MatrixProtocol
import Testing

private let base = "/_matrix/client/v3"

@Suite struct AccountDataTests {
    @Test func globalAndRoomAccountDataInSync() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice"), bob = try await registerUser(client, "bob")
            let me = "\(base)/user/\(enc("@alice:localhost"))"
            var r = try await client.call(.put, "\(me)/account_data/org.example.settings", token: alice.token, body: ["theme": "dark"])
            #expect(r.status == .ok)
            r = try await client.call(.get, "\(me)/account_data/org.example.settings", token: alice.token)
            #expect(r.json == ["theme": "dark"])
            r = try await client.call(.get, "\(me)/account_data/org.example.none", token: alice.token)
            #expect(r.status == .notFound)
            r = try await client.call(.get, "\(me)/account_data/org.example.settings", token: bob.token)
            #expect(r.status == .forbidden)
            r = try await client.call(.put, "\(me)/account_data/m.push_rules", token: alice.token, body: [:])
            #expect(r.status == .methodNotAllowed)

            var sync = try await client.call(.get, "\(base)/sync", token: alice.token)
            #expect(sync.json["account_data"]?["events"]?.arrayValue?.contains { $0["type"] == "org.example.settings" } == true)
            let next = try #require(sync.json["next_batch"]?.stringValue)
            let roomID = try await createRoom(client, token: alice.token)
            sync = try await client.call(.get, "\(base)/sync?since=\(next)", token: alice.token)
            let afterRoom = try #require(sync.json["next_batch"]?.stringValue)
            r = try await client.call(.put, "\(me)/rooms/\(enc(roomID))/account_data/org.example.tag", token: alice.token, body: ["x": 1])
            #expect(r.status == .ok)
            sync = try await client.call(.get, "\(base)/sync?since=\(afterRoom)&timeout=5000", token: alice.token)
            let roomData = sync.json["rooms"]?["join"]?[roomID]?["account_data"]?["events"]?.arrayValue
            #expect(roomData?.first?["type"] == "org.example.tag" && roomData?.first?["content"]?["x"] == 1)
            #expect(sync.json["account_data"]?["events"]?.arrayValue?.isEmpty == true)
            r = try await client.call(.put, "\(me)/rooms/\(enc("!not:localhost"))/account_data/x", token: alice.token, body: [:])
            #expect(r.status == .forbidden)
        }
        try await hs.close()
    }

    @Test func typingAndReceipts() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice"), bob = try await registerUser(client, "bob")
            let roomID = try await createRoom(client, token: alice.token, ["preset": "public_chat"])
            _ = try await client.call(.post, "\(base)/join/\(enc(roomID))", token: bob.token, body: [:])
            let next = try #require(try await client.call(.get, "\(base)/sync", token: bob.token).json["next_batch"]?.stringValue)
            var r = try await client.call(.put, "\(base)/rooms/\(enc(roomID))/typing/\(enc("@alice:localhost"))", token: alice.token,
                                          body: ["typing": true, "timeout": 10000])
            #expect(r.status == .ok)
            var sync = try await client.call(.get, "\(base)/sync?since=\(next)&timeout=5000", token: bob.token)
            let ephemeral = sync.json["rooms"]?["join"]?[roomID]?["ephemeral"]?["events"]?.arrayValue ?? []
            #expect(ephemeral.first { $0["type"] == "m.typing" }?["content"]?["user_ids"] == ["@alice:localhost"])
            let afterTyping = try #require(sync.json["next_batch"]?.stringValue)
            r = try await client.call(.put, "\(base)/rooms/\(enc(roomID))/typing/\(enc("@bob:localhost"))", token: alice.token, body: ["typing": true])
            #expect(r.status == .forbidden)
            r = try await client.call(.put, "\(base)/rooms/\(enc(roomID))/typing/\(enc("@alice:localhost"))", token: alice.token, body: [:])
            #expect(r.json["errcode"] == "M_MISSING_PARAM")

            let message = try await client.call(.put, "\(base)/rooms/\(enc(roomID))/send/m.room.message/t1", token: alice.token,
                                                body: ["msgtype": "m.text", "body": "read me"])
            let eventID = try #require(message.json["event_id"]?.stringValue)
            r = try await client.call(.post, "\(base)/rooms/\(enc(roomID))/receipt/m.read/\(enc(eventID))", token: bob.token, body: [:])
            #expect(r.status == .ok)
            sync = try await client.call(.get, "\(base)/sync?since=\(afterTyping)", token: alice.token)
            let receipts = sync.json["rooms"]?["join"]?[roomID]?["ephemeral"]?["events"]?.arrayValue?.first { $0["type"] == "m.receipt" }
            #expect(receipts?["content"]?[eventID]?["m.read"]?["@bob:localhost"]?["ts"] != nil)
            r = try await client.call(.post, "\(base)/rooms/\(enc(roomID))/receipt/m.bogus/\(enc(eventID))", token: bob.token, body: [:])
            #expect(r.json["errcode"] == "M_INVALID_PARAM")
            r = try await client.call(.post, "\(base)/rooms/\(enc(roomID))/receipt/m.read/\(enc("$unknown"))", token: bob.token, body: [:])
            #expect(r.status == .notFound)
            r = try await client.call(.post, "\(base)/rooms/\(enc(roomID))/read_markers", token: bob.token, body: ["m.fully_read": .string(eventID)])
            #expect(r.status == .ok)
            r = try await client.call(.get, "\(base)/user/\(enc("@bob:localhost"))/rooms/\(enc(roomID))/account_data/m.fully_read", token: bob.token)
            #expect(r.json["event_id"] == .string(eventID))
        }
        try await hs.close()
    }
}

@Suite struct TagTests {
    @Test func tagsRoundTripAndSync() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice"), bob = try await registerUser(client, "bob")
            let roomID = try await createRoom(client, token: alice.token)
            let tags = "/_matrix/client/v3/user/\(enc("@alice:localhost"))/rooms/\(enc(roomID))/tags"
            var r = try await client.call(.put, "\(tags)/u.work", token: alice.token, body: ["order": 0.5])
            #expect(r.status == .ok)
            r = try await client.call(.put, "\(tags)/m.favourite", token: alice.token, body: [:])
            r = try await client.call(.get, tags, token: alice.token)
            #expect(r.json["tags"]?.objectValue?.keys == ["m.favourite", "u.work"])
            #expect(r.json["tags"]?["u.work"]?["order"] == 0.5)
            r = try await client.call(.delete, "\(tags)/u.work", token: alice.token)
            r = try await client.call(.get, tags, token: alice.token)
            #expect(r.json["tags"]?.objectValue?.keys == ["m.favourite"])
            r = try await client.call(.put, "\(tags)/u.x", token: alice.token, body: ["order": "high"])
            #expect(r.json["errcode"] == "M_BAD_JSON")
            r = try await client.call(.get, tags, token: bob.token)
            #expect(r.status == .forbidden)
            let sync = try await client.call(.get, "/_matrix/client/v3/sync", token: alice.token)
            let data = sync.json["rooms"]?["join"]?[roomID]?["account_data"]?["events"]?.arrayValue
            #expect(data?.first { $0["type"] == "m.tag" }?["content"]?["tags"]?["m.favourite"] != nil)
        }
        try await hs.close()
    }
}

@Suite struct PresenceAndContextTests {
    @Test func presence() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice"), bob = try await registerUser(client, "bob"), carol = try await registerUser(client, "carol")
            let roomID = try await createRoom(client, token: alice.token, ["preset": "public_chat"])
            _ = try await client.call(.post, "/_matrix/client/v3/join/\(enc(roomID))", token: bob.token, body: [:])
            let me = "/_matrix/client/v3/presence/\(enc("@alice:localhost"))/status"
            var r = try await client.call(.put, me, token: alice.token, body: ["presence": "unavailable", "status_msg": "lunch"])
            #expect(r.status == .ok)
            r = try await client.call(.get, me, token: bob.token)
            #expect(r.json["presence"] == "unavailable" && r.json["status_msg"] == "lunch" && r.json["last_active_ago"] != nil)
            r = try await client.call(.get, me, token: carol.token)
            #expect(r.status == .forbidden)  // shares no room
            r = try await client.call(.put, me, token: bob.token, body: ["presence": "online"])
            #expect(r.status == .forbidden)
            r = try await client.call(.put, me, token: alice.token, body: ["presence": "dancing"])
            #expect(r.json["errcode"] == "M_INVALID_PARAM")
            r = try await client.call(.put, me, token: alice.token, body: [:])
            #expect(r.json["errcode"] == "M_MISSING_PARAM")
            _ = try await client.call(.get, "/_matrix/client/v3/sync?set_presence=online", token: alice.token)
            r = try await client.call(.get, me, token: alice.token)
            #expect(r.json["presence"] == "online" && r.json["status_msg"] == "lunch" && r.json["currently_active"] == true)
            r = try await client.call(.get, "/_matrix/client/v3/sync?set_presence=asleep", token: alice.token)
            #expect(r.json["errcode"] == "M_INVALID_PARAM")
        }
        try await hs.close()
    }

    @Test func context() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice"), bob = try await registerUser(client, "bob")
            let roomID = try await createRoom(client, token: alice.token)
            var ids: [String] = []
            for i in 0..<5 {
                let r = try await client.call(.put, "/_matrix/client/v3/rooms/\(enc(roomID))/send/m.room.message/c\(i)", token: alice.token,
                                              body: ["msgtype": "m.text", "body": .string("m\(i)")])
                ids.append(r.json["event_id"]?.stringValue ?? "")
            }
            let base = "/_matrix/client/v3/rooms/\(enc(roomID))/context"
            var r = try await client.call(.get, "\(base)/\(enc(ids[2]))?limit=4", token: alice.token)
            #expect(r.status == .ok)
            #expect(r.json["event"]?["event_id"] == .string(ids[2]))
            #expect(r.json["events_before"]?.arrayValue?.map { $0["event_id"] } == [.string(ids[1]), .string(ids[0])])
            #expect(r.json["events_after"]?.arrayValue?.map { $0["event_id"] } == [.string(ids[3]), .string(ids[4])])
            #expect(r.json["state"]?.arrayValue?.contains { $0["type"] == "m.room.create" } == true)
            #expect(r.json["start"]?.stringValue?.hasPrefix("s") == true && r.json["end"] != nil)
            r = try await client.call(.get, "\(base)/\(enc("$missing"))", token: alice.token)
            #expect(r.status == .notFound)
            r = try await client.call(.get, "\(base)/\(enc(ids[2]))", token: bob.token)
            #expect(r.status == .forbidden)
            r = try await client.call(.get, "\(base)/\(enc(ids[2]))?limit=x", token: alice.token)
            #expect(r.json["errcode"] == "M_INVALID_PARAM")
        }
        try await hs.close()
    }
}

@Suite struct RelationsTests {
    @Test func relationsAndThreads() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice"), bob = try await registerUser(client, "bob"), carol = try await registerUser(client, "carol")
            let roomID = try await createRoom(client, token: alice.token, ["preset": "public_chat"])
            _ = try await client.call(.post, "/_matrix/client/v3/join/\(enc(roomID))", token: bob.token, body: [:])
            let room = "/_matrix/client/v3/rooms/\(enc(roomID))"
            func send(_ token: String, _ txn: String, _ content: JSONObject, type: String = "m.room.message") async throws -> String {
                let r = try await client.call(.put, "\(room)/send/\(type)/\(txn)", token: token, body: content)
                #expect(r.status == .ok)
                return r.json["event_id"]?.stringValue ?? ""
            }
            let root = try await send(alice.token, "r", ["msgtype": "m.text", "body": "root"])
            let reply1 = try await send(bob.token, "t1", ["msgtype": "m.text", "body": "one",
                                                          "m.relates_to": ["rel_type": "m.thread", "event_id": .string(root)]])
            let reply2 = try await send(alice.token, "t2", ["msgtype": "m.text", "body": "two",
                                                            "m.relates_to": ["rel_type": "m.thread", "event_id": .string(root)]])
            let reaction = try await send(bob.token, "x", ["m.relates_to": ["rel_type": "m.annotation", "event_id": .string(root), "key": "👍"]],
                                          type: "m.reaction")
            let edit = try await send(alice.token, "e", ["msgtype": "m.text", "body": "* edited",
                                                         "m.relates_to": ["rel_type": "m.replace", "event_id": .string(reply2)]])
            let rel = "/_matrix/client/v1/rooms/\(enc(roomID))/relations/\(enc(root))"
            var r = try await client.call(.get, rel, token: alice.token)
            #expect(r.json["chunk"]?.arrayValue?.map { $0["event_id"] } == [.string(reaction), .string(reply2), .string(reply1)])
            r = try await client.call(.get, "\(rel)/m.thread", token: alice.token)
            #expect(r.json["chunk"]?.arrayValue?.map { $0["event_id"] } == [.string(reply2), .string(reply1)])
            r = try await client.call(.get, "\(rel)/m.annotation/m.reaction", token: alice.token)
            #expect(r.json["chunk"]?.arrayValue?.map { $0["event_id"] } == [.string(reaction)])
            r = try await client.call(.get, "\(rel)?limit=1&dir=f", token: alice.token)
            #expect(r.json["chunk"]?.arrayValue?.map { $0["event_id"] } == [.string(reply1)])
            let next = try #require(r.json["next_batch"]?.stringValue)
            r = try await client.call(.get, "\(rel)?limit=5&dir=f&from=\(next)", token: alice.token)
            #expect(r.json["chunk"]?.arrayValue?.first?["event_id"] == .string(reply2))
            r = try await client.call(.get, "\(rel)?recurse=true", token: alice.token)
            #expect(r.json["chunk"]?.arrayValue?.contains { $0["event_id"] == .string(edit) } == true)
            #expect(r.json["recursion_depth"] == 2)
            r = try await client.call(.get, rel, token: carol.token)
            #expect(r.status == .forbidden)
            r = try await client.call(.get, "/_matrix/client/v1/rooms/\(enc(roomID))/relations/\(enc("$nope"))", token: alice.token)
            #expect(r.status == .notFound)
            r = try await client.call(.get, "\(rel)?dir=sideways", token: alice.token)
            #expect(r.json["errcode"] == "M_INVALID_PARAM")

            let threads = "/_matrix/client/v1/rooms/\(enc(roomID))/threads"
            r = try await client.call(.get, threads, token: bob.token)
            let thread = r.json["chunk"]?.arrayValue?.first
            #expect(thread?["event_id"] == .string(root))
            #expect(thread?["unsigned"]?["m.relations"]?["m.thread"]?["count"] == 2)
            #expect(thread?["unsigned"]?["m.relations"]?["m.thread"]?["latest_event"]?["event_id"] == .string(reply2))
            #expect(thread?["unsigned"]?["m.relations"]?["m.thread"]?["current_user_participated"] == true)
            // The root carries its thread summary in /messages and /sync too.
            r = try await client.call(.get, "\(room)/messages?dir=b&limit=20", token: bob.token)
            let inMessages = r.json["chunk"]?.arrayValue?.first { $0["event_id"] == .string(root) }
            #expect(inMessages?["unsigned"]?["m.relations"]?["m.thread"]?["count"] == 2)
            r = try await client.call(.get, "/_matrix/client/v3/sync?filter=%7B%22room%22%3A%7B%22timeline%22%3A%7B%22limit%22%3A20%7D%7D%7D", token: bob.token)
            let inSync = r.json["rooms"]?["join"]?[roomID]?["timeline"]?["events"]?.arrayValue?.first { $0["event_id"] == .string(root) }
            #expect(inSync?["unsigned"]?["m.relations"]?["m.thread"]?["latest_event"]?["event_id"] == .string(reply2))
            _ = try await client.call(.post, "/_matrix/client/v3/join/\(enc(roomID))", token: carol.token, body: [:])
            r = try await client.call(.get, "\(threads)?include=participated", token: carol.token)
            #expect(r.json["chunk"]?.arrayValue?.isEmpty == true)
            r = try await client.call(.get, "\(threads)?include=some", token: carol.token)
            #expect(r.json["errcode"] == "M_INVALID_PARAM")
        }
        try await hs.close()
    }
}

@Suite struct TimestampTests {
    @Test func timestampToEvent() async throws {
        let clock = TestClock()
        let hs = try await TestHomeserver.make(configure: openRegistration, clock: clock.clock)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice"), bob = try await registerUser(client, "bob")
            let roomID = try await createRoom(client, token: alice.token)
            clock.now += 1000
            let first = try await client.call(.put, "/_matrix/client/v3/rooms/\(enc(roomID))/send/m.room.message/a", token: alice.token, body: ["body": "a"])
            clock.now += 1000
            let second = try await client.call(.put, "/_matrix/client/v3/rooms/\(enc(roomID))/send/m.room.message/b", token: alice.token, body: ["body": "b"])
            let base = "/_matrix/client/v1/rooms/\(enc(roomID))/timestamp_to_event"
            var r = try await client.call(.get, "\(base)?ts=\(TestHomeserver.now + 1500)&dir=f", token: alice.token)
            #expect(r.json["event_id"] == second.json["event_id"] && r.json["origin_server_ts"] == .int(TestHomeserver.now + 2000))
            r = try await client.call(.get, "\(base)?ts=\(TestHomeserver.now + 1500)&dir=b", token: alice.token)
            #expect(r.json["event_id"] == first.json["event_id"])
            r = try await client.call(.get, "\(base)?ts=\(TestHomeserver.now + 99999)&dir=f", token: alice.token)
            #expect(r.status == .notFound)
            r = try await client.call(.get, "\(base)?ts=abc&dir=f", token: alice.token)
            #expect(r.json["errcode"] == "M_INVALID_PARAM")
            r = try await client.call(.get, "\(base)?ts=1", token: alice.token)
            #expect(r.json["errcode"] == "M_MISSING_PARAM")
            r = try await client.call(.get, "\(base)?ts=1&dir=f", token: bob.token)
            #expect(r.status == .forbidden)
        }
        try await hs.close()
    }
}

@Suite struct PresenceSyncTests {
    @Test func presenceChangesReachRoomPeers() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice"), bob = try await registerUser(client, "bob"), carol = try await registerUser(client, "carol")
            let roomID = try await createRoom(client, token: alice.token, ["preset": "public_chat"])
            _ = try await client.call(.post, "/_matrix/client/v3/join/\(enc(roomID))", token: bob.token, body: [:])
            let bobNext = try #require(try await client.call(.get, "/_matrix/client/v3/sync?set_presence=offline", token: bob.token).json["next_batch"]?.stringValue)
            let carolNext = try #require(try await client.call(.get, "/_matrix/client/v3/sync?set_presence=offline", token: carol.token).json["next_batch"]?.stringValue)
            _ = try await client.call(.put, "/_matrix/client/v3/presence/\(enc("@alice:localhost"))/status", token: alice.token,
                                      body: ["presence": "online", "status_msg": "here"])
            let r = try await client.call(.get, "/_matrix/client/v3/sync?since=\(bobNext)&timeout=5000&set_presence=offline", token: bob.token)
            let events = r.json["presence"]?["events"]?.arrayValue ?? []
            #expect(events.contains { $0["sender"] == "@alice:localhost" && $0["content"]?["status_msg"] == "here" })
            let c = try await client.call(.get, "/_matrix/client/v3/sync?since=\(carolNext)&set_presence=offline", token: carol.token)
            #expect(!(c.json["presence"]?["events"]?.arrayValue ?? []).contains { $0["sender"] == "@alice:localhost" })
        }
        try await hs.close()
    }
}
