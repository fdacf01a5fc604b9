import Foundation
import Hummingbird
import HummingbirdTesting
import MatrixProtocol
import Services
import Store
import Testing

private let base = "/_matrix/client/v3"

/// Sends a PDU to `client` in a transaction signed by `origin` with `key`.
private func sendTransaction(_ client: some TestClientProtocol, origin: String, key: SigningKey, txn: String,
                             pdus: [JSONObject]) async throws -> JSONObject {
    let body: JSONValue = ["origin": .string(origin), "origin_server_ts": 1, "pdus": .array(pdus.map(JSONValue.object)), "edus": []]
    let path = "/_matrix/federation/v1/send/\(txn)"
    let auth = try XMatrixAuthorization.sign(method: "PUT", uri: path, origin: origin, destination: "a.test", content: body, key: key)
    var headers: HTTPFields = [:]
    headers[.authorization] = auth.headerValue
    return try await client.execute(uri: path, method: .put, headers: headers, body: ByteBuffer(bytes: body.encodedBytes())) {
        (try? JSONParser.parseObject(Array($0.body.readableBytesView))) ?? [:]
    }
}

/// A message event from bob in `room`, built on A's current extremities, signed with `key`.
/// `after` names the one prev event and its depth instead (to build chains and forks).
private func bobMessage(_ pair: FederatedPair, room: String, bob: String, body: String, key: SigningKey,
                        after: (id: String, depth: Int64)? = nil,
                        tamper: (inout JSONObject) -> Void = { _ in }) async throws -> JSONObject {
    let store = pair.a.homeserver.database
    guard let record = try await store.room(room), let version = RoomVersion.named(record.version) else { throw MatrixError.notFound("room") }
    var heads = try await store.forwardExtremities(of: record)
    if let after { heads = [(after.id, after.depth)] }
    let state = try await store.currentState(of: record)
    var json: JSONObject = [
        "type": "m.room.message", "sender": .string(bob), "room_id": .string(room), "content": ["msgtype": "m.text", "body": .string(body)],
        "origin_server_ts": .int(TestHomeserver.now), "depth": .int((heads.map(\.depth).max() ?? 0) + 1),
        "prev_events": JSONValue(heads.map(\.eventID)),
        "auth_events": JSONValue([state[.create], state[.powerLevels], state[.member(bob)]].compactMap { $0 }),
    ]
    json = try EventHashing.addingContentHash(json, version: version)
    json = try EventSigning.sign(json, serverName: "b.test", key: key, version: version)
    tamper(&json)
    return json
}

/// Bob's message, changed by `tamper` after signing, delivered to A in one transaction, which
/// must accept it; returns the ID A knows it by and A's answer to the transaction.
private func deliverTampered(_ pair: FederatedPair, to a: some TestClientProtocol, room: String, bob: String, body: String, txn: String,
                             tamper: @escaping (inout JSONObject) -> Void) async throws -> String {
    let key = pair.b.homeserver.signingKey
    let event = try await bobMessage(pair, room: room, bob: bob, body: body, key: key, tamper: tamper)
    let answer = try await sendTransaction(a, origin: "b.test", key: key, txn: txn, pdus: [event])
    #expect(answer["pdus"]?.objectValue?.first(where: { _ in true })?.value["error"] == nil, "answer: \(answer)")
    return try EventHashing.eventID(event, version: RoomVersion.named("10")!)
}

/// Polls a server's view of a membership until it is `expected` (delivery is asynchronous).
private func membershipBecomes(_ expected: String, of user: String, in room: String, on server: TestHomeserver) async throws -> Bool {
    let deadline = ContinuousClock.now + .seconds(10)
    while ContinuousClock.now < deadline {
        if try await server.homeserver.rooms.membership(of: user, in: room) == expected { return true }
        try await Task.sleep(for: .milliseconds(50))
    }
    return false
}

