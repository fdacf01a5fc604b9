import Foundation
import GRDB
import MatrixProtocol
@testable import Store
import Testing

/// `0014_event_rows` moves the client transaction IDs of a database from before it into the rows
/// of their events, drops the auth-event table whose facts the events' JSON keeps, and turns
/// prev-event edges into numbers (edges to events not stored yet into gaps).
@Suite struct EventRowsMigrationTests {
    @Test func transactionIDsMoveIntoTheirEventsAndAuthChainsStillResolve() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.databasePath
        let old = try databaseMigrated(upTo: "0013_push_groups", at: path)
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        try await old.write { db in
            try db.execute(sql: "INSERT INTO rooms (room_nid, room_id, room_version, created_ts) VALUES (1, '!r:x', '11', 0)")
            let events: [(Int, String, [String])] = [(10, "$create", []), (11, "$member", ["$create"]), (12, "$msg", ["$create", "$member"])]
            for (nid, id, auth) in events {
                let json: JSONObject = ["type": "m.room.message", "room_id": "!r:x", "sender": "@a:x", "content": [:],
                                        "prev_events": [], "auth_events": JSONValue(auth), "depth": 1, "origin_server_ts": .int(now)]
                try db.execute(sql: """
                    INSERT INTO events (event_nid, event_id, room_nid, type, sender, depth, origin_server_ts, stream_ordering, json)
                    VALUES (?, ?, 1, 'm.room.message', '@a:x', 1, ?, ?, ?)
                    """, arguments: [nid, id, now, nid, Data(json.encodedBytes())])
                for a in auth {
                    try db.execute(sql: "INSERT INTO event_auth (event_nid, auth_event_id) VALUES (?, ?)", arguments: [nid, a])
                }
            }
            for (nid, prev) in [(11, "$create"), (12, "$member"), (12, "$missing")] {
                try db.execute(sql: "INSERT INTO event_edges (event_nid, prev_event_id) VALUES (?, ?)", arguments: [nid, prev])
            }
            // Redacted before the migration: by an event whose JSON becomes `redacted_because`.
            try db.execute(sql: "UPDATE events SET redacted_by = '$msg' WHERE event_id = '$member'")
            try db.execute(sql: """
                INSERT INTO event_txn_ids (user_id, device_id, txn_id, event_id, created_ts) VALUES ('@a:x', 'D', 'txn-1', '$msg', ?)
                """, arguments: [now])
        }
        try old.close()

        let database = try openDatabase(path)
        #expect(database.eventForTransaction(userID: "@a:x", deviceID: "D", txnID: "txn-1") == "$msg")
        let stored = try #require(try await database.event("$msg"))
        #expect(stored.sentWith?.deviceID == "D" && stored.sentWith?.txnID == "txn-1")
        #expect(try await database.event("$member")?.sentWith == nil)
        let tables = try await database.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE name IN ('event_txn_ids', 'event_auth')")
        }
        #expect(tables.isEmpty)
        let redacted = try #require(try await database.event("$member")).clientPDU(version: try #require(RoomVersion.named("11")))
        #expect(redacted.json["unsigned"]?["redacted_because"]?["sender"] == "@a:x")
        #expect(redacted.json["unsigned"]?["redacted_because"]?["event_id"] == "$msg")
        // The auth chain comes from the events' own `auth_events`.
        #expect(Set(try await database.authChain(of: ["$msg"]).map(\.eventID)) == ["$create", "$member"])

        // Known prevs became numbers, the unknown one a gap: history is missing before $msg only.
        let room = RoomRecord(nid: 1, roomID: "!r:x", version: "11")
        #expect(try await database.timelineGaps(around: "$member", in: room) == (before: false, after: false))
        #expect(try await database.timelineGaps(around: "$msg", in: room) == (before: true, after: true))
        func edges() async throws -> (edges: [[Int64]], gaps: [String]) {
            try await database.read { db in
                (try Row.fetchAll(db, sql: "SELECT event_nid, prev_nid FROM event_edges ORDER BY 1, 2").map { [$0[0], $0[1]] },
                 try String.fetchAll(db, sql: "SELECT prev_event_id FROM event_gaps"))
            }
        }
        #expect(try await edges() == ([[11, 10], [12, 11]], ["$missing"]))
        // When the missing event is stored (here as an outlier), its gap becomes an edge to it.
        let missing = try PDU(json: ["type": "m.room.message", "room_id": "!r:x", "sender": "@b:y", "content": [:], "prev_events": [],
                                     "auth_events": [], "depth": 1, "origin_server_ts": 900], version: try #require(RoomVersion.named("11")), eventID: "$missing")
        let missingNID = try await database.writer.write { db in
            try Store.Database.insertOutlier(db, pdu: missing, json: missing.json.encodedBytes(), rejectedReason: nil, room: room)
        }
        #expect(try await edges() == ([[11, 10], [12, 11], [12, missingNID]].sorted { $0.lexicographicallyPrecedes($1) }, []))
        // An outlier is not timeline: the gap before $msg stays.
        #expect(try await database.timelineGaps(around: "$msg", in: room).before)
        try await database.close()
    }
}
