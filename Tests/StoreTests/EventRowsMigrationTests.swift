import Foundation
import GRDB
import MatrixProtocol
@testable import Store
import Testing

/// `0014_event_rows` moves the client transaction IDs of a database from before it into the rows
/// of their events, and drops the auth-event table whose facts the events' JSON keeps.
@Suite struct EventRowsMigrationTests {
    @Test func transactionIDsMoveIntoTheirEventsAndAuthChainsStillResolve() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.databasePath
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let old = try DatabaseQueue(path: path)
        try Migrations.migrator.migrate(old, upTo: "0013_push_groups")
        try await old.write { db in
            try db.execute(sql: "INSERT INTO rooms (room_nid, room_id, room_version, created_ts) VALUES (1, '!r:x', '11', 0)")
            let events: [(Int, String, [String])] = [(10, "$create", []), (11, "$member", ["$create"]), (12, "$msg", ["$create", "$member"])]
            for (nid, id, auth) in events {
                let json: JSONObject = ["type": "m.room.message", "room_id": "!r:x", "sender": "@a:x", "content": [:],
                                        "prev_events": [], "auth_events": JSONValue(auth), "depth": 1, "origin_server_ts": 1000]
                try db.execute(sql: """
                    INSERT INTO events (event_nid, event_id, room_nid, type, sender, depth, origin_server_ts, stream_ordering, json)
                    VALUES (?, ?, 1, 'm.room.message', '@a:x', 1, 1000, ?, ?)
                    """, arguments: [nid, id, nid, Data(json.encodedBytes())])
                for a in auth {
                    try db.execute(sql: "INSERT INTO event_auth (event_nid, auth_event_id) VALUES (?, ?)", arguments: [nid, a])
                }
            }
            try db.execute(sql: """
                INSERT INTO event_txn_ids (user_id, device_id, txn_id, event_id, created_ts) VALUES ('@a:x', 'D', 'txn-1', '$msg', 1000)
                """)
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
        // The auth chain comes from the events' own `auth_events`.
        #expect(Set(try await database.authChain(of: ["$msg"]).map(\.eventID)) == ["$create", "$member"])
        try await database.close()
    }
}
