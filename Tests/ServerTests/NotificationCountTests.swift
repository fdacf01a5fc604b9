import Foundation
import HummingbirdTesting
import MatrixProtocol
import Store
import Testing

private let base = "/_matrix/client/v3"

/// Helpers shared by the notification, edit and relation tests.
struct RoomClient {
    let client: any TestClientProtocol

    @discardableResult
    func send(_ token: String, _ roomID: String, _ content: JSONObject, type: String = "m.room.message") async throws -> String {
        let r = try await client.call(.put, "\(base)/rooms/\(enc(roomID))/send/\(type)/\(UUID())", token: token, body: content)
        #expect(r.status == .ok, "send: \(r.json)")
        return r.json["event_id"]?.stringValue ?? ""
    }

    func text(_ token: String, _ roomID: String, _ body: String, mentions: [String]? = nil) async throws -> String {
        var content: JSONObject = ["msgtype": "m.text", "body": .string(body)]
        if let mentions { content["m.mentions"] = ["user_ids": JSONValue(mentions)] }
        return try await send(token, roomID, content)
    }

    func threadReply(_ token: String, _ roomID: String, root: String, _ body: String) async throws -> String {
        try await send(token, roomID, ["msgtype": "m.text", "body": .string(body),
                                       "m.relates_to": ["rel_type": "m.thread", "event_id": .string(root)]])
    }

    func join(_ token: String, _ roomID: String) async throws {
        let r = try await client.call(.post, "\(base)/join/\(enc(roomID))", token: token, body: [:])
        #expect(r.status == .ok, "join: \(r.json)")
    }

    func receipt(_ token: String, _ roomID: String, _ eventID: String, type: String = "m.read", thread: String? = nil) async throws {
        var body: JSONObject = [:]
        if let thread { body["thread_id"] = .string(thread) }
        let r = try await client.call(.post, "\(base)/rooms/\(enc(roomID))/receipt/\(type)/\(enc(eventID))", token: token, body: body)
        #expect(r.status == .ok, "receipt: \(r.json)")
    }

    func sync(_ token: String, since: String? = nil, filter: String? = nil) async throws -> JSONObject {
        var query: [String] = []
        if let since { query.append("since=\(since)") }
        if let filter { query.append("filter=\(filter.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)") }
        return try await client.call(.get, "\(base)/sync" + (query.isEmpty ? "" : "?" + query.joined(separator: "&")), token: token).json
    }

    /// (notification_count, highlight_count) of a joined room in a sync response.
    func counts(_ sync: JSONObject, _ roomID: String) -> (Int64?, Int64?) {
        let unread = sync["rooms"]?["join"]?[roomID]?["unread_notifications"]
        return (unread?["notification_count"]?.intValue, unread?["highlight_count"]?.intValue)
    }
}

@Suite struct NotificationCountTests {
    typealias User = (userID: String, token: String, deviceID: String)

