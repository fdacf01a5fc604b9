import ApusConfig
import Foundation
import Hummingbird
import HummingbirdTesting
import MatrixProtocol
import Services
import Testing

private let base = "/_matrix/client/v3"

/// Percent-encodes an ID for a path segment.
func enc(_ id: String) -> String {
    id.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? id
}

func createRoom(_ client: some TestClientProtocol, token: String, _ body: JSONObject = [:]) async throws -> String {
    let r = try await client.call(.post, "\(base)/createRoom", token: token, body: body)
    #expect(r.status == .ok, "createRoom: \(r.json)")
    return r.json["room_id"]?.stringValue ?? ""
}

@Suite struct RoomCreationTests {
    /// A key set twice at creation (`name` after an `initial_state` name) says what it replaced.
    @Test func creationEventsSayWhatTheyReplaced() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice")
            let roomID = try await createRoom(client, token: alice.token, [
                "name": "Final", "initial_state": [["type": "m.room.name", "state_key": "", "content": ["name": "First"]]]])
            let sync = try await client.call(.get, "\(base)/sync?filter=\(enc(#"{"room":{"timeline":{"limit":50}}}"#))", token: alice.token)
            let names = (sync.json["rooms"]?["join"]?[roomID]?["timeline"]?["events"]?.arrayValue ?? []).filter { $0["type"] == "m.room.name" }
            #expect(names.map { $0["content"]?["name"] } == ["First", "Final"])
            #expect(names.first?["unsigned"]?["prev_content"] == nil)
            #expect(names.last?["unsigned"]?["prev_content"]?["name"] == "First")
            #expect(names.last?["unsigned"]?["replaces_state"] == names.first?["event_id"])
        }
        try await hs.close()
    }

    @Test func privateRoomHasTheSpecState() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice")
            let roomID = try await createRoom(client, token: alice.token, ["name": "Lounge", "topic": "chat", "room_alias_name": "lounge"])
            #expect(roomID.hasPrefix("!") && roomID.hasSuffix(":localhost"))
            var content: [String: JSONValue] = [:]
            let r = try await client.execute(uri: "\(base)/rooms/\(enc(roomID))/state", method: .get,
                                             headers: [.authorization: "Bearer \(alice.token)"]) { response in
                try JSONParser.parse(Array(response.body.readableBytesView))
            }
            for event in r.arrayValue ?? [] {
                content["\(event["type"]?.stringValue ?? "")|\(event["state_key"]?.stringValue ?? "")"] = event["content"]
            }
            #expect(content["m.room.create|"]?["room_version"] == .string(RoomVersion.defaultForNewRooms))
            #expect(content["m.room.member|@alice:localhost"]?["membership"] == "join")
            #expect(content["m.room.power_levels|"]?["users"]?["@alice:localhost"] == 100)
            #expect(content["m.room.join_rules|"]?["join_rule"] == "invite")
            #expect(content["m.room.history_visibility|"]?["history_visibility"] == "shared")
            #expect(content["m.room.guest_access|"]?["guest_access"] == "can_join")
            #expect(content["m.room.name|"]?["name"] == "Lounge")
            #expect(content["m.room.topic|"]?["topic"] == "chat")
            #expect(content["m.room.canonical_alias|"]?["alias"] == "#lounge:localhost")
            let name = try await client.call(.get, "\(base)/rooms/\(enc(roomID))/state/m.room.name", token: alice.token)
            #expect(name.json == ["name": "Lounge"])
            let missing = try await client.call(.get, "\(base)/rooms/\(enc(roomID))/state/m.room.avatar", token: alice.token)
            #expect(missing.status == .notFound && missing.json["errcode"] == "M_NOT_FOUND")
            let joined = try await client.call(.get, "\(base)/joined_rooms", token: alice.token)
            #expect(joined.json["joined_rooms"] == JSONValue([roomID]))
        }
        try await hs.close()
    }

    @Test(arguments: RoomVersion.all.map(\.id))
    func everyRoomVersionCanBeCreated(_ version: String) async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice")
            let roomID = try await createRoom(client, token: alice.token, ["room_version": .string(version), "preset": "public_chat", "name": "v"])
            #expect(version == "12" ? !roomID.contains(":") : roomID.hasSuffix(":localhost"))
            let bob = try await registerUser(client, "bob")
            let join = try await client.call(.post, "\(base)/join/\(enc(roomID))", token: bob.token, body: [:])
            #expect(join.status == .ok && join.json["room_id"] == .string(roomID), "\(join.json)")
            let send = try await client.call(.put, "\(base)/rooms/\(enc(roomID))/send/m.room.message/t1", token: bob.token,
                                             body: ["msgtype": "m.text", "body": "hello"])
            #expect(send.status == .ok, "\(send.json)")
        }
        try await hs.close()
    }

    @Test func creationErrors() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice")
            var r = try await client.call(.post, "\(base)/createRoom", body: [:])
            #expect(r.status == .unauthorized && r.json["errcode"] == "M_MISSING_TOKEN")
            r = try await client.call(.post, "\(base)/createRoom", token: alice.token, body: ["room_version": "99"])
            #expect(r.status == .badRequest && r.json["errcode"] == "M_UNSUPPORTED_ROOM_VERSION")
            r = try await client.call(.post, "\(base)/createRoom", token: alice.token, body: ["preset": "party"])
            #expect(r.status == .badRequest && r.json["errcode"] == "M_INVALID_PARAM")
            r = try await client.call(.post, "\(base)/createRoom", token: alice.token, body: ["invite": ["not-a-user"]])
            #expect(r.json["errcode"] == "M_INVALID_PARAM")
            r = try await client.call(.post, "\(base)/createRoom", token: alice.token, body: ["name": 5])
            #expect(r.json["errcode"] == "M_BAD_JSON")
            r = try await client.call(.post, "\(base)/createRoom", token: alice.token, body: ["room_alias_name": "has space"])
            #expect(r.json["errcode"] == "M_INVALID_PARAM")
            _ = try await createRoom(client, token: alice.token, ["room_alias_name": "taken"])
            r = try await client.call(.post, "\(base)/createRoom", token: alice.token, body: ["room_alias_name": "taken"])
            #expect(r.status == .badRequest && r.json["errcode"] == "M_ROOM_IN_USE")
            r = try await client.call(.post, "\(base)/createRoom", token: alice.token, body: [
                "initial_state": [["type": "m.room.create", "content": [:]]]])
            #expect(r.json["errcode"] == "M_INVALID_PARAM")
            // An override that leaves the creator unable to send the preset's state: nothing is created.
            let before = try await client.call(.get, "\(base)/joined_rooms", token: alice.token).json["joined_rooms"]?.arrayValue?.count
            r = try await client.call(.post, "\(base)/createRoom", token: alice.token, body: [
                "power_level_content_override": ["users": ["@alice:localhost": 0], "state_default": 50]])
            #expect(r.status == .badRequest && r.json["errcode"] == "M_INVALID_ROOM_STATE", "\(r.json)")
            let after = try await client.call(.get, "\(base)/joined_rooms", token: alice.token).json["joined_rooms"]?.arrayValue?.count
            #expect(before == after)
        }
        try await hs.close()
    }
}

