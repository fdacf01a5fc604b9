import Foundation
import MatrixProtocol
import GRDB
import Testing
@testable import Store

@Suite struct RoomStoreTests {
    let version = RoomVersion.named("10")!

    func event(_ id: String, _ type: String, stateKey: String? = nil, sender: String = "@a:x", content: JSONObject = [:],
               prev: [String], depth: Int64, ts: Int64 = 1) throws -> NewTimelineEvent {
        var json: JSONObject = ["type": .string(type), "room_id": "!r:x", "sender": .string(sender), "content": .object(content),
                                "prev_events": JSONValue(prev), "auth_events": [], "depth": .int(depth), "origin_server_ts": .int(ts)]
        if let stateKey { json["state_key"] = .string(stateKey) }
        return NewTimelineEvent(pdu: try PDU(json: json, version: version, eventID: id), json: json.encodedBytes())
    }

    /// Rows stored before a sending server's `unsigned` was dropped on receipt still hold it;
    /// only what this server writes there (a state event's replaced state) is read back.
    @Test func onlyOurOwnUnsignedIsReadBack() async throws {
        try await withTemporaryDatabase { db, _ in
            let room = try await db.createRoom(roomID: "!r:x", version: "10", now: 1)
            func withUnsigned(_ event: NewTimelineEvent, _ unsigned: JSONObject) throws -> NewTimelineEvent {
                var json = event.pdu.json
                json["unsigned"] = .object(unsigned)
                return NewTimelineEvent(pdu: try PDU(json: json, version: version, eventID: event.pdu.eventID), json: json.encodedBytes())
            }
            let foreign: JSONObject = ["transaction_id": "theirs", "age": 5, "m.relations": ["m.replace": ["event_id": "$x"]]]
            var own = foreign
            own["prev_content"] = ["membership": "invite"]
            own["replaces_state"] = "$create"
            _ = try await db.appendTimelineEvents([
                try event("$create", "m.room.create", stateKey: "", prev: [], depth: 1),
                try withUnsigned(try event("$join", "m.room.member", stateKey: "@a:x", content: ["membership": "join"], prev: ["$create"], depth: 2), own),
                try withUnsigned(try event("$msg", "m.room.message", content: ["body": "hi"], prev: ["$join"], depth: 3), foreign),
            ], room: room)
            let message = try #require(try await db.event("$msg")), member = try #require(try await db.event("$join"))
            #expect(try message.pdu(version: version).json["unsigned"] == nil)
            #expect(try message.clientPDU(version: version).json["unsigned"] == nil)
            let served = try message.clientPDU(version: version, for: EventAudience(userID: "@a:x", deviceID: "D", now: 11))
            #expect(served.json["unsigned"] == ["age": 10])
            #expect(try member.pdu(version: version).json["unsigned"] == ["prev_content": ["membership": "invite"], "replaces_state": "$create"])
            #expect(try message.pdu(version: version).content["body"] == "hi")
        }
    }

    @Test func appendAdvancesStateExtremitiesAndStream() async throws {
        try await withTemporaryDatabase { db, _ in
        let room = try await db.createRoom(roomID: "!r:x", version: "10", now: 1)
        await #expect(throws: StoreError.alreadyExists("!r:x")) { try await db.createRoom(roomID: "!r:x", version: "10", now: 1) }
        let streams = try await db.appendTimelineEvents([
            try event("$create", "m.room.create", stateKey: "", prev: [], depth: 1),
            try event("$join", "m.room.member", stateKey: "@a:x", content: ["membership": "join"], prev: ["$create"], depth: 2),
            try event("$msg", "m.room.message", content: ["body": "hi"], prev: ["$join"], depth: 3),
        ], room: room)
        #expect(streams == [1, 2, 3])
        #expect(try await db.currentState(of: room) == [.create: "$create", .member("@a:x"): "$join"])
        #expect(try await db.forwardExtremities(of: room).map(\.eventID) == ["$msg"])
        #expect(try await db.membership(of: "@a:x", in: room) == "join")
        #expect(try await db.rooms(of: "@a:x", membership: "join") == ["!r:x"])
        #expect(try await db.stateAfter(eventID: "$create") == [.create: "$create"])
        #expect(try await db.stateAfter(eventID: "$msg") == [.create: "$create", .member("@a:x"): "$join"])
        #expect(try await db.currentStreamPosition() == 3)
        let stored = try #require(try await db.event("$msg"))
        #expect(try stored.pdu(version: version).content["body"] == "hi")
        try await db.appendTimelineEvent(try event("$leave", "m.room.member", stateKey: "@a:x", content: ["membership": "leave"],
                                                   prev: ["$msg"], depth: 4), room: room)
        #expect(try await db.membership(of: "@a:x", in: room) == "leave")
        #expect(try await db.stateAfter(eventID: "$msg")?[.member("@a:x")] == "$join")  // snapshots are immutable
        }
    }

