import Foundation
import Hummingbird
import HummingbirdTesting
import MatrixProtocol
import Services
import Testing

private let base = "/_matrix/client/v3"

@Suite struct FederationJoinTests {
    @Test func remoteUserJoinsAndMessagesFlowBothWays() async throws {
        let pair = try await FederatedPair.make()
        try await pair.run { a, b in
            let alice = try await registerUser(a, "alice")
            let bob = try await registerUser(b, "bob")
            let room = try await createRoom(a, token: alice.token, ["preset": "public_chat", "name": "Fed"])
            let join = try await b.call(.post, "\(base)/join/\(enc(room))?server_name=a.test", token: bob.token, body: [:])
            #expect(join.status == .ok, "join: \(join.json)")
            // Both servers agree bob is joined.
            let membersA = try await a.call(.get, "\(base)/rooms/\(enc(room))/joined_members", token: alice.token)
            #expect(membersA.json["joined"]?[bob.userID] != nil, "A members: \(membersA.json)")
            let stateB = try await b.call(.get, "\(base)/rooms/\(enc(room))/state/m.room.name", token: bob.token)
            #expect(stateB.json["name"] == "Fed")

            _ = try await a.call(.put, "\(base)/rooms/\(enc(room))/send/m.room.message/t1", token: alice.token,
                                 body: ["msgtype": "m.text", "body": "hello from a"])
            let seenByB = try await syncUntil(b, token: bob.token) { messageBodies($0, room: room).contains("hello from a") }
            #expect(seenByB != nil, "B never saw A's message")

            _ = try await b.call(.put, "\(base)/rooms/\(enc(room))/send/m.room.message/t2", token: bob.token,
                                 body: ["msgtype": "m.text", "body": "hello from b"])
            let seenByA = try await syncUntil(a, token: alice.token) { messageBodies($0, room: room).contains("hello from b") }
            #expect(seenByA != nil, "A never saw B's message")
        }
        try await pair.close()
    }

    @Test func roomVersionTheJoiningServerLacksIsNamedToTheClient() async throws {
        let pair = try await FederatedPair.make()
        try await pair.run { a, b in
            let alice = try await registerUser(a, "alice")
            let bob = try await registerUser(b, "bob")
            let room = try await createRoom(a, token: alice.token, ["preset": "public_chat", "room_version": "11"])
            // B plays a server that knows only room versions up to 10.
            pair.network.rewritePaths { path in
                path.contains("/make_join/") ? path.replacingOccurrences(of: "&ver=11", with: "").replacingOccurrences(of: "&ver=12", with: "") : path
            }
            let join = try await b.call(.post, "\(base)/join/\(enc(room))?server_name=a.test", token: bob.token, body: [:])
            #expect(join.status == .badRequest && join.json["errcode"] == "M_INCOMPATIBLE_ROOM_VERSION", "join: \(join.json)")
            #expect(join.json["room_version"] == "11", "join: \(join.json)")
            #expect(try await pair.a.homeserver.rooms.membership(of: bob.userID, in: room) == nil)
            #expect(try await pair.b.homeserver.database.room(room) == nil)
        }
        try await pair.close()
    }

    @Test func inviteAcrossServersThenJoin() async throws {
        let pair = try await FederatedPair.make()
        try await pair.run { a, b in
            let alice = try await registerUser(a, "alice")
            let bob = try await registerUser(b, "bob")
            let room = try await createRoom(a, token: alice.token, ["preset": "private_chat", "name": "Secret"])
            let invite = try await a.call(.post, "\(base)/rooms/\(enc(room))/invite", token: alice.token, body: ["user_id": .string(bob.userID)])
            #expect(invite.status == .ok, "invite: \(invite.json)")
            let invited = try await syncUntil(b, token: bob.token) { $0["rooms"]?["invite"]?[room] != nil }
            let stripped = invited?["rooms"]?["invite"]?[room]?["invite_state"]?["events"]?.arrayValue ?? []
            #expect(stripped.contains { $0["type"] == "m.room.name" && $0["content"]?["name"] == "Secret" }, "stripped: \(stripped)")
            let join = try await b.call(.post, "\(base)/rooms/\(enc(room))/join", token: bob.token, body: [:])
            #expect(join.status == .ok, "join: \(join.json)")
            _ = try await b.call(.put, "\(base)/rooms/\(enc(room))/send/m.room.message/t1", token: bob.token,
                                 body: ["msgtype": "m.text", "body": "psst"])
            #expect(try await syncUntil(a, token: alice.token) { messageBodies($0, room: room).contains("psst") } != nil)
        }
        try await pair.close()
    }
}