@Suite struct MembershipTests {
    @Test func publicRoomJoinByAliasAndID() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice"), bob = try await registerUser(client, "bob"), carol = try await registerUser(client, "carol")
            let roomID = try await createRoom(client, token: alice.token, ["preset": "public_chat", "room_alias_name": "town"])
            var r = try await client.call(.post, "\(base)/join/\(enc("#town:localhost"))", token: bob.token, body: [:])
            #expect(r.status == .ok && r.json["room_id"] == .string(roomID))
            r = try await client.call(.post, "\(base)/rooms/\(enc(roomID))/join", token: carol.token, body: [:])
            #expect(r.status == .ok)
            r = try await client.call(.get, "\(base)/rooms/\(enc(roomID))/joined_members", token: bob.token)
            #expect(r.json["joined"]?.objectValue?.keys.sorted() == ["@alice:localhost", "@bob:localhost", "@carol:localhost"])
            r = try await client.call(.get, "\(base)/rooms/\(enc(roomID))/members?membership=join", token: bob.token)
            #expect(r.json["chunk"]?.arrayValue?.count == 3)
            r = try await client.call(.post, "\(base)/join/\(enc("#nowhere:localhost"))", token: bob.token, body: [:])
            #expect(r.status == .notFound && r.json["errcode"] == "M_NOT_FOUND")
            r = try await client.call(.post, "\(base)/join/\(enc("!unknown:localhost"))", token: bob.token, body: [:])
            #expect(r.status == .notFound)
            r = try await client.call(.post, "\(base)/join/garbage", token: bob.token, body: [:])
            #expect(r.json["errcode"] == "M_INVALID_PARAM")
            // Leave, then the room's state is no longer readable.
            r = try await client.call(.post, "\(base)/rooms/\(enc(roomID))/leave", token: carol.token, body: [:])
            #expect(r.status == .ok)
            r = try await client.call(.get, "\(base)/rooms/\(enc(roomID))/state", token: carol.token)
            #expect(r.status == .forbidden)
            r = try await client.call(.post, "\(base)/rooms/\(enc(roomID))/leave", token: carol.token, body: [:])
            #expect(r.status == .forbidden, "leaving twice: \(r.json)")
        }
        try await hs.close()
    }

