import Foundation
import GRDB
@testable import Store
import Testing

/// `0013_push_groups` turns the per-member notification rows of a database from before it into
/// per-outcome rows with member bitmaps, and keeps every count and notification.
@Suite struct PushGroupsMigrationTests {
    @Test func perMemberRowsBecomeGroupsAndNothingIsLost() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.databasePath
        let old = try databaseMigrated(upTo: "0012_pusher_device", at: path)
        let notify = Data(#"["notify"]"#.utf8), highlight = Data(#"["notify",{"set_tweak":"highlight"}]"#.utf8)
        try await old.write { db in
            try db.execute(sql: "INSERT INTO rooms (room_nid, room_id, room_version, created_ts) VALUES (1, '!r:x', '11', 0)")
            for (nid, stream) in [(10, 5), (11, 7)] {
                try db.execute(sql: """
                    INSERT INTO events (event_nid, event_id, room_nid, type, sender, depth, origin_server_ts, stream_ordering, json)
                    VALUES (?, ?, 1, 'm.room.message', '@a:x', 1, 0, ?, X'7B7D')
                    """, arguments: [nid, "$e\(nid)", stream])
            }
            let rows: [(Int, String, Int, Bool, Data)] = [
                (5, "@b:x", 10, false, notify), (5, "@c:x", 10, false, notify), (5, "@d:x", 10, false, notify),
                (7, "@b:x", 11, true, highlight), (7, "@d:x", 11, false, notify),
            ]
            for (stream, user, nid, isHighlight, actions) in rows {
                try db.execute(sql: """
                    INSERT INTO event_push_actions (room_nid, stream_ordering, user_id, event_nid, thread_id, highlight, actions, ts)
                    VALUES (1, ?, ?, ?, 'main', ?, ?, 1000)
                    """, arguments: [stream, user, nid, isHighlight, actions])
            }
            try db.execute(sql: """
                INSERT INTO push_unread (room_nid, user_id, thread_id, notifications, highlights)
                VALUES (1, '@b:x', 'main', 2, 1), (1, '@c:x', 'main', 1, 0), (1, '@d:x', 'main', 2, 0)
                """)
        }
        try old.close()

        let database = try openDatabase(path)
        let room = RoomRecord(nid: 1, roomID: "!r:x", version: "11")
        let (slots, groups, mark) = try await database.read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM push_member_slots WHERE room_nid = 1"),
             try Row.fetchAll(db, sql: "SELECT stream_ordering, highlight FROM event_push_groups ORDER BY stream_ordering, group_no")
                .map { [$0[0] as Int, $0[1] as Int] },
             try Int64.fetchOne(db, sql: "SELECT push_folded_upto FROM rooms WHERE room_nid = 1"))
        }
        #expect(slots == 3)
        #expect(groups == [[5, 0], [7, 1], [7, 0]])  // one row per outcome of each event
        #expect(mark == 7)
        // The counts were complete: nothing is counted twice from the converted rows.
        #expect(try await database.unreadCounts(userID: "@b:x", room: room) == ["main": UnreadCounts(notifications: 2, highlights: 1)])
        #expect(try await database.unreadCounts(userID: "@c:x", room: room) == ["main": UnreadCounts(notifications: 1)])
        let listed = try await database.notifications(userID: "@b:x", before: .max, limit: 10, onlyHighlights: false)
        #expect(listed.map(\.event.eventID) == ["$e11", "$e10"])
        #expect(listed.map(\.actions) == [[UInt8](highlight), [UInt8](notify)])
        let carol = try await database.notifications(userID: "@c:x", before: .max, limit: 10, onlyHighlights: false)
        #expect(carol.map(\.event.eventID) == ["$e10"])
        #expect(try await database.notifications(userID: "@d:x", before: .max, limit: 10, onlyHighlights: true).isEmpty)
        #expect(try await database.read { db in try db.tableExists("event_push_actions") } == false)
        try await database.close()
    }
}