@Suite struct FederationAuthTests {
    @Test func unsignedAndMisaddressedRequestsAreRefused() async throws {
        let pair = try await FederatedPair.make()
        try await pair.run { a, _ in
            let unsigned = try await a.call(.put, "/_matrix/federation/v1/send/1", body: ["pdus": [], "edus": []])
            #expect(unsigned.status == .unauthorized && unsigned.json["errcode"] == "M_UNAUTHORIZED")
            // Signed by b.test but for another destination.
            let key = SigningKey.generate()
            let auth = try XMatrixAuthorization.sign(method: "PUT", uri: "/_matrix/federation/v1/send/2", origin: "b.test",
                                                     destination: "elsewhere.test", content: ["pdus": [], "edus": []], key: key)
            var headers: HTTPFields = [:]
            headers[.authorization] = auth.headerValue
            let status = try await a.execute(uri: "/_matrix/federation/v1/send/2", method: .put, headers: headers,
                                             body: ByteBuffer(bytes: JSONValue.object(["pdus": [], "edus": []]).encodedBytes())) { $0.status }
            #expect(status == .unauthorized)
        }
        try await pair.close()
    }

    @Test func forgedKeyIsRefused() async throws {
        let pair = try await FederatedPair.make()
        try await pair.run { a, _ in
            // b.test's real key is served by b; a request signed with another key under its key ID fails.
            let bKeyID = pair.b.homeserver.signingKey.keyID
            let forged = try SigningKey(keyID: bKeyID, seed: Array(repeating: 7, count: 32))
            let body: JSONValue = ["pdus": [], "edus": []]
            let auth = try XMatrixAuthorization.sign(method: "PUT", uri: "/_matrix/federation/v1/send/3", origin: "b.test",
                                                     destination: "a.test", content: body, key: forged)
            var headers: HTTPFields = [:]
            headers[.authorization] = auth.headerValue
            let status = try await a.execute(uri: "/_matrix/federation/v1/send/3", method: .put, headers: headers,
                                             body: ByteBuffer(bytes: body.encodedBytes())) { $0.status }
            #expect(status == .unauthorized)
        }
        try await pair.close()
    }
}

@Suite struct FederationEDUTests {
    @Test func typingAndReceiptsReachTheOtherServer() async throws {
        let pair = try await FederatedPair.make()
        try await pair.run { a, b in
            let (room, alice, bob) = try await sharedRoom(a, b)
            let sent = try await a.call(.put, "\(base)/rooms/\(enc(room))/send/m.room.message/t1", token: alice.token,
                                        body: ["msgtype": "m.text", "body": "read me"])
            let eventID = sent.json["event_id"]?.stringValue ?? ""
            _ = try await syncUntil(b, token: bob.token) { messageBodies($0, room: room).contains("read me") }
            _ = try await b.call(.put, "\(base)/rooms/\(enc(room))/typing/\(enc(bob.userID))", token: bob.token,
                                 body: ["typing": true, "timeout": 20000])
            let typing = try await syncUntil(a, token: alice.token) { sync in
                (sync["rooms"]?["join"]?[room]?["ephemeral"]?["events"]?.arrayValue ?? []).contains {
                    $0["type"] == "m.typing" && ($0["content"]?["user_ids"]?.arrayValue ?? []).contains(.string(bob.userID))
                }
            }
            #expect(typing != nil, "A never saw bob typing")
            _ = try await b.call(.post, "\(base)/rooms/\(enc(room))/receipt/m.read/\(enc(eventID))", token: bob.token, body: [:])
            let receipt = try await syncUntil(a, token: alice.token) { sync in
                (sync["rooms"]?["join"]?[room]?["ephemeral"]?["events"]?.arrayValue ?? []).contains {
                    $0["type"] == "m.receipt" && $0["content"]?[eventID]?["m.read"]?[bob.userID] != nil
                }
            }
            #expect(receipt != nil, "A never saw bob's receipt")
        }
        try await pair.close()
    }
}

