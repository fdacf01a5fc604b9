import Foundation
import GRDB
@testable import Store
import Testing

/// The in-memory map of recent client transactions: expiry, and how far its rebuild reads back.
@Suite struct ClientTransactionsTests {
    let now: Int64 = 1_800_000_000_000

    func transaction(_ txnID: String, at: Int64) -> ClientTransaction {
        ClientTransaction(userID: "@a:x", deviceID: "D", txnID: txnID, now: at)
    }

    @Test func transactionsOlderThanTheRetentionAreForgottenAsNewOnesArrive() {
        let map = ClientTransactions()
        map.remember(transaction("t1", at: now), eventID: "$1")
        map.remember(transaction("t2", at: now + ClientTransactions.retentionMillis / 2), eventID: "$2")
        #expect(map.eventID(userID: "@a:x", deviceID: "D", txnID: "t1") == "$1")
        map.remember(transaction("t3", at: now + ClientTransactions.retentionMillis + 1), eventID: "$3")
        #expect(map.eventID(userID: "@a:x", deviceID: "D", txnID: "t1") == nil)
        #expect(map.eventID(userID: "@a:x", deviceID: "D", txnID: "t2") == "$2")
        #expect(map.eventID(userID: "@a:x", deviceID: "D", txnID: "t3") == "$3")
        // A transaction ID answered once keeps its first event.
        map.remember(transaction("t3", at: now + ClientTransactions.retentionMillis + 2), eventID: "$other")
        #expect(map.eventID(userID: "@a:x", deviceID: "D", txnID: "t3") == "$3")
    }

    /// Reading back stops at the first own transaction past the retention, or after `scanLimit`
    /// events of other servers (their timestamps cannot be trusted to end the scan).
    @Test func theRebuildReadsBackToTheRetentionOrTheScanLimit() throws {
        let queue = try DatabaseQueue()
        try Migrations.migrator.migrate(queue)
        try queue.write { db in
            try db.execute(sql: "INSERT INTO rooms (room_nid, room_id, room_version, created_ts) VALUES (1, '!r:x', '11', 0)")
            // Stream order: an expired own send, a recent own send, then three remote events.
            let rows: [(String, String?, Int64)] = [
                ("$expired", "t0", now - ClientTransactions.retentionMillis - 1),
                ("$recent", "t1", now - 3_600_000),
                ("$r1", nil, 0), ("$r2", nil, 0), ("$r3", nil, 0),
            ]
            for (stream, (id, txn, ts)) in rows.enumerated() {
                try db.execute(sql: """
                    INSERT INTO events (event_id, room_nid, type, sender, depth, origin_server_ts, stream_ordering, json, txn_device, txn_id)
                    VALUES (?, 1, 'm.room.message', ?, 1, ?, ?, X'7B7D', ?, ?)
                    """, arguments: [id, txn == nil ? "@b:y" : "@a:x", ts, stream + 1, txn == nil ? nil : "D", txn])
            }
        }
        for (limit, found) in [(2, false), (3, true)] {
            let map = ClientTransactions()
            try queue.read { db in try map.load(db, now: now, scanLimit: limit) }
            #expect((map.eventID(userID: "@a:x", deviceID: "D", txnID: "t1") == "$recent") == found, "scan limit \(limit)")
            #expect(map.eventID(userID: "@a:x", deviceID: "D", txnID: "t0") == nil)
        }
    }
}