    @Test func snapshotsCheckpointAndStayCorrect() async throws {
        try await withTemporaryDatabase { db, _ in
        let room = try await db.createRoom(roomID: "!r:x", version: "10", now: 1)
        var prev = [String]()
        var events: [NewTimelineEvent] = []
        for i in 0..<250 {
            events.append(try event("$s\(i)", "m.test", stateKey: "k\(i % 60)", content: ["i": .int(Int64(i))], prev: prev, depth: Int64(i + 1)))
            prev = ["$s\(i)"]
        }
        _ = try await db.appendTimelineEvents(events, room: room)
        let state = try await db.currentState(of: room)
        #expect(state.count == 60)
        #expect(state[StateKey("m.test", "k5")] == "$s245")
        let early = try #require(try await db.stateAfter(eventID: "$s130"))
        #expect(early.count == 60 && early[StateKey("m.test", "k10")] == "$s130" && early[StateKey("m.test", "k11")] == "$s71")
        let chain = try await db.read { (db: GRDB.Database) in try Int.fetchOne(db, sql: "SELECT MAX(chain_length) FROM state_snapshots") }
        #expect(chain == Database.snapshotCheckpointInterval - 1)
        }
    }

    @Test func transactionIDsAreRememberedForADayAndSurviveAReopen() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let db = try openDatabase(directory.databasePath)
        #expect(db.eventForTransaction(userID: "@a:x", deviceID: "D", txnID: "t1") == nil)
        let room = try await db.createRoom(roomID: "!r:x", version: "10", now: 1)
        // Sent now, and a day and a minute ago (the start's reading is against the wall clock).
        let later = Int64(Date().timeIntervalSince1970 * 1000), earlier = later - ClientTransactions.retentionMillis - 60_000
        var old = try event("$old", "m.room.message", content: ["body": "old"], prev: [], depth: 1, ts: earlier)
        old.transaction = ClientTransaction(userID: "@a:x", deviceID: "D", txnID: "t0", now: earlier)
        _ = try await db.appendTimelineEvent(old, room: room)
        #expect(db.eventForTransaction(userID: "@a:x", deviceID: "D", txnID: "t0") == "$old")
        var sent = try event("$e", "m.room.message", content: ["body": "hi"], prev: ["$old"], depth: 2, ts: later)
        sent.transaction = ClientTransaction(userID: "@a:x", deviceID: "D", txnID: "t1", now: later)
        _ = try await db.appendTimelineEvent(sent, room: room)
        // Found for the same user and device only; the one sent a day before is forgotten.
        #expect(db.eventForTransaction(userID: "@a:x", deviceID: "D", txnID: "t1") == "$e")
        #expect(db.eventForTransaction(userID: "@a:x", deviceID: "E", txnID: "t1") == nil)
        #expect(db.eventForTransaction(userID: "@b:x", deviceID: "D", txnID: "t1") == nil)
        #expect(db.eventForTransaction(userID: "@a:x", deviceID: "D", txnID: "t0") == nil)

        // The event's row keeps them: a second opening rebuilds the same map from the timeline.
        let reopened = try openDatabase(directory.databasePath)
        #expect(reopened.eventForTransaction(userID: "@a:x", deviceID: "D", txnID: "t1") == "$e")
        #expect(reopened.eventForTransaction(userID: "@a:x", deviceID: "D", txnID: "t0") == nil)
        try await reopened.close()

        // Only the sending device sees its transaction ID in `unsigned`.
        let stored = try #require(try await db.event("$e"))
        #expect(try stored.clientPDU(version: version, for: EventAudience(userID: "@a:x", deviceID: "D", now: later)).json["unsigned"]?["transaction_id"] == "t1")
        #expect(try stored.clientPDU(version: version, for: EventAudience(userID: "@a:x", deviceID: "E", now: later)).json["unsigned"]?["transaction_id"] == nil)
        #expect(try stored.clientPDU(version: version, for: EventAudience(userID: "@b:x", deviceID: "D", now: later + 5)).json["unsigned"] == ["age": 5])
        #expect(try stored.clientPDU(version: version).json["unsigned"] == nil)
        try await db.close()
    }
}