    @Test func privateRoomInviteKickBan() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice"), bob = try await registerUser(client, "bob")
            let roomID = try await createRoom(client, token: alice.token)
            let room = "\(base)/rooms/\(enc(roomID))"
            var r = try await client.call(.post, "\(room)/join", token: bob.token, body: [:])
            #expect(r.status == .forbidden && r.json["errcode"] == "M_FORBIDDEN")
            r = try await client.call(.post, "\(room)/invite", token: bob.token, body: ["user_id": "@bob:localhost"])
            #expect(r.status == .forbidden)  // bob is not in the room
            r = try await client.call(.post, "\(room)/invite", token: alice.token, body: [:])
            #expect(r.json["errcode"] == "M_MISSING_PARAM")
            // This test server has no federation transport: remote invites are refused clearly.
            r = try await client.call(.post, "\(room)/invite", token: alice.token, body: ["user_id": "@bob:remote.example"])
            #expect(r.status == .forbidden && r.json["error"]?.stringValue?.contains("Federation") == true)
            r = try await client.call(.post, "\(room)/invite", token: alice.token, body: ["user_id": "@bob:localhost"])
            #expect(r.status == .ok)
            r = try await client.call(.post, "\(room)/join", token: bob.token, body: [:])
            #expect(r.status == .ok)
            r = try await client.call(.post, "\(room)/invite", token: alice.token, body: ["user_id": "@bob:localhost"])
            #expect(r.status == .forbidden)  // already joined
            // Bob (PL 0) cannot kick Alice (PL 100).
            r = try await client.call(.post, "\(room)/kick", token: bob.token, body: ["user_id": "@alice:localhost"])
            #expect(r.status == .forbidden)
            r = try await client.call(.post, "\(room)/kick", token: alice.token, body: ["user_id": "@bob:localhost", "reason": "bye"])
            #expect(r.status == .ok)
            r = try await client.call(.post, "\(room)/kick", token: alice.token, body: ["user_id": "@bob:localhost"])
            #expect(r.status == .forbidden)  // not in the room any more
            r = try await client.call(.post, "\(room)/ban", token: alice.token, body: ["user_id": "@bob:localhost"])
            #expect(r.status == .ok)
            r = try await client.call(.post, "\(room)/invite", token: alice.token, body: ["user_id": "@bob:localhost"])
            #expect(r.status == .forbidden)  // banned users cannot be invited
            r = try await client.call(.post, "\(room)/unban", token: alice.token, body: ["user_id": "@carol:localhost"])
            #expect(r.status == .forbidden)
            r = try await client.call(.post, "\(room)/unban", token: alice.token, body: ["user_id": "@bob:localhost"])
            #expect(r.status == .ok)
            r = try await client.call(.get, "\(room)/members", token: alice.token)
            let bobEvent = r.json["chunk"]?.arrayValue?.first { $0["state_key"] == "@bob:localhost" }
            #expect(bobEvent?["content"]?["membership"] == "leave")
        }
        try await hs.close()
    }
}

