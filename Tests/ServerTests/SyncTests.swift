import ApusConfig
import Foundation
import Hummingbird
import HummingbirdTesting
import MatrixProtocol
import Services
import Testing

private let base = "/_matrix/client/v3"

@Suite struct SyncTests {
    func send(_ client: some TestClientProtocol, _ token: String, _ roomID: String, _ body: String) async throws -> String {
        let r = try await client.call(.put, "\(base)/rooms/\(enc(roomID))/send/m.room.message/\(UUID())", token: token,
                                      body: ["msgtype": "m.text", "body": .string(body)])
        #expect(r.status == .ok)
        return r.json["event_id"]?.stringValue ?? ""
    }

    @Test func initialAndIncremental() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice")
            let roomID = try await createRoom(client, token: alice.token, ["name": "R"])
            let first = try await send(client, alice.token, roomID, "one")
            var r = try await client.call(.get, "\(base)/sync", token: alice.token)
            #expect(r.status == .ok)
            let room = r.json["rooms"]?["join"]?[roomID]
            let timeline = room?["timeline"]?["events"]?.arrayValue ?? []
            #expect(timeline.last?["event_id"] == .string(first))
            #expect(timeline.last?["room_id"] == nil)  // sync events omit room_id
            let stateTypes = Set((room?["state"]?["events"]?.arrayValue ?? []).compactMap { $0["type"]?.stringValue })
            let timelineTypes = Set(timeline.compactMap { $0["type"]?.stringValue })
            #expect(stateTypes.union(timelineTypes).isSuperset(of: ["m.room.create", "m.room.member", "m.room.power_levels", "m.room.name"]))
            let next = try #require(r.json["next_batch"]?.stringValue)

            // Nothing new: an empty incremental sync comes back at once with timeout=0.
            r = try await client.call(.get, "\(base)/sync?since=\(next)&timeout=0", token: alice.token)
            #expect(r.json["rooms"]?["join"]?.objectValue?.isEmpty == true)
            #expect(r.json["next_batch"] == .string(next))

            let second = try await send(client, alice.token, roomID, "two")
            r = try await client.call(.get, "\(base)/sync?since=\(next)", token: alice.token)
            let incremental = r.json["rooms"]?["join"]?[roomID]
            #expect(incremental?["timeline"]?["events"]?.arrayValue?.map { $0["event_id"] } == [.string(second)])
            #expect(incremental?["timeline"]?["limited"] == false)
            #expect(incremental?["state"]?["events"]?.arrayValue?.isEmpty == true)