@Suite struct FederationPipelineTests {
    @Test func forgedSignatureIsRefusedAndNotStored() async throws {
        let pair = try await FederatedPair.make()
        try await pair.run { a, b in
            let (room, _, bob) = try await sharedRoom(a, b)
            let realKey = pair.b.homeserver.signingKey
            let forger = try SigningKey(keyID: realKey.keyID, seed: Array(repeating: 9, count: 32))
            let forged = try await bobMessage(pair, room: room, bob: bob.userID, body: "forged", key: forger)
            let answer = try await sendTransaction(a, origin: "b.test", key: realKey, txn: "f1", pdus: [forged])
            let result = answer["pdus"]?.objectValue?.first(where: { _ in true })?.value
            #expect(result?["error"]?.stringValue?.contains("signature") == true, "answer: \(answer)")
            let id = try EventHashing.eventID(forged, version: RoomVersion.named("10")!)
            #expect(try await pair.a.homeserver.database.event(id) == nil)
        }
        try await pair.close()
    }

    /// Signatures of a transaction are checked in one batch; a forged one among them makes the
    /// batch fail, and only the forged event is refused after the one-by-one checks.
    @Test func forgedSignatureAmongGoodOnesIsTheOnlyOneRefused() async throws {
        let pair = try await FederatedPair.make()
        try await pair.run { a, b in
            let (room, _, bob) = try await sharedRoom(a, b)
            let realKey = pair.b.homeserver.signingKey
            let forger = try SigningKey(keyID: realKey.keyID, seed: Array(repeating: 9, count: 32))
            var pdus: [JSONObject] = []
            for n in 0..<6 {
                pdus.append(try await bobMessage(pair, room: room, bob: bob.userID, body: "sibling \(n)", key: n == 3 ? forger : realKey))
            }
            let answer = try await sendTransaction(a, origin: "b.test", key: realKey, txn: "fb1", pdus: pdus)
            let version = try #require(RoomVersion.named("10"))
            for (n, pdu) in pdus.enumerated() {
                let id = try EventHashing.eventID(pdu, version: version)
                let error = answer["pdus"]?[id]?["error"]?.stringValue
                let stored = try await pair.a.homeserver.database.event(id)
                if n == 3 {
                    #expect(error?.contains("signature") == true, "answer: \(answer)")
                    #expect(stored == nil)
                } else {
                    #expect(error == nil, "sibling \(n): \(answer)")
                    #expect(stored != nil, "sibling \(n)")
                }
            }
        }
        try await pair.close()
    }

    @Test func contentHashMismatchKeepsOnlyTheRedactedEvent() async throws {
        let pair = try await FederatedPair.make()
        try await pair.run { a, b in
            let (room, alice, bob) = try await sharedRoom(a, b)
            // Content changed after hashing and signing: the signature (over the redacted form) still holds.
            _ = try await deliverTampered(pair, to: a, room: room, bob: bob.userID, body: "original", txn: "h1") { json in
                json["content"] = ["msgtype": "m.text", "body": "tampered"]
            }
            let sync = try await a.call(.get, "\(base)/sync", token: alice.token)
            let timeline = sync.json["rooms"]?["join"]?[room]?["timeline"]?["events"]?.arrayValue ?? []
            let received = timeline.last { $0["sender"]?.stringValue == bob.userID && $0["type"] == "m.room.message" }
            #expect(received != nil && received?["content"]?["body"] == nil, "timeline: \(timeline)")
        }
        try await pair.close()
    }