@Suite struct RoomEventTests {
    @Test func sendIsIdempotentPerDevice() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice"), bob = try await registerUser(client, "bob")
            let roomID = try await createRoom(client, token: alice.token)
            let room = "\(base)/rooms/\(enc(roomID))"
            let first = try await client.call(.put, "\(room)/send/m.room.message/txn1", token: alice.token, body: ["msgtype": "m.text", "body": "a"])
            let again = try await client.call(.put, "\(room)/send/m.room.message/txn1", token: alice.token, body: ["msgtype": "m.text", "body": "a"])
            #expect(first.status == .ok && first.json["event_id"] == again.json["event_id"])
            let other = try await client.call(.put, "\(room)/send/m.room.message/txn2", token: alice.token, body: ["msgtype": "m.text", "body": "a"])
            #expect(other.json["event_id"] != first.json["event_id"])
            let event = try await client.call(.get, "\(room)/event/\(enc(first.json["event_id"]?.stringValue ?? ""))", token: alice.token)
            #expect(event.status == .ok && event.json["content"]?["body"] == "a" && event.json["sender"] == "@alice:localhost")
            let unknown = try await client.call(.get, "\(room)/event/\(enc("$nope"))", token: alice.token)
            #expect(unknown.status == .notFound)
            let outsider = try await client.call(.put, "\(room)/send/m.room.message/txn3", token: bob.token, body: ["body": "x"])
            #expect(outsider.status == .forbidden && outsider.json["errcode"] == "M_FORBIDDEN")
            #expect(outsider.json["error"]?.stringValue?.hasPrefix("You are not joined") == true, "\(outsider.json)")
            let unknownRoom = try await client.call(.put, "/_matrix/client/v3/rooms/\(enc("!nope:localhost"))/send/m.room.message/txn5",
                                                    token: alice.token, body: ["body": "x"])
            #expect(unknownRoom.status == .forbidden && unknownRoom.json["errcode"] == "M_FORBIDDEN")
            let bad = try await client.call(.put, "\(room)/send/m.room.message/txn4", token: alice.token, rawBody: "[1]")
            #expect(bad.json["errcode"] == "M_BAD_JSON")
        }
        try await hs.close()
    }

    /// `unsigned.transaction_id` goes to the device that sent the event, in every place it is
    /// served, and to no other device of the same user or anyone else.
    @Test func transactionIDIsShownToTheSendingDeviceOnly() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let password = "pw-\(UUID())"
            let phone = try await registerUser(client, "alice", password: password), bob = try await registerUser(client, "bob")
            let laptop = try await client.call(.post, "\(base)/login", body: [
                "type": "m.login.password", "identifier": ["type": "m.id.user", "user": "alice"], "password": .string(password)])
            let laptopToken = try #require(laptop.json["access_token"]?.stringValue)
            let roomID = try await createRoom(client, token: phone.token, ["preset": "public_chat"])
            let room = "\(base)/rooms/\(enc(roomID))"
            #expect(try await client.call(.post, "\(room)/join", token: bob.token, body: [:]).status == .ok)
            let sent = try await client.call(.put, "\(room)/send/m.room.message/txn-phone-1", token: phone.token, body: ["msgtype": "m.text", "body": "hi"])
            let eventID = try #require(sent.json["event_id"]?.stringValue)
            let redaction = try await client.call(.put, "\(room)/redact/\(enc(eventID))/txn-phone-2", token: phone.token, body: [:])
            let redactionID = try #require(redaction.json["event_id"]?.stringValue)
            let root = try await client.call(.put, "\(room)/send/m.room.message/txn-phone-3", token: phone.token, body: ["msgtype": "m.text", "body": "root"])
            let rootID = try #require(root.json["event_id"]?.stringValue)
            let reply = try await client.call(.put, "\(room)/send/m.room.message/txn-phone-4", token: phone.token, body: [
                "msgtype": "m.text", "body": "reply", "m.relates_to": ["rel_type": "m.thread", "event_id": .string(rootID)]])
            let replyID = try #require(reply.json["event_id"]?.stringValue)

            func transactionIDs(_ token: String) async throws -> [String: String] {
                let sync = try await client.call(.get, "\(base)/sync?filter=\(enc(#"{"room":{"timeline":{"limit":50}}}"#))", token: token)
                let timeline = sync.json["rooms"]?["join"]?[roomID]?["timeline"]?["events"]?.arrayValue ?? []
                let messages = try await client.call(.get, "\(room)/messages?dir=b&limit=50", token: token).json["chunk"]?.arrayValue ?? []
                var found: [String: String] = [:]
                for (place, events) in [("sync", timeline), ("messages", messages)] {
                    for event in events {
                        if let txn = event["unsigned"]?["transaction_id"]?.stringValue { found["\(place) \(event["event_id"]?.stringValue ?? "")"] = txn }
                    }
                }
                let v1 = "/_matrix/client/v1/rooms/\(enc(roomID))"
                let relations = try await client.call(.get, "\(v1)/relations/\(enc(rootID))", token: token).json["chunk"]?.arrayValue ?? []
                let threads = try await client.call(.get, "\(v1)/threads", token: token).json["chunk"]?.arrayValue ?? []
                for (place, events) in [("relations", relations), ("threads", threads)] {
                    for event in events {
                        if let txn = event["unsigned"]?["transaction_id"]?.stringValue { found["\(place) \(event["event_id"]?.stringValue ?? "")"] = txn }
                    }
                }
                // A thread's summary shows its latest reply as the sending device sent it.
                for root in threads {
                    let latest = root["unsigned"]?["m.relations"]?["m.thread"]?["latest_event"]
                    if let txn = latest?["unsigned"]?["transaction_id"]?.stringValue { found["summary \(latest?["event_id"]?.stringValue ?? "")"] = txn }
                }
                for id in [eventID, redactionID] {
                    let event = try await client.call(.get, "\(room)/event/\(enc(id))", token: token)
                    if let txn = event.json["unsigned"]?["transaction_id"]?.stringValue { found["event \(id)"] = txn }
                    let around = try await client.call(.get, "\(room)/context/\(enc(id))", token: token)
                    if let txn = around.json["event"]?["unsigned"]?["transaction_id"]?.stringValue { found["context \(id)"] = txn }
                }
                return found
            }
            var expected: [String: String] = [:]
            for place in ["sync", "messages", "event", "context"] {
                expected["\(place) \(eventID)"] = "txn-phone-1"
                expected["\(place) \(redactionID)"] = "txn-phone-2"
            }
            for place in ["sync", "messages"] {
                expected["\(place) \(rootID)"] = "txn-phone-3"
                expected["\(place) \(replyID)"] = "txn-phone-4"
            }
            expected["relations \(replyID)"] = "txn-phone-4"
            expected["threads \(rootID)"] = "txn-phone-3"
            expected["summary \(replyID)"] = "txn-phone-4"
            #expect(try await transactionIDs(phone.token) == expected)
            #expect(try await transactionIDs(laptopToken).isEmpty)
            #expect(try await transactionIDs(bob.token).isEmpty)
            // The redacted message keeps it beside `redacted_because`.
            let redacted = try await client.call(.get, "\(room)/event/\(enc(eventID))", token: phone.token)
            #expect(redacted.json["unsigned"]?["redacted_because"] != nil && redacted.json["content"] == [:])
        }
        try await hs.close()
    }

    /// A state event carries what it replaced (`unsigned.prev_content`, `replaces_state`,
    /// `prev_sender`: how clients tell a display-name change from a join), and every event served
    /// its `unsigned.age`.
    @Test func stateEventsCarryWhatTheyReplacedAndEventsTheirAge() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice")
            let roomID = try await createRoom(client, token: alice.token, ["preset": "public_chat"])
            let room = "\(base)/rooms/\(enc(roomID))"
            for name in ["Alice A", "Alice B"] {
                let r = try await client.call(.put, "\(base)/profile/\(enc(alice.userID))/displayname", token: alice.token,
                                              body: ["displayname": .string(name)])
                #expect(r.status == .ok, "\(r.json)")
            }
            for topic in ["first", "second"] {
                #expect(try await client.call(.put, "\(room)/state/m.room.topic", token: alice.token, body: ["topic": .string(topic)]).status == .ok)
            }
            let sync = try await client.call(.get, "\(base)/sync?filter=\(enc(#"{"room":{"timeline":{"limit":50}}}"#))", token: alice.token)
            let timeline = sync.json["rooms"]?["join"]?[roomID]?["timeline"]?["events"]?.arrayValue ?? []
            let members = timeline.filter { $0["type"] == "m.room.member" }
            let topics = timeline.filter { $0["type"] == "m.room.topic" }
            #expect(members.count == 3 && topics.count == 2)
            if members.count == 3 && topics.count == 2 {
                #expect(members[0]["unsigned"]?["prev_content"] == nil && members[0]["unsigned"]?["replaces_state"] == nil)
                #expect(members[1]["unsigned"]?["prev_content"]?["membership"] == "join")
                #expect(members[1]["unsigned"]?["replaces_state"] == members[0]["event_id"])
                #expect(members[2]["unsigned"]?["prev_content"]?["displayname"] == "Alice A")
                #expect(members[2]["unsigned"]?["replaces_state"] == members[1]["event_id"])
                #expect(members[2]["unsigned"]?["prev_sender"] == .string(alice.userID))
                #expect(topics[1]["unsigned"]?["prev_content"]?["topic"] == "first")
            }
            let messages = try await client.call(.get, "\(room)/messages?dir=b&limit=50", token: alice.token).json["chunk"]?.arrayValue ?? []
            #expect(!timeline.isEmpty && !messages.isEmpty)
            for event in timeline + messages {
                let age = event["unsigned"]?["age"]?.intValue
                #expect(age != nil && age! >= 0 && age! < 60_000, "\(event)")
            }
            #expect(messages.first { $0["type"] == "m.room.topic" }?["unsigned"]?["prev_content"]?["topic"] == "first")
            // The state lists too, read from the room's cached state.
            let state = try await client.execute(uri: "\(room)/state", method: .get, headers: [.authorization: "Bearer \(alice.token)"]) {
                try JSONParser.parse(Array($0.body.readableBytesView)).arrayValue ?? []
            }
            let memberList = try await client.call(.get, "\(room)/members", token: alice.token).json["chunk"]?.arrayValue ?? []
            let topic = try await client.call(.get, "\(room)/state/m.room.topic/?format=event", token: alice.token).json
            #expect(!state.isEmpty && memberList.count == 1 && topic["content"]?["topic"] == "second")
            for event in state + memberList + [.object(topic)] {
                let age = event["unsigned"]?["age"]?.intValue
                #expect(age != nil && age! >= 0 && age! < 60_000, "\(event)")
            }
            #expect(topic["unsigned"]?["prev_content"]?["topic"] == "first")
            #expect(memberList.first?["unsigned"]?["prev_content"]?["displayname"] == "Alice A")
        }
        try await hs.close()
    }

    @Test func stateEventsNeedPower() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice"), bob = try await registerUser(client, "bob")
            let roomID = try await createRoom(client, token: alice.token, ["preset": "public_chat"])
            let room = "\(base)/rooms/\(enc(roomID))"
            _ = try await client.call(.post, "\(room)/join", token: bob.token, body: [:])
            var r = try await client.call(.put, "\(room)/state/m.room.name", token: bob.token, body: ["name": "mine"])
            #expect(r.status == .forbidden && r.json["errcode"] == "M_FORBIDDEN")
            r = try await client.call(.put, "\(room)/state/m.room.name/", token: alice.token, body: ["name": "ours"])
            #expect(r.status == .ok && r.json["event_id"] != nil)
            r = try await client.call(.get, "\(room)/state/m.room.name?format=event", token: bob.token)
            #expect(r.json["content"]?["name"] == "ours" && r.json["sender"] == "@alice:localhost")
            r = try await client.call(.put, "\(room)/state/org.example.custom/@bob:localhost", token: alice.token, body: ["x": 1])
            #expect(r.status == .forbidden)  // a state key that is a user ID belongs to that user
        }
        try await hs.close()
    }
}