            r = try await client.call(.get, "\(base)/sync?since=garbage", token: alice.token)
            #expect(r.status == .badRequest && r.json["errcode"] == "M_INVALID_PARAM")
            r = try await client.call(.get, "\(base)/sync?timeout=-5", token: alice.token)
            #expect(r.json["errcode"] == "M_INVALID_PARAM")
            r = try await client.call(.get, "\(base)/sync")
            #expect(r.status == .unauthorized)
        }
        try await hs.close()
    }

    @Test func limitedTimelineAndGappyState() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice")
            let roomID = try await createRoom(client, token: alice.token)
            let next = try #require(try await client.call(.get, "\(base)/sync", token: alice.token).json["next_batch"]?.stringValue)
            let rename = try await client.call(.put, "\(base)/rooms/\(enc(roomID))/state/m.room.name", token: alice.token, body: ["name": "New"])
            for i in 0..<3 { _ = try await send(client, alice.token, roomID, "m\(i)") }
            let filter = #"{"room":{"timeline":{"limit":2}}}"#.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let r = try await client.call(.get, "\(base)/sync?since=\(next)&filter=\(filter)", token: alice.token)
            let room = r.json["rooms"]?["join"]?[roomID]
            #expect(room?["timeline"]?["limited"] == true)
            #expect(room?["timeline"]?["events"]?.arrayValue?.count == 2)
            // The rename fell in the gap: it is in the state section.
            #expect(room?["state"]?["events"]?.arrayValue?.contains { $0["event_id"] == rename.json["event_id"] } == true)
            #expect(room?["timeline"]?["prev_batch"]?.stringValue?.hasPrefix("s") == true)
        }
        try await hs.close()
    }

    @Test func longPollWakesOnNewEvent() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice")
            let roomID = try await createRoom(client, token: alice.token)
            let next = try #require(try await client.call(.get, "\(base)/sync", token: alice.token).json["next_batch"]?.stringValue)
            let started = ContinuousClock.now
            async let polled = client.call(.get, "\(base)/sync?since=\(next)&timeout=20000", token: alice.token)
            try await Task.sleep(for: .milliseconds(200))
            let eventID = try await send(client, alice.token, roomID, "wake up")
            let r = try await polled
            #expect(ContinuousClock.now - started < .seconds(10))
            #expect(r.json["rooms"]?["join"]?[roomID]?["timeline"]?["events"]?.arrayValue?.last?["event_id"] == .string(eventID))
        }
        try await hs.close()
    }

    @Test func invitesAndLeaves() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice"), bob = try await registerUser(client, "bob"), carol = try await registerUser(client, "carol")
            let roomID = try await createRoom(client, token: alice.token, ["name": "Secret", "invite": ["@bob:localhost", "@carol:localhost"]])
            let r = try await client.call(.get, "\(base)/sync", token: bob.token)
            let invite = r.json["rooms"]?["invite"]?[roomID]?["invite_state"]?["events"]?.arrayValue ?? []
            let types = invite.map { "\($0["type"]?.stringValue ?? "")|\($0["state_key"]?.stringValue ?? "")" }
            #expect(types.contains("m.room.create|") && types.contains("m.room.name|") && types.contains("m.room.member|@bob:localhost"))
            #expect(!types.contains("m.room.member|@carol:localhost"))  // other invitees are not revealed
            #expect(r.json["rooms"]?["join"]?[roomID] == nil)
            let next = try #require(r.json["next_batch"]?.stringValue)
            _ = try await client.call(.post, "\(base)/rooms/\(enc(roomID))/leave", token: bob.token, body: [:])  // reject
            let after = try await client.call(.get, "\(base)/sync?since=\(next)", token: bob.token)
            #expect(after.json["rooms"]?["leave"]?[roomID] != nil)
            #expect(after.json["rooms"]?["invite"]?[roomID] == nil)
            _ = carol
        }
        try await hs.close()
    }

    @Test func messagesPagination() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice"), bob = try await registerUser(client, "bob")
            let roomID = try await createRoom(client, token: alice.token)
            var sent: [String] = []
            for i in 0..<5 { sent.append(try await send(client, alice.token, roomID, "m\(i)")) }
            let room = "\(base)/rooms/\(enc(roomID))"
            var r = try await client.call(.get, "\(room)/messages?dir=b&limit=2", token: alice.token)
            #expect(r.json["chunk"]?.arrayValue?.map { $0["event_id"] } == [.string(sent[4]), .string(sent[3])])
            let end = try #require(r.json["end"]?.stringValue)
            r = try await client.call(.get, "\(room)/messages?dir=b&limit=2&from=\(end)", token: alice.token)
            #expect(r.json["chunk"]?.arrayValue?.map { $0["event_id"] } == [.string(sent[2]), .string(sent[1])])
            let back = try #require(r.json["end"]?.stringValue)
            r = try await client.call(.get, "\(room)/messages?dir=f&limit=3&from=\(back)", token: alice.token)
            #expect(r.json["chunk"]?.arrayValue?.map { $0["event_id"] } == [.string(sent[1]), .string(sent[2]), .string(sent[3])])
            r = try await client.call(.get, "\(room)/messages?dir=b&limit=100&filter=%7B%22types%22%3A%5B%22m.room.create%22%5D%7D", token: alice.token)
            #expect(r.status == .ok)
            r = try await client.call(.get, "\(room)/messages?limit=2", token: alice.token)
            #expect(r.status == .badRequest && r.json["errcode"] == "M_MISSING_PARAM")
            r = try await client.call(.get, "\(room)/messages?dir=x", token: alice.token)
            #expect(r.json["errcode"] == "M_INVALID_PARAM")
            r = try await client.call(.get, "\(room)/messages?dir=b&from=zzz", token: alice.token)
            #expect(r.json["errcode"] == "M_INVALID_PARAM")
            r = try await client.call(.get, "\(room)/messages?dir=b", token: bob.token)
            #expect(r.status == .forbidden)
        }
        try await hs.close()
    }

    @Test func filters() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice"), bob = try await registerUser(client, "bob")
            var r = try await client.call(.post, "\(base)/user/\(enc("@alice:localhost"))/filter", token: alice.token,
                                          body: ["room": ["timeline": ["limit": 1]]])
            let id = try #require(r.json["filter_id"]?.stringValue)
            r = try await client.call(.get, "\(base)/user/\(enc("@alice:localhost"))/filter/\(id)", token: alice.token)
            #expect(r.json["room"]?["timeline"]?["limit"] == 1)
            r = try await client.call(.get, "\(base)/user/\(enc("@alice:localhost"))/filter/\(id)", token: bob.token)
            #expect(r.status == .forbidden)
            r = try await client.call(.get, "\(base)/user/\(enc("@alice:localhost"))/filter/999", token: alice.token)
            #expect(r.status == .notFound)
            r = try await client.call(.post, "\(base)/user/\(enc("@alice:localhost"))/filter", token: alice.token,
                                      body: ["room": ["timeline": ["limit": "ten"]]])
            #expect(r.json["errcode"] == "M_BAD_JSON")
            let roomID = try await createRoom(client, token: alice.token)
            r = try await client.call(.get, "\(base)/sync?filter=\(id)", token: alice.token)
            #expect(r.json["rooms"]?["join"]?[roomID]?["timeline"]?["events"]?.arrayValue?.count == 1)
            #expect(r.json["rooms"]?["join"]?[roomID]?["timeline"]?["limited"] == true)
            r = try await client.call(.get, "\(base)/sync?filter=12345", token: alice.token)
            #expect(r.json["errcode"] == "M_INVALID_PARAM")
        }
        try await hs.close()
    }
}