    /// Nothing signs `unsigned`: what a sending server put there never reaches our clients as if
    /// this server had said it (a transaction ID only the sending device should see, a fake
    /// redaction or edit, a stale age).
    @Test func theSendersUnsignedIsNotServed() async throws {
        let pair = try await FederatedPair.make()
        try await pair.run { a, b in
            let (room, alice, bob) = try await sharedRoom(a, b)
            let id = try await deliverTampered(pair, to: a, room: room, bob: bob.userID, body: "hello", txn: "u1") { json in
                json["unsigned"] = ["transaction_id": "not-yours", "age": 999_999_999, "custom": true,
                                    "redacted_because": ["type": "m.room.redaction", "sender": "@mallory:b.test"],
                                    "m.relations": ["m.replace": ["event_id": "$fake", "content": ["body": "edited"]]]]
            }
            let sync = try await a.call(.get, "\(base)/sync", token: alice.token)
            let timeline = sync.json["rooms"]?["join"]?[room]?["timeline"]?["events"]?.arrayValue ?? []
            let single = try await a.call(.get, "\(base)/rooms/\(enc(room))/event/\(enc(id))", token: alice.token)
            let received = timeline.first { $0["event_id"]?.stringValue == id }
            #expect(received?["content"]?["body"] == "hello", "timeline: \(timeline)")
            #expect(single.json["content"]?["body"] == "hello", "\(single.json)")
            for served in [received ?? [:], .object(single.json)] {
                let unsigned = served["unsigned"]?.objectValue ?? [:]
                #expect(Set(unsigned.keys) == ["age", "membership"], "\(unsigned)")
                #expect((unsigned["age"]?.intValue ?? .max) < 60_000)
            }
        }
        try await pair.close()
    }

    @Test func eventFromNonMemberIsRejected() async throws {
        let pair = try await FederatedPair.make()
        try await pair.run { a, b in
            let alice = try await registerUser(a, "alice")
            let room = try await createRoom(a, token: alice.token, ["preset": "public_chat"])
            // carol@b never joined: her message cannot be authorised.
            let key = pair.b.homeserver.signingKey
            let event = try await bobMessage(pair, room: room, bob: "@carol:b.test", body: "intruder", key: key)
            let answer = try await sendTransaction(a, origin: "b.test", key: key, txn: "r1", pdus: [event])
            let error = answer["pdus"]?.objectValue?.first(where: { _ in true })?.value["error"]?.stringValue ?? ""
            #expect(error.contains("Rejected"), "answer: \(answer)")
            let sync = try await a.call(.get, "\(base)/sync", token: alice.token)
            #expect(messageBodies(sync.json, room: room).isEmpty)
        }
        try await pair.close()
    }

    @Test func serverACLBansTheOrigin() async throws {
        let pair = try await FederatedPair.make()
        try await pair.run { a, b in
            let (room, alice, bob) = try await sharedRoom(a, b)
            let set = try await a.call(.put, "\(base)/rooms/\(enc(room))/state/m.room.server_acl/", token: alice.token,
                                       body: ["allow": ["*"], "deny": ["b.test"], "allow_ip_literals": true])
            #expect(set.status == .ok)
            let key = pair.b.homeserver.signingKey
            let event = try await bobMessage(pair, room: room, bob: bob.userID, body: "banned server", key: key)
            let answer = try await sendTransaction(a, origin: "b.test", key: key, txn: "acl1", pdus: [event])
            let error = answer["pdus"]?.objectValue?.first(where: { _ in true })?.value["error"]?.stringValue ?? ""
            #expect(error.contains("server ACL"), "answer: \(answer)")
            let sync = try await a.call(.get, "\(base)/sync", token: alice.token)
            #expect(!messageBodies(sync.json, room: room).contains("banned server"))
        }
        try await pair.close()
    }