@Suite struct RedactionTests {
    @Test(arguments: ["10", "11"])
    func redactOwnAndOthers(_ version: String) async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice"), bob = try await registerUser(client, "bob")
            let roomID = try await createRoom(client, token: alice.token, ["preset": "public_chat", "room_version": .string(version)])
            let room = "/_matrix/client/v3/rooms/\(enc(roomID))"
            _ = try await client.call(.post, "\(room)/join", token: bob.token, body: [:])
            let mine = try await client.call(.put, "\(room)/send/m.room.message/a1", token: alice.token, body: ["msgtype": "m.text", "body": "oops"])
            let theirs = try await client.call(.put, "\(room)/send/m.room.message/b1", token: bob.token, body: ["msgtype": "m.text", "body": "spam"])
            let mineID = try #require(mine.json["event_id"]?.stringValue), theirsID = try #require(theirs.json["event_id"]?.stringValue)
            var r = try await client.call(.put, "\(room)/redact/\(enc(mineID))/r1", token: bob.token, body: [:])
            #expect(r.status == .forbidden)
            r = try await client.call(.put, "\(room)/redact/\(enc(theirsID))/r2", token: bob.token, body: ["reason": "mine"])
            #expect(r.status == .ok)
            let redaction = try #require(r.json["event_id"]?.stringValue)
            let again = try await client.call(.put, "\(room)/redact/\(enc(theirsID))/r2", token: bob.token, body: ["reason": "mine"])
            #expect(again.json["event_id"] == .string(redaction))  // idempotent per transaction ID
            r = try await client.call(.put, "\(room)/redact/\(enc(mineID))/r3", token: alice.token, body: [:])
            #expect(r.status == .ok)
            r = try await client.call(.get, "\(room)/event/\(enc(theirsID))", token: alice.token)
            #expect(r.json["content"] == .object([:]))
            #expect(r.json["unsigned"]?["redacted_because"]?["event_id"] == .string(redaction))
            // The whole redaction, as clients show it: who removed the message, and why.
            let because = r.json["unsigned"]?["redacted_because"]
            #expect(because?["sender"] == .string(bob.userID) && because?["content"]?["reason"] == "mine"
                    && because?["type"] == "m.room.redaction" && because?["origin_server_ts"]?.intValue != nil)
            #expect(because?["signatures"] == nil && because?["hashes"] == nil)
            r = try await client.call(.get, "\(room)/event/\(enc(redaction))", token: alice.token)
            #expect(r.json["type"] == "m.room.redaction" && r.json["redacts"] == .string(theirsID))
            let messages = try await client.call(.get, "\(room)/messages?dir=b&limit=10", token: alice.token)
            let served = messages.json["chunk"]?.arrayValue?.first { $0["event_id"] == .string(mineID) }
            #expect(served?["content"] == .object([:]))
            r = try await client.call(.put, "\(room)/redact/\(enc("$unknown"))/r4", token: alice.token, body: [:])
            #expect(r.status == .notFound)
        }
        try await hs.close()
    }
}