@Suite struct LazyLoadingTests {
    @Test func lazyLoadMembersSendsOnlyRelevantMembers() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice")
            let roomID = try await createRoom(client, token: alice.token, ["preset": "public_chat"])
            var tokens: [String] = []
            for name in ["bob", "carol", "dan"] {
                let user = try await registerUser(client, name)
                tokens.append(user.token)
                _ = try await client.call(.post, "/_matrix/client/v3/join/\(enc(roomID))", token: user.token, body: [:])
            }
            for i in 0..<3 {
                _ = try await client.call(.put, "/_matrix/client/v3/rooms/\(enc(roomID))/send/m.room.message/l\(i)", token: tokens[0],
                                          body: ["msgtype": "m.text", "body": "from bob"])
            }
            func members(_ response: (status: HTTPResponse.Status, json: JSONObject)) -> Set<String> {
                let state = response.json["rooms"]?["join"]?[roomID]?["state"]?["events"]?.arrayValue ?? []
                return Set(state.filter { $0["type"] == "m.room.member" }.compactMap { $0["state_key"]?.stringValue })
            }
            let lazy = #"{"room":{"timeline":{"limit":2},"state":{"lazy_load_members":true}}}"#.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let plain = #"{"room":{"timeline":{"limit":2}}}"#.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            var r = try await client.call(.get, "/_matrix/client/v3/sync?filter=\(lazy)", token: alice.token)
            #expect(members(r) == ["@alice:localhost", "@bob:localhost"])
            let next = try #require(r.json["next_batch"]?.stringValue)
            r = try await client.call(.get, "/_matrix/client/v3/sync?filter=\(plain)", token: alice.token)
            #expect(members(r) == ["@alice:localhost", "@bob:localhost", "@carol:localhost", "@dan:localhost"])
            // Incremental: carol speaks; her member event comes along although it is not new.
            _ = try await client.call(.put, "/_matrix/client/v3/rooms/\(enc(roomID))/send/m.room.message/c", token: tokens[1],
                                      body: ["msgtype": "m.text", "body": "from carol"])
            r = try await client.call(.get, "/_matrix/client/v3/sync?since=\(next)&filter=\(lazy)", token: alice.token)
            #expect(members(r).contains("@carol:localhost") && !members(r).contains("@dan:localhost"))
        }
        try await hs.close()
    }
}