@Suite struct FederationDirectoryTests {
    @Test func publicRoomsOfAnotherServer() async throws {
        let pair = try await FederatedPair.make()
        try await pair.run { a, b in
            let alice = try await registerUser(a, "alice")
            let bob = try await registerUser(b, "bob")
            let room = try await createRoom(a, token: alice.token, ["preset": "public_chat", "visibility": "public", "name": "Town square"])
            let listed = try await b.call(.get, "\(base)/publicRooms?server=a.test", token: bob.token)
            #expect(listed.status == .ok)
            #expect((listed.json["chunk"]?.arrayValue ?? []).contains { $0["room_id"]?.stringValue == room && $0["name"] == "Town square" },
                    "listed: \(listed.json)")
            let searched = try await b.call(.post, "\(base)/publicRooms?server=a.test", token: bob.token,
                                            body: ["filter": ["generic_search_term": "nothing like it"]])
            #expect(searched.status == .ok && searched.json["chunk"]?.arrayValue?.isEmpty == true)
            pair.network.setDown("a.test", true)
            let down = try await b.call(.get, "\(base)/publicRooms?server=a.test", token: bob.token)
            #expect(down.status.code == 502)
        }
        try await pair.close()
    }
}

@Suite struct FederationJoinStateTests {
    @Test func joinerSeesTheRoomStateInSync() async throws {
        let pair = try await FederatedPair.make()
        try await pair.run { a, b in
            let alice = try await registerUser(a, "alice")
            let bob = try await registerUser(b, "bob")
            let room = try await createRoom(a, token: alice.token, [
                "preset": "private_chat", "invite": [.string(bob.userID)],
                "initial_state": [["type": "m.room.encryption", "state_key": "", "content": ["algorithm": "m.megolm.v1.aes-sha2"]]],
            ])
            let invited = try await syncUntil(b, token: bob.token) { $0["rooms"]?["invite"]?[room] != nil }
            let since = invited?["next_batch"]?.stringValue ?? ""
            #expect(try await b.call(.post, "\(base)/join/\(enc(room))", token: bob.token, body: [:]).status == .ok)
            // Incremental, as clients sync: the room's state must come with the join.
            let sync = try await b.call(.get, "\(base)/sync?since=\(since)", token: bob.token)
            let joined = sync.json["rooms"]?["join"]?[room]
            let events = (joined?["state"]?["events"]?.arrayValue ?? []) + (joined?["timeline"]?["events"]?.arrayValue ?? [])
            #expect(events.contains { $0["type"] == "m.room.encryption" }, "sync: \(joined ?? .null)")
        }
        try await pair.close()
    }
}

@Suite struct FederationNotificationTests {
    @Test func remoteMessagesCountAsUnread() async throws {
        let pair = try await FederatedPair.make()
        try await pair.run { a, b in
            let (room, alice, bob) = try await sharedRoom(a, b)
            _ = try await b.call(.put, "\(base)/rooms/\(enc(room))/send/m.room.message/n1", token: bob.token,
                                 body: ["msgtype": "m.text", "body": "ping alice"])
            let counted = try await syncUntil(a, token: alice.token) { sync in
                (sync["rooms"]?["join"]?[room]?["unread_notifications"]?["notification_count"]?.intValue ?? 0) >= 1
            }
            #expect(counted != nil, "a message from another server did not count as unread")
        }
        try await pair.close()
    }
}