@Suite struct KnockAndForgetTests {
    @Test func knockThenInvite() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice"), bob = try await registerUser(client, "bob")
            let roomID = try await createRoom(client, token: alice.token, ["room_version": "10", "initial_state": [
                ["type": "m.room.join_rules", "state_key": "", "content": ["join_rule": "knock"]]]])
            let next = try #require(try await client.call(.get, "/_matrix/client/v3/sync", token: bob.token).json["next_batch"]?.stringValue)
            var r = try await client.call(.post, "/_matrix/client/v3/knock/\(enc(roomID))", token: bob.token, body: ["reason": "let me in"])
            #expect(r.status == .ok && r.json["room_id"] == .string(roomID))
            let sync = try await client.call(.get, "/_matrix/client/v3/sync?since=\(next)", token: bob.token)
            let knockState = sync.json["rooms"]?["knock"]?[roomID]?["knock_state"]?["events"]?.arrayValue ?? []
            #expect(knockState.contains { $0["type"] == "m.room.member" && $0["content"]?["membership"] == "knock" })
            r = try await client.call(.post, "/_matrix/client/v3/rooms/\(enc(roomID))/invite", token: alice.token, body: ["user_id": "@bob:localhost"])
            #expect(r.status == .ok)
            r = try await client.call(.post, "/_matrix/client/v3/join/\(enc(roomID))", token: bob.token, body: [:])
            #expect(r.status == .ok)
            // A public room refuses knocks; v6 rooms know no knocking.
            let open = try await createRoom(client, token: alice.token, ["preset": "public_chat"])
            r = try await client.call(.post, "/_matrix/client/v3/knock/\(enc(open))", token: bob.token, body: [:])
            #expect(r.status == .forbidden)
            let old = try await createRoom(client, token: alice.token, ["room_version": "6"])
            r = try await client.call(.post, "/_matrix/client/v3/knock/\(enc(old))", token: bob.token, body: [:])
            #expect(r.status == .forbidden)
            r = try await client.call(.post, "/_matrix/client/v3/knock/\(enc("#missing:localhost"))", token: bob.token, body: [:])
            #expect(r.status == .notFound)
        }
        try await hs.close()
    }

    @Test func forget() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice"), bob = try await registerUser(client, "bob")
            let roomID = try await createRoom(client, token: alice.token, ["preset": "public_chat"])
            _ = try await client.call(.post, "/_matrix/client/v3/join/\(enc(roomID))", token: bob.token, body: [:])
            var r = try await client.call(.post, "/_matrix/client/v3/rooms/\(enc(roomID))/forget", token: bob.token, body: [:])
            #expect(r.status == .badRequest)  // still joined
            _ = try await client.call(.post, "/_matrix/client/v3/rooms/\(enc(roomID))/leave", token: bob.token, body: [:])
            r = try await client.call(.get, "/_matrix/client/v3/sync?filter=%7B%22room%22%3A%7B%22include_leave%22%3Atrue%7D%7D", token: bob.token)
            #expect(r.json["rooms"]?["leave"]?[roomID] != nil)
            r = try await client.call(.post, "/_matrix/client/v3/rooms/\(enc(roomID))/forget", token: bob.token, body: [:])
            #expect(r.status == .ok)
            r = try await client.call(.get, "/_matrix/client/v3/sync?filter=%7B%22room%22%3A%7B%22include_leave%22%3Atrue%7D%7D", token: bob.token)
            #expect(r.json["rooms"]?["leave"]?[roomID] == nil)
            r = try await client.call(.post, "/_matrix/client/v3/rooms/\(enc("!nope:localhost"))/forget", token: bob.token, body: [:])
            #expect(r.status == .notFound)
        }
        try await hs.close()
    }
}