@Suite struct HistoryVisibilityTests {
    /// Alice's public room with this history visibility, its path, and Bob, not in it yet.
    static func aliceRoomAndBob(_ client: some TestClientProtocol, visibility: String) async throws
        -> (alice: (userID: String, token: String, deviceID: String), bob: (userID: String, token: String, deviceID: String),
            roomID: String, room: String) {
        let alice = try await registerUser(client, "alice"), bob = try await registerUser(client, "bob")
        let roomID = try await createRoom(client, token: alice.token, ["preset": "public_chat", "initial_state": [
            ["type": "m.room.history_visibility", "content": ["history_visibility": .string(visibility)]]]])
        return (alice, bob, roomID, "/_matrix/client/v3/rooms/\(enc(roomID))")
    }

    /// `unsigned.membership`: the requester's membership at each event, its own change included,
    /// "leave" before they were ever in the room.
    @Test func eventsSayTheRequestersMembershipAtThem() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice"), bob = try await registerUser(client, "bob")
            let roomID = try await createRoom(client, token: alice.token, ["preset": "public_chat"])
            let room = "/_matrix/client/v3/rooms/\(enc(roomID))"
            let before = try await client.call(.put, "\(room)/send/m.room.message/b", token: alice.token, body: ["body": "before"])
            _ = try await client.call(.post, "\(room)/invite", token: alice.token, body: ["user_id": .string(bob.userID)])
            _ = try await client.call(.post, "\(room)/join", token: bob.token, body: [:])
            let during = try await client.call(.put, "\(room)/send/m.room.message/d", token: alice.token, body: ["body": "during"])
            let beforeID = try #require(before.json["event_id"]?.stringValue), duringID = try #require(during.json["event_id"]?.stringValue)
            func memberships(_ events: [JSONValue]) -> [String] {
                events.compactMap { event in
                    let label = event["content"]?["body"]?.stringValue ?? event["content"]?["membership"]?.stringValue
                    return label.map { "\($0): \(event["unsigned"]?["membership"]?.stringValue ?? "none")" }
                }
            }
            let expected = ["before: leave", "invite: invite", "join: join", "during: join"]
            let page = try await client.call(.get, "\(room)/messages?dir=f&limit=50", token: bob.token)
            #expect(memberships(page.json["chunk"]?.arrayValue ?? []).suffix(4) == expected[...])
            let sync = try await client.call(.get, "/_matrix/client/v3/sync?filter=\(enc(#"{"room":{"timeline":{"limit":50}}}"#))", token: bob.token)
            #expect(memberships(sync.json["rooms"]?["join"]?[roomID]?["timeline"]?["events"]?.arrayValue ?? []).suffix(4) == expected[...])
            let single = try await client.call(.get, "\(room)/event/\(enc(beforeID))", token: bob.token)
            #expect(single.json["unsigned"]?["membership"] == "leave")
            let around = try await client.call(.get, "\(room)/context/\(enc(duringID))", token: bob.token)
            #expect(around.json["event"]?["unsigned"]?["membership"] == "join")
            // Alice, in the room from its start, was joined at every one of them.
            let hers = try await client.call(.get, "\(room)/messages?dir=f&limit=50", token: alice.token)
            #expect(memberships(hers.json["chunk"]?.arrayValue ?? []).suffix(4) == ["before: join", "invite: join", "join: join", "during: join"])
        }
        try await hs.close()
    }

    /// A member who left sees history up to and including their own leave, and nothing after.
    @Test(arguments: ["joined", "shared"])
    func formerMembersSeeTheirOwnLeave(_ visibility: String) async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let (alice, bob, _, room) = try await Self.aliceRoomAndBob(client, visibility: visibility)
            _ = try await client.call(.post, "\(room)/join", token: bob.token, body: [:])
            _ = try await client.call(.put, "\(room)/send/m.room.message/during", token: alice.token, body: ["body": "during"])
            let leave = try await client.call(.post, "\(room)/leave", token: bob.token, body: [:])
            #expect(leave.status == .ok)
            let after = try await client.call(.put, "\(room)/send/m.room.message/after", token: alice.token, body: ["body": "after"])
            let page = try await client.call(.get, "\(room)/messages?dir=b&limit=10", token: bob.token)
            let chunk = page.json["chunk"]?.arrayValue ?? []
            #expect(chunk.first?["type"] == "m.room.member" && chunk.first?["content"]?["membership"] == "leave"
                    && chunk.first?["state_key"] == .string(bob.userID), "\(visibility): \(chunk.first.map { "\($0)" } ?? "nothing")")
            let bodies = chunk.compactMap { $0["content"]?["body"]?.stringValue }
            #expect(bodies.contains("during") && !bodies.contains("after"), "\(visibility): \(bodies)")
            let leaveID = try #require(chunk.first?["event_id"]?.stringValue)
            #expect(try await client.call(.get, "\(room)/event/\(enc(leaveID))", token: bob.token).status == .ok)
            let afterID = try #require(after.json["event_id"]?.stringValue)
            #expect(try await client.call(.get, "\(room)/event/\(enc(afterID))", token: bob.token).status == .notFound)
            let carol = try await registerUser(client, "carol")
            let outsider = try await client.call(.get, "\(room)/event/\(enc(leaveID))", token: carol.token)
            #expect(outsider.status == .forbidden && outsider.json["errcode"] == "M_FORBIDDEN")
        }
        try await hs.close()
    }

    @Test(arguments: [("joined", false), ("shared", true), ("invited", false), ("world_readable", true)])
    func newMembersSeeHistoryByVisibility(_ visibility: String, seesOldMessage: Bool) async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let (alice, bob, roomID, room) = try await Self.aliceRoomAndBob(client, visibility: visibility)
            let old = try await client.call(.put, "\(room)/send/m.room.message/old", token: alice.token, body: ["body": "before bob"])
            let oldID = try #require(old.json["event_id"]?.stringValue)
            _ = try await client.call(.post, "\(room)/invite", token: alice.token, body: ["user_id": "@bob:localhost"])
            let invited = try await client.call(.put, "\(room)/send/m.room.message/inv", token: alice.token, body: ["body": "while invited"])
            _ = try await client.call(.post, "/_matrix/client/v3/join/\(enc(roomID))", token: bob.token, body: [:])
            let new = try await client.call(.put, "\(room)/send/m.room.message/new", token: alice.token, body: ["body": "after bob"])
            let messages = try await client.call(.get, "\(room)/messages?dir=b&limit=50", token: bob.token)
            let seen = Set((messages.json["chunk"]?.arrayValue ?? []).compactMap { $0["event_id"]?.stringValue })
            #expect(seen.contains(oldID) == seesOldMessage, "\(visibility): old message")
            #expect(seen.contains(try #require(new.json["event_id"]?.stringValue)), "\(visibility): new message")
            #expect(seen.contains(try #require(invited.json["event_id"]?.stringValue)) == (visibility != "joined"), "\(visibility): while invited")
            let event = try await client.call(.get, "\(room)/event/\(enc(oldID))", token: bob.token)
            #expect((event.status == .ok) == seesOldMessage)
            let sync = try await client.call(.get, "/_matrix/client/v3/sync", token: bob.token)
            let timeline = Set((sync.json["rooms"]?["join"]?[roomID]?["timeline"]?["events"]?.arrayValue ?? []).compactMap { $0["event_id"]?.stringValue })
            #expect(!timeline.contains(oldID) || seesOldMessage, "\(visibility): sync")
        }
        try await hs.close()
    }
}