@Suite struct FederationMediaTests {
    @Test func remoteMediaIsFetchedOnceThenServedFromTheCache() async throws {
        let pair = try await FederatedPair.make()
        try await pair.run { a, b in
            let alice = try await registerUser(a, "alice")
            let bob = try await registerUser(b, "bob")
            let payload = (0..<5000).map { UInt8($0 % 251) }
            var headers: HTTPFields = [:]
            headers[.authorization] = "Bearer \(alice.token)"
            headers[.contentType] = "application/octet-stream"
            let uploaded = try await a.execute(uri: "/_matrix/media/v3/upload?filename=data.bin", method: .post, headers: headers,
                                               body: ByteBuffer(bytes: payload)) { (try? JSONParser.parseObject(Array($0.body.readableBytesView))) ?? [:] }
            let uri = uploaded["content_uri"]?.stringValue ?? ""
            #expect(uri.hasPrefix("mxc://a.test/"), "upload: \(uploaded)")
            let mediaID = String(uri.dropFirst("mxc://a.test/".count))
            var auth: HTTPFields = [:]
            auth[.authorization] = "Bearer \(bob.token)"
            let path = "/_matrix/client/v1/media/download/a.test/\(mediaID)"
            let (status, bytes) = try await b.execute(uri: path, method: .get, headers: auth, body: nil) {
                ($0.status, Array($0.body.readableBytesView))
            }
            #expect(status == .ok && bytes == payload)
            // Served from B's cache once A is gone.
            pair.network.setDown("a.test", true)
            let again = try await b.execute(uri: path, method: .get, headers: auth, body: nil) { Array($0.body.readableBytesView) }
            #expect(again == payload)
            let missing = try await b.execute(uri: "/_matrix/client/v1/media/download/a.test/nothingHere", method: .get, headers: auth,
                                              body: nil) { $0.status }
            #expect(missing.code == 502 || missing == .notFound)
        }
        try await pair.close()
    }
}

@Suite struct FederationKnockTests {
    @Test func knockOnARemoteRoomThenGetInvited() async throws {
        let pair = try await FederatedPair.make()
        try await pair.run { a, b in
            let alice = try await registerUser(a, "alice")
            let bob = try await registerUser(b, "bob")
            let room = try await createRoom(a, token: alice.token, [
                "preset": "private_chat", "name": "Knock knock",
                "initial_state": [["type": "m.room.join_rules", "state_key": "", "content": ["join_rule": "knock"]]],
            ])
            let knock = try await b.call(.post, "\(base)/knock/\(enc(room))?via=a.test", token: bob.token, body: ["reason": "let me in"])
            #expect(knock.status == .ok, "knock: \(knock.json)")
            #expect(try await pair.a.homeserver.rooms.membership(of: bob.userID, in: room) == "knock")
            let sync = try await b.call(.get, "\(base)/sync", token: bob.token)
            let state = sync.json["rooms"]?["knock"]?[room]?["knock_state"]?["events"]?.arrayValue ?? []
            #expect(state.contains { $0["type"] == "m.room.name" && $0["content"]?["name"] == "Knock knock" }, "knock_state: \(state)")
            // A public room refuses knocks: the auth rules of the resident server decide.
            let open = try await createRoom(a, token: alice.token, ["preset": "public_chat"])
            let refused = try await b.call(.post, "\(base)/knock/\(enc(open))?via=a.test", token: bob.token, body: [:])
            #expect(refused.status == .forbidden, "knock on a public room: \(refused.json)")
            // The knock is answered with an invite, which bob accepts.
            #expect(try await a.call(.post, "\(base)/rooms/\(enc(room))/invite", token: alice.token,
                                     body: ["user_id": .string(bob.userID)]).status == .ok)
            #expect(try await b.call(.post, "\(base)/join/\(enc(room))", token: bob.token, body: [:]).status == .ok)
        }
        try await pair.close()
    }
}