@Suite struct ConcurrencyTests {
    /// Joins and sends racing in one room all land, on one line of history (no forks).
    @Test func concurrentJoinsAndSendsInOneRoom() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice")
            let roomID = try await createRoom(client, token: alice.token, ["preset": "public_chat"])
            var tokens: [String] = []
            for i in 0..<12 { tokens.append(try await registerUser(client, "u\(i)").token) }
            try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for token in tokens {
                    group.addTask { try await client.call(.post, "/_matrix/client/v3/join/\(enc(roomID))", token: token, body: [:]).status }
                }
                for try await status in group { #expect(status == .ok) }
            }
            try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for (i, token) in tokens.enumerated() {
                    group.addTask {
                        try await client.call(.put, "/_matrix/client/v3/rooms/\(enc(roomID))/send/m.room.message/c\(i)", token: token,
                                              body: ["msgtype": "m.text", "body": "hi"]).status
                    }
                }
                for try await status in group { #expect(status == .ok) }
            }
            let members = try await client.call(.get, "/_matrix/client/v3/rooms/\(enc(roomID))/joined_members", token: alice.token)
            #expect(members.json["joined"]?.objectValue?.count == 13)
        }
        let roomID = try #require(try await hs.homeserver.database.rooms(of: "@alice:localhost", membership: "join").first)
        let room = try #require(try await hs.homeserver.database.room(roomID))
        #expect(try await hs.homeserver.database.forwardExtremities(of: room).count == 1)
        try await hs.close()
    }
}