    @Test func chainedTransactionIsAcceptedAroundARejectedEvent() async throws {
        let pair = try await FederatedPair.make()
        try await pair.run { a, b in
            let (room, alice, bob) = try await sharedRoom(a, b)
            let key = pair.b.homeserver.signingKey
            let version = RoomVersion.named("10")!
            guard let record = try await pair.a.homeserver.database.room(room),
                  let head = try await pair.a.homeserver.database.forwardExtremities(of: record).first else { throw MatrixError.notFound("room") }
            // one ← two ← intruder (rejected: carol never joined); four builds on two, beside it.
            let one = try await bobMessage(pair, room: room, bob: bob.userID, body: "one", key: key, after: (head.eventID, head.depth))
            let oneID = try EventHashing.eventID(one, version: version)
            let two = try await bobMessage(pair, room: room, bob: bob.userID, body: "two", key: key, after: (oneID, head.depth + 1))
            let twoID = try EventHashing.eventID(two, version: version)
            let intruder = try await bobMessage(pair, room: room, bob: "@carol:b.test", body: "intruder", key: key,
                                                after: (twoID, head.depth + 2))
            let four = try await bobMessage(pair, room: room, bob: bob.userID, body: "four", key: key, after: (twoID, head.depth + 2))
            let answer = try await sendTransaction(a, origin: "b.test", key: key, txn: "chain1", pdus: [one, two, intruder, four])
            let results = answer["pdus"]?.objectValue ?? [:]
            #expect(results.count == 4, "answer: \(answer)")
            for event in [one, two, four] {
                #expect(results[try EventHashing.eventID(event, version: version)]?["error"] == nil, "answer: \(answer)")
            }
            let refusal = results[try EventHashing.eventID(intruder, version: version)]?["error"]?.stringValue ?? ""
            #expect(refusal.contains("Rejected"), "answer: \(answer)")
            let sync = try await a.call(.get, "\(base)/sync", token: alice.token)
            #expect(messageBodies(sync.json, room: room).suffix(3) == ["one", "two", "four"])
            let heads = try await pair.a.homeserver.database.forwardExtremities(of: record)
            #expect(heads.map(\.eventID) == [try EventHashing.eventID(four, version: version)])
        }
        try await pair.close()
    }

    @Test func retriedTransactionIsAnsweredOnce() async throws {
        let pair = try await FederatedPair.make()
        try await pair.run { a, b in
            let (room, alice, bob) = try await sharedRoom(a, b)
            let key = pair.b.homeserver.signingKey
            let event = try await bobMessage(pair, room: room, bob: bob.userID, body: "once", key: key)
            let first = try await sendTransaction(a, origin: "b.test", key: key, txn: "dup", pdus: [event])
            let second = try await sendTransaction(a, origin: "b.test", key: key, txn: "dup", pdus: [event])
            #expect(first == second)
            let sync = try await a.call(.get, "\(base)/sync", token: alice.token)
            #expect(messageBodies(sync.json, room: room) == ["once"])
        }
        try await pair.close()
    }

    @Test func peerDownThenBackCatchesUpInOrder() async throws {
        let pair = try await FederatedPair.make()
        try await pair.run { a, b in
            let (room, alice, bob) = try await sharedRoom(a, b)
            pair.network.setDown("b.test", true)
            for n in 1...3 {
                _ = try await a.call(.put, "\(base)/rooms/\(enc(room))/send/m.room.message/d\(n)", token: alice.token,
                                     body: ["msgtype": "m.text", "body": .string("while down \(n)")])
            }
            try await Task.sleep(for: .milliseconds(300))
            pair.network.setDown("b.test", false)
            let seen = try await syncUntil(b, token: bob.token, timeout: .seconds(15)) {
                messageBodies($0, room: room).suffix(3) == ["while down 1", "while down 2", "while down 3"]
            }
            #expect(seen != nil, "B did not catch up")
        }
        try await pair.close()
    }

    @Test func gapIsFilledWithGetMissingEvents() async throws {
        let pair = try await FederatedPair.make()
        try await pair.run { a, b in
            let (room, alice, bob) = try await sharedRoom(a, b)
            pair.network.setDown("b.test", true)
            for n in 1...3 {
                _ = try await a.call(.put, "\(base)/rooms/\(enc(room))/send/m.room.message/g\(n)", token: alice.token,
                                     body: ["msgtype": "m.text", "body": .string("gap \(n)")])
            }
            // Drop the first two from A's queue: B only gets the third and must fetch what precedes it.
            let store = pair.a.homeserver.database
            try await Task.sleep(for: .milliseconds(200))
            let queued = try await store.outboundBatch(destination: "b.test", limit: 2)
            if let last = queued.last { try await store.removeOutbound(destination: "b.test", upTo: last.seq) }
            pair.network.setDown("b.test", false)
            let seen = try await syncUntil(b, token: bob.token, timeout: .seconds(15)) {
                Set(messageBodies($0, room: room)).isSuperset(of: ["gap 1", "gap 2", "gap 3"])
            }
            #expect(seen != nil, "B did not fill the gap")
        }
        try await pair.close()
    }