    /// A fresh server where bob has joined alice's public room: `body` gets the client, both
    /// users and the room.
    private func withAliceAndBob(
        _ body: @escaping @Sendable (any TestClientProtocol, RoomClient, User, User, String) async throws -> Void
    ) async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let rc = RoomClient(client: client)
            let alice = try await registerUser(client, "alice"), bob = try await registerUser(client, "bob")
            let roomID = try await createRoom(client, token: alice.token, ["preset": "public_chat"])
            try await rc.join(bob.token, roomID)
            try await body(client, rc, alice, bob, roomID)
        }
        try await hs.close()
    }

    @Test func countsRiseWithMessagesAndMentionsAndFallAfterReceipts() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let rc = RoomClient(client: client)
            let alice = try await registerUser(client, "alice"), bob = try await registerUser(client, "bob")
            let carol = try await registerUser(client, "carol")
            let roomID = try await createRoom(client, token: alice.token, ["preset": "public_chat"])
            try await rc.join(bob.token, roomID)
            try await rc.join(carol.token, roomID)
            var sync = try await rc.sync(bob.token)
            #expect(rc.counts(sync, roomID) == (0, 0))
            var next = try #require(sync["next_batch"]?.stringValue)

            let one = try await rc.text(alice.token, roomID, "one")
            let two = try await rc.text(alice.token, roomID, "two")
            // The count comes in the same sync as the events.
            sync = try await rc.sync(bob.token, since: next)
            #expect(sync["rooms"]?["join"]?[roomID]?["timeline"]?["events"]?.arrayValue?.count == 2)
            #expect(rc.counts(sync, roomID) == (2, 0))
            next = try #require(sync["next_batch"]?.stringValue)

            let mention = try await rc.text(alice.token, roomID, "hey bob", mentions: [bob.userID])
            _ = try await rc.send(alice.token, roomID, ["msgtype": "m.notice", "body": "a bot says"])  // suppressed
            _ = try await rc.send(alice.token, roomID, ["key": "👍", "m.relates_to": ["rel_type": "m.annotation", "event_id": .string(two), "key": "👍"]],
                                  type: "m.reaction")
            sync = try await rc.sync(bob.token, since: next)
            #expect(rc.counts(sync, roomID) == (3, 1))
            // The sender is never notified; carol was not mentioned.
            #expect(rc.counts(try await rc.sync(alice.token), roomID) == (0, 0))
            #expect(rc.counts(try await rc.sync(carol.token), roomID) == (3, 0))
            next = try #require(sync["next_batch"]?.stringValue)

            // A receipt reads everything up to its event.
            try await rc.receipt(bob.token, roomID, two)
            sync = try await rc.sync(bob.token, since: next)
            #expect(rc.counts(sync, roomID) == (1, 1))
            try await rc.receipt(bob.token, roomID, mention, type: "m.read.private")
            sync = try await rc.sync(bob.token, since: try #require(sync["next_batch"]?.stringValue))
            #expect(rc.counts(sync, roomID) == (0, 0))
            // The receipt further ahead counts: an older m.read does not bring notifications back.
            try await rc.receipt(bob.token, roomID, one)
            #expect(rc.counts(try await rc.sync(bob.token), roomID) == (0, 0))

            // Sending marks the room read up to the sent event.
            _ = try await rc.text(alice.token, roomID, "three")
            #expect(rc.counts(try await rc.sync(bob.token), roomID) == (1, 0))
            _ = try await rc.text(bob.token, roomID, "I'm here")
            #expect(rc.counts(try await rc.sync(bob.token), roomID) == (0, 0))

            // A one-to-one room uses its own rule (still a notification).
            let dm = try await createRoom(client, token: alice.token, ["preset": "public_chat"])
            try await rc.join(carol.token, dm)
            _ = try await rc.text(alice.token, dm, "psst")
            #expect(rc.counts(try await rc.sync(carol.token), dm) == (1, 0))
        }
        try await hs.close()
    }

    @Test func membersSharingTheirRulesAreNotifiedOfEachOthersMessagesNotTheirOwn() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let rc = RoomClient(client: client)
            var users: [User] = []
            for name in ["alice", "bob", "carol", "dan"] { users.append(try await registerUser(client, name)) }
            let roomID = try await createRoom(client, token: users[0].token, ["preset": "public_chat"])
            for user in users.dropFirst() { try await rc.join(user.token, roomID) }
            // Everyone has the default rules: one shape, decided at once, each sender left out.
            let plan = [0, 1, 1, 2, 0, 1, 2, 0]
            for (i, sender) in plan.enumerated() { _ = try await rc.text(users[sender].token, roomID, "m\(i)") }
            // What others sent after one's own last message; dan never sent.
            let expected: [Int64] = [0, 2, 1, 8]
            for (number, (user, count)) in zip(users, expected).enumerated() {
                #expect(rc.counts(try await rc.sync(user.token), roomID) == (count, 0), "\(user.userID)")
                // Listed: every message of the others, none of one's own.
                let listed = try await client.call(.get, "\(base)/notifications", token: user.token).json["notifications"]?.arrayValue
                #expect(listed?.count == plan.filter { $0 != number }.count, "\(user.userID)")
                #expect(listed?.allSatisfy { $0["event"]?["sender"]?.stringValue != user.userID } == true)
            }
            // One of them changes a rule: the others are still decided together, and she by her own rules.
            let r = try await client.call(.put, "\(base)/pushrules/global/override/quiet", token: users[2].token,
                                          body: ["conditions": [["kind": "event_match", "key": "type", "pattern": "m.room.message"]],
                                                 "actions": []])
            #expect(r.status == .ok)
            _ = try await rc.text(users[0].token, roomID, "after")
            #expect(rc.counts(try await rc.sync(users[1].token), roomID) == (3, 0))
            #expect(rc.counts(try await rc.sync(users[2].token), roomID) == (1, 0))
            #expect(rc.counts(try await rc.sync(users[3].token), roomID) == (9, 0))
        }
        try await hs.close()
    }

    @Test func roomMentionsNeedThePowerToNotify() async throws {
        try await withAliceAndBob { client, rc, alice, bob, roomID in
            // alice (power 100) may notify the room; bob (power 0, below notifications.room = 50) may not.
            _ = try await rc.send(alice.token, roomID, ["msgtype": "m.text", "body": "@room lunch", "m.mentions": ["room": true]])
            _ = try await rc.send(bob.token, roomID, ["msgtype": "m.text", "body": "@room me too", "m.mentions": ["room": true]])
            #expect(rc.counts(try await rc.sync(bob.token), roomID) == (0, 0))  // bob's own message read the room
            #expect(rc.counts(try await rc.sync(alice.token), roomID) == (1, 0))
            let carol = try await registerUser(client, "carol")
            try await rc.join(carol.token, roomID)
            _ = try await rc.send(alice.token, roomID, ["msgtype": "m.text", "body": "@room again", "m.mentions": ["room": true]])
            #expect(rc.counts(try await rc.sync(carol.token), roomID) == (1, 1))
        }
    }

    @Test func userRulesChangeWhatCounts() async throws {
        try await withAliceAndBob { client, rc, alice, bob, roomID in
            _ = try await rc.text(alice.token, roomID, "before")
            // Muting the room (a room rule without actions) applies to later events at once.
            var r = try await client.call(.put, "\(base)/pushrules/global/room/\(enc(roomID))", token: bob.token, body: ["actions": []])
            #expect(r.status == .ok)
            _ = try await rc.text(alice.token, roomID, "muted")
            #expect(rc.counts(try await rc.sync(bob.token), roomID) == (1, 0))
            r = try await client.call(.delete, "\(base)/pushrules/global/room/\(enc(roomID))", token: bob.token)
            #expect(r.status == .ok)
            // A keyword highlights.
            _ = try await client.call(.put, "\(base)/pushrules/global/content/cake", token: bob.token,
                                      body: ["pattern": "cake", "actions": ["notify", ["set_tweak": "highlight"]]])
            _ = try await rc.text(alice.token, roomID, "there is CAKE here")
            #expect(rc.counts(try await rc.sync(bob.token), roomID) == (2, 1))
            // The master rule silences everything.
            _ = try await client.call(.put, "\(base)/pushrules/global/override/.m.rule.master/enabled", token: bob.token, body: ["enabled": true])
            _ = try await rc.text(alice.token, roomID, "more cake")
            #expect(rc.counts(try await rc.sync(bob.token), roomID) == (2, 1))
        }
    }

    /// Members are worked out once per room and kept while its member events stay the same: a
    /// display name change, a join and a leave must all reach the next event's evaluation.
    @Test func memberChangesReachTheNextEvaluation() async throws {
        try await withAliceAndBob { client, rc, alice, bob, roomID in
            // The server's defaults no longer match display names: bob asks for it.
            var r = try await client.call(.put, "\(base)/pushrules/global/override/by-name", token: bob.token,
                                          body: ["conditions": [["kind": "contains_display_name"]], "actions": ["notify", ["set_tweak": "highlight"]]])
            #expect(r.status == .ok)
            _ = try await rc.text(alice.token, roomID, "thanks Robert")
            #expect(rc.counts(try await rc.sync(bob.token), roomID) == (1, 0))
            r = try await client.call(.put, "\(base)/profile/\(enc(bob.userID))/displayname", token: bob.token, body: ["displayname": "Robert"])
            #expect(r.status == .ok)
            _ = try await rc.text(bob.token, roomID, "call me Robert")  // reads the room
            _ = try await rc.text(alice.token, roomID, "thanks Robert")
            #expect(rc.counts(try await rc.sync(bob.token), roomID) == (1, 1))  // the new name is a mention
            let carol = try await registerUser(client, "carol")
            try await rc.join(carol.token, roomID)
            _ = try await rc.text(alice.token, roomID, "welcome")
            #expect(rc.counts(try await rc.sync(carol.token), roomID) == (1, 0))
            _ = try await client.call(.post, "\(base)/rooms/\(enc(roomID))/leave", token: carol.token, body: [:])
            _ = try await rc.text(alice.token, roomID, "bye")
            let notified = try await client.call(.get, "\(base)/notifications", token: carol.token)
            #expect(notified.json["notifications"]?.arrayValue?.count == 1)  // not notified once gone
        }
    }

    @Test func threadCounts() async throws {
        try await withAliceAndBob { client, rc, alice, bob, roomID in
            _ = try await rc.text(bob.token, roomID, "hello")  // bob's own event: read up to here
            let root = try await rc.text(alice.token, roomID, "root")
            _ = try await rc.threadReply(alice.token, roomID, root: root, "reply 1")
            let reply2 = try await rc.threadReply(alice.token, roomID, root: root, "reply 2 @bob")
            _ = try await rc.send(alice.token, roomID, ["key": "+1", "m.relates_to": ["rel_type": "m.annotation", "event_id": .string(reply2), "key": "+1"]],
                                  type: "m.reaction")
            let mention = try await rc.threadReply(alice.token, roomID, root: root, "see")
            _ = mention
            let main = try await rc.text(alice.token, roomID, "main")

            // Without per-thread counts: every notification together.
            #expect(rc.counts(try await rc.sync(bob.token), roomID) == (5, 0))
            let threaded = #"{"room":{"timeline":{"unread_thread_notifications":true}}}"#
            var sync = try await rc.sync(bob.token, filter: threaded)
            #expect(rc.counts(sync, roomID) == (2, 0))
            var threads = sync["rooms"]?["join"]?[roomID]?["unread_thread_notifications"]
            #expect(threads?[root]?["notification_count"] == 3 && threads?[root]?["highlight_count"] == 0)

            // A threaded receipt reads only its thread; `main` only the main timeline.
            try await rc.receipt(bob.token, roomID, reply2, thread: root)
            sync = try await rc.sync(bob.token, filter: threaded)
            #expect(rc.counts(sync, roomID) == (2, 0))
            threads = sync["rooms"]?["join"]?[roomID]?["unread_thread_notifications"]
            #expect(threads?[root]?["notification_count"] == 1)
            try await rc.receipt(bob.token, roomID, main, thread: "main")
            sync = try await rc.sync(bob.token, filter: threaded)
            #expect(rc.counts(sync, roomID) == (0, 0))
            #expect(sync["rooms"]?["join"]?[roomID]?["unread_thread_notifications"]?[root]?["notification_count"] == 1)
            #expect(rc.counts(try await rc.sync(bob.token), roomID) == (1, 0))
            // An unthreaded receipt reads every thread up to its event.
            try await rc.receipt(bob.token, roomID, main)
            sync = try await rc.sync(bob.token, filter: threaded)
            #expect(rc.counts(sync, roomID) == (0, 0))
            #expect(sync["rooms"]?["join"]?[roomID]?["unread_thread_notifications"] == nil)
        }
    }

    @Test func notificationsList() async throws {
        try await withAliceAndBob { client, rc, alice, bob, roomID in
            let one = try await rc.text(alice.token, roomID, "one")
            let two = try await rc.text(alice.token, roomID, "two", mentions: [bob.userID])
            let three = try await rc.text(alice.token, roomID, "three")
            try await rc.receipt(bob.token, roomID, one)

            var r = try await client.call(.get, "\(base)/notifications", token: bob.token)
            #expect(r.status == .ok)
            let items = r.json["notifications"]?.arrayValue ?? []
            #expect(items.map { $0["event"]?["event_id"] } == [.string(three), .string(two), .string(one)])
            #expect(items.map { $0["read"] } == [false, false, true])
            #expect(items.allSatisfy { $0["room_id"] == .string(roomID) && $0["ts"]?.intValue != nil })
            #expect(items[1]["actions"]?.arrayValue?.contains(["set_tweak": "highlight"]) == true)
            #expect(items[0]["event"]?["content"]?["body"] == "three" && r.json["next_token"] == nil)
            #expect(items.allSatisfy { ($0["event"]?["unsigned"]?["age"]?.intValue).map { (0..<60_000).contains($0) } == true }, "\(items)")

            r = try await client.call(.get, "\(base)/notifications?only=highlight", token: bob.token)
            #expect(r.json["notifications"]?.arrayValue?.map { $0["event"]?["event_id"] } == [.string(two)])

            r = try await client.call(.get, "\(base)/notifications?limit=2", token: bob.token)
            #expect(r.json["notifications"]?.arrayValue?.count == 2)
            let token = try #require(r.json["next_token"]?.stringValue)
            r = try await client.call(.get, "\(base)/notifications?limit=2&from=\(token)", token: bob.token)
            #expect(r.json["notifications"]?.arrayValue?.map { $0["event"]?["event_id"] } == [.string(one)])
            #expect(r.json["next_token"] == nil)
            #expect(try await client.call(.get, "\(base)/notifications", token: alice.token).json["notifications"] == [])

            r = try await client.call(.get, "\(base)/notifications?limit=0", token: bob.token)
            #expect(r.status == .badRequest && r.json["errcode"] == "M_INVALID_PARAM")
            r = try await client.call(.get, "\(base)/notifications?only=everything", token: bob.token)
            #expect(r.status == .badRequest && r.json["errcode"] == "M_INVALID_PARAM")
            r = try await client.call(.get, "\(base)/notifications?from=xyz", token: bob.token)
            #expect(r.status == .badRequest && r.json["errcode"] == "M_INVALID_PARAM")
            #expect(try await client.call(.get, "\(base)/notifications").status == .unauthorized)

            // Notifications of several rooms come newest first together.
            let other = try await createRoom(client, token: alice.token, ["preset": "public_chat"])
            try await rc.join(bob.token, other)
            let four = try await rc.text(alice.token, other, "four")
            r = try await client.call(.get, "\(base)/notifications?limit=2", token: bob.token)
            #expect(r.json["notifications"]?.arrayValue?.map { $0["event"]?["event_id"] } == [.string(four), .string(three)])
            #expect(r.json["notifications"]?.arrayValue?.map { $0["room_id"] } == [.string(other), .string(roomID)])

            // An invite notifies the invitee, who is not joined yet.
            let carol = try await registerUser(client, "carol")
            _ = try await client.call(.post, "\(base)/rooms/\(enc(roomID))/invite", token: alice.token, body: ["user_id": .string(carol.userID)])
            let invite = try await client.call(.get, "\(base)/notifications", token: carol.token).json["notifications"]?.arrayValue?.first
            #expect(invite?["event"]?["type"] == "m.room.member" && invite?["event"]?["state_key"] == .string(carol.userID))
            #expect(invite?["actions"]?.arrayValue?.first == "notify")
        }
    }

    /// Counts are stored per member only every `unreadFoldInterval` events (in between they are
    /// counted from the events' member bitmaps): they must come out the same on either side of a
    /// fold, with receipts before, inside and after the folded part, threads and highlights.
    @Test func countsStayRightAcrossFolds() async throws {
        let hs = try await TestHomeserver.make { config in
            config.registration.enabled = true
            config.rateLimits.enabled = false  // over a hundred sends in a burst
        }
        try await hs.test { client in
            let rc = RoomClient(client: client)
            let alice = try await registerUser(client, "alice"), bob = try await registerUser(client, "bob")
            let carol = try await registerUser(client, "carol")
            let roomID = try await createRoom(client, token: alice.token, ["preset": "public_chat"])
            try await rc.join(bob.token, roomID)
            try await rc.join(carol.token, roomID)
            let interval = Store.Database.unreadFoldInterval
            let threaded = #"{"room":{"timeline":{"unread_thread_notifications":true}}}"#

            var sent: [String] = []
            for i in 0..<(interval + 5) { sent.append(try await rc.text(alice.token, roomID, "m\(i)")) }
            #expect(rc.counts(try await rc.sync(bob.token), roomID) == (Int64(interval + 5), 0))
            // A receipt inside the folded part: what came after it, folded or not, stays unread.
            try await rc.receipt(bob.token, roomID, sent[9])
            #expect(rc.counts(try await rc.sync(bob.token), roomID) == (Int64(interval + 5 - 10), 0))
            #expect(rc.counts(try await rc.sync(carol.token), roomID) == (Int64(interval + 5), 0))

            // A mention of bob and a thread, then enough to fold again.
            sent.append(try await rc.text(alice.token, roomID, "hey bob", mentions: [bob.userID]))
            let root = sent[0]
            for i in 0..<3 { sent.append(try await rc.threadReply(alice.token, roomID, root: root, "t\(i)")) }
            for i in 0..<interval { sent.append(try await rc.text(alice.token, roomID, "n\(i)")) }
            let bobTotal = Int64(interval + 5 - 10 + 1 + 3 + interval), carolTotal = Int64(interval + 5 + 1 + 3 + interval)
            #expect(rc.counts(try await rc.sync(bob.token), roomID) == (bobTotal, 1))
            #expect(rc.counts(try await rc.sync(carol.token), roomID) == (carolTotal, 0))
            var sync = try await rc.sync(bob.token, filter: threaded)
            #expect(rc.counts(sync, roomID) == (bobTotal - 3, 1))
            #expect(sync["rooms"]?["join"]?[roomID]?["unread_thread_notifications"]?[root]?["notification_count"] == 3)

            // A threaded receipt reads the thread only, across the folded part.
            try await rc.receipt(carol.token, roomID, sent[sent.count - interval - 1], thread: root)
            sync = try await rc.sync(carol.token, filter: threaded)
            #expect(rc.counts(sync, roomID) == (carolTotal - 3, 0))
            #expect(sync["rooms"]?["join"]?[roomID]?["unread_thread_notifications"]?[root] == nil)
            // A receipt past the fold mark: only the last few stay unread.
            try await rc.receipt(bob.token, roomID, sent[sent.count - 4])
            #expect(rc.counts(try await rc.sync(bob.token), roomID) == (3, 0))
            // Bob sends: everything is read, and the next fold must not bring old events back.
            _ = try await rc.text(bob.token, roomID, "read it all")
            for i in 0..<interval { _ = try await rc.text(alice.token, roomID, "p\(i)") }
            #expect(rc.counts(try await rc.sync(bob.token), roomID) == (Int64(interval), 0))
            #expect(rc.counts(try await rc.sync(carol.token), roomID) == (carolTotal - 3 + 1 + Int64(interval), 0))

            // The list has every one of them, newest first, pages included.
            var listed: [String] = []
            var from: String?
            repeat {
                let r = try await client.call(.get, "\(base)/notifications?limit=40" + (from.map { "&from=\($0)" } ?? ""), token: carol.token)
                #expect(r.status == .ok)
                listed += r.json["notifications"]?.arrayValue?.compactMap { $0["event"]?["event_id"]?.stringValue } ?? []
                from = r.json["next_token"]?.stringValue
            } while from != nil
            #expect(listed.count == sent.count + 1 + interval)
            #expect(Array(listed.suffix(sent.count).reversed()) == sent)
            let highlights = try await client.call(.get, "\(base)/notifications?only=highlight", token: bob.token)
            #expect(highlights.json["notifications"]?.arrayValue?.compactMap { $0["event"]?["event_id"]?.stringValue } == [sent[interval + 5]])
        }
        try await hs.close()
    }
}