@Suite struct UpgradeTests {
    @Test(arguments: ["11", "12"])
    func upgradeCarriesStateAndTombstonesTheOldRoom(_ target: String) async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice"), bob = try await registerUser(client, "bob")
            let roomID = try await createRoom(client, token: alice.token, ["preset": "public_chat", "room_version": "10", "name": "Old",
                                                                           "topic": "t", "room_alias_name": "hall", "visibility": "public"])
            _ = try await client.call(.post, "/_matrix/client/v3/join/\(enc(roomID))", token: bob.token, body: [:])
            var r = try await client.call(.post, "/_matrix/client/v3/rooms/\(enc(roomID))/upgrade", token: bob.token, body: ["new_version": .string(target)])
            #expect(r.status == .forbidden)
            r = try await client.call(.post, "/_matrix/client/v3/rooms/\(enc(roomID))/upgrade", token: alice.token, body: ["new_version": "99"])
            #expect(r.json["errcode"] == "M_UNSUPPORTED_ROOM_VERSION")
            r = try await client.call(.post, "/_matrix/client/v3/rooms/\(enc(roomID))/upgrade", token: alice.token, body: [:])
            #expect(r.json["errcode"] == "M_MISSING_PARAM")
            r = try await client.call(.post, "/_matrix/client/v3/rooms/\(enc(roomID))/upgrade", token: alice.token, body: ["new_version": .string(target)])
            #expect(r.status == .ok)
            let newRoom = try #require(r.json["replacement_room"]?.stringValue)
            let old = "/_matrix/client/v3/rooms/\(enc(roomID))", new = "/_matrix/client/v3/rooms/\(enc(newRoom))"
            r = try await client.call(.get, "\(old)/state/m.room.tombstone", token: alice.token)
            #expect(r.json["replacement_room"] == .string(newRoom))
            r = try await client.call(.get, "\(new)/state/m.room.name", token: alice.token)
            #expect(r.json["name"] == "Old")
            r = try await client.call(.get, "\(new)/state/m.room.create", token: alice.token)
            #expect(r.json["predecessor"]?["room_id"] == .string(roomID) && r.json["room_version"] == .string(target))
            r = try await client.call(.get, "/_matrix/client/v3/directory/room/\(enc("#hall:localhost"))")
            #expect(r.json["room_id"] == .string(newRoom))
            r = try await client.call(.put, "\(old)/send/m.room.message/late", token: bob.token, body: ["body": "anyone?"])
            #expect(r.status == .forbidden)  // the old room is for moderators now
            r = try await client.call(.post, "/_matrix/client/v3/join/\(enc(newRoom))", token: bob.token, body: [:])
            #expect(r.status == .ok)
            r = try await client.call(.get, "/_matrix/client/v3/publicRooms")
            #expect(r.json["chunk"]?.arrayValue?.map { $0["room_id"] } == [.string(newRoom)])
        }
        try await hs.close()
    }
}

@Suite struct MembersAtTests {
    @Test func membersAtAnEarlierToken() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice"), bob = try await registerUser(client, "bob")
            let roomID = try await createRoom(client, token: alice.token, ["preset": "public_chat"])
            let before = try #require(try await client.call(.get, "/_matrix/client/v3/sync", token: alice.token).json["next_batch"]?.stringValue)
            _ = try await client.call(.post, "/_matrix/client/v3/join/\(enc(roomID))", token: bob.token, body: [:])
            let members = "/_matrix/client/v3/rooms/\(enc(roomID))/members"
            var r = try await client.call(.get, members, token: alice.token)
            #expect(r.json["chunk"]?.arrayValue?.count == 2)
            r = try await client.call(.get, "\(members)?at=\(before)", token: alice.token)
            #expect(r.json["chunk"]?.arrayValue?.compactMap { $0["state_key"]?.stringValue } == ["@alice:localhost"])
            r = try await client.call(.get, "\(members)?at=nonsense", token: alice.token)
            #expect(r.json["errcode"] == "M_INVALID_PARAM")
            r = try await client.call(.get, "\(members)?not_membership=join", token: alice.token)
            #expect(r.json["chunk"]?.arrayValue?.isEmpty == true)
        }
        try await hs.close()
    }
}