    @Test func leaveAndKickReachTheOtherServer() async throws {
        let pair = try await FederatedPair.make()
        try await pair.run { a, b in
            let (room, alice, bob) = try await sharedRoom(a, b)
            let kick = try await a.call(.post, "\(base)/rooms/\(enc(room))/kick", token: alice.token, body: ["user_id": .string(bob.userID)])
            #expect(kick.status == .ok, "kick: \(kick.json)")
            #expect(try await membershipBecomes("leave", of: bob.userID, in: room, on: pair.b), "B never saw the kick")
            func lastMembership(of user: String, seenBy token: String, on server: some TestClientProtocol) async throws -> JSONValue? {
                let page = try await server.call(.get, "\(base)/rooms/\(enc(room))/messages?dir=b&limit=20", token: token)
                return page.json["chunk"]?.arrayValue?.first { $0["type"] == "m.room.member" && $0["state_key"] == .string(user) }
            }
            // The kick, made on A, carries the join it replaced (`unsigned.prev_content`).
            let kickOnA = try await lastMembership(of: bob.userID, seenBy: alice.token, on: a)
            #expect(kickOnA?["content"]?["membership"] == "leave" && kickOnA?["unsigned"]?["prev_content"]?["membership"] == "join",
                    "\(String(describing: kickOnA))")
            let rejoin = try await b.call(.post, "\(base)/join/\(enc(room))?via=a.test", token: bob.token, body: [:])
            #expect(rejoin.status == .ok, "rejoin: \(rejoin.json)")
            let leave = try await b.call(.post, "\(base)/rooms/\(enc(room))/leave", token: bob.token, body: [:])
            #expect(leave.status == .ok)
            #expect(try await membershipBecomes("leave", of: bob.userID, in: room, on: pair.a), "A never saw the leave")
            // So does the leave made on B and received by A.
            let leaveOnA = try await lastMembership(of: bob.userID, seenBy: alice.token, on: a)
            #expect(leaveOnA?["content"]?["membership"] == "leave" && leaveOnA?["unsigned"]?["prev_content"]?["membership"] == "join"
                    && leaveOnA?["unsigned"]?["replaces_state"] != nil, "\(String(describing: leaveOnA))")
        }
        try await pair.close()
    }

    @Test func remoteProfileAndAliasQueries() async throws {
        let pair = try await FederatedPair.make()
        try await pair.run { a, b in
            let alice = try await registerUser(a, "alice")
            let bob = try await registerUser(b, "bob")
            _ = try await a.call(.put, "\(base)/profile/\(enc(alice.userID))/displayname", token: alice.token, body: ["displayname": "Alice A"])
            let profile = try await b.call(.get, "\(base)/profile/\(enc(alice.userID))", token: bob.token)
            #expect(profile.json["displayname"] == "Alice A", "profile: \(profile.json)")
            let missing = try await b.call(.get, "\(base)/profile/\(enc("@nobody:a.test"))", token: bob.token)
            #expect(missing.status == .notFound)
            let room = try await createRoom(a, token: alice.token, ["preset": "public_chat", "room_alias_name": "lobby"])
            let joined = try await b.call(.post, "\(base)/join/\(enc("#lobby:a.test"))", token: bob.token, body: [:])
            #expect(joined.status == .ok && joined.json["room_id"]?.stringValue == room, "join by alias: \(joined.json)")
            let unknown = try await b.call(.post, "\(base)/join/\(enc("#nope:a.test"))", token: bob.token, body: [:])
            #expect(unknown.status == .notFound)
        }
        try await pair.close()
    }
}
