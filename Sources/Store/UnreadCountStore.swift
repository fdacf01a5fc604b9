import Foundation
import GRDB

/// Unread notification counts (`push_unread` plus what lies past a room's fold mark), the read
/// positions they start from, and the fold that adds a room's recent notifications to its
/// members' counters (see `insertPushActions` and docs/architecture.md, "Push rules and notifications").
extension Database {
    /// One notification row as the counts need it.
    struct PushGroupRow {
        let stream: Int64
        let thread: String
        let highlight: Bool
        let members: [UInt8]
    }

    static func pushGroupRows(_ db: GRDB.Database, room: Int64, after: Int64, upTo: Int64 = .max) throws -> [PushGroupRow] {
        try Row.fetchAll(db.cachedStatement(sql: """
            SELECT stream_ordering, thread_id, highlight, members FROM event_push_groups
            WHERE room_nid = ? AND stream_ordering > ? AND stream_ordering <= ? ORDER BY stream_ordering
            """), arguments: [room, after, upTo]).map {
            PushGroupRow(stream: $0[0], thread: $0[1], highlight: $0[2], members: [UInt8]($0[3] as Data))
        }
    }

    /// Where a room's counts are folded up to: `push_unread` holds what came before it.
    static func unreadFoldMark(_ db: GRDB.Database, room: Int64) throws -> Int64 {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT push_folded_upto FROM rooms WHERE room_nid = ?"), arguments: [room]) ?? 0
    }

    /// The notifications among `rows` that are unread for the member in `slot`, by thread.
    static func tally(_ rows: [PushGroupRow], slot: Int, read: [String: Int64]) -> [String: UnreadCounts] {
        var counts: [String: UnreadCounts] = [:]
        let unthreaded = read[""] ?? .min
        for row in rows where SlotBitmap.contains(row.members, slot) && row.stream > max(unthreaded, read[row.thread] ?? .min) {
            counts[row.thread, default: UnreadCounts()].notifications += 1
            if row.highlight { counts[row.thread, default: UnreadCounts()].highlights += 1 }
        }
        return counts
    }

    /// Adds the notifications past the room's fold mark to its members' counts once enough of
    /// them wait: one statement per distinct change, most members sharing one.
    static func foldUnreadIfDue(_ db: GRDB.Database, room: RoomRecord, stream: Int64, mark: Int64, slots: MemberSlots) throws {
        // Stream positions are shared by all rooms: fewer positions than the interval cannot hold enough events.
        guard stream - mark >= unreadFoldInterval else { return }
        guard try Int.fetchOne(db.cachedStatement(sql: """
            SELECT COUNT(DISTINCT stream_ordering) FROM event_push_groups WHERE room_nid = ? AND stream_ordering > ?
            """), arguments: [room.nid, mark]) ?? 0 >= unreadFoldInterval else { return }
        let rows = try pushGroupRows(db, room: room.nid, after: mark, upTo: stream)
        // Worked out by slot and thread number: a fold goes over every member of every event.
        var threadNumber: [String: Int] = [:]
        var threads: [String] = []
        for row in rows where threadNumber[row.thread] == nil {
            threadNumber[row.thread] = threads.count
            threads.append(row.thread)
        }
        let width = threads.count
        var readUpTo = [Int64](repeating: .min, count: slots.count * width)
        for (user, read) in try roomReadPositions(db, room: room) {
            guard let slot = slots.slotOf[user] else { continue }
            for (number, thread) in threads.enumerated() {
                readUpTo[slot * width + number] = max(read[""] ?? .min, read[thread] ?? .min)
            }
        }
        var notifications = [Int](repeating: 0, count: slots.count * width)
        var highlights = notifications
        for row in rows {
            let number = threadNumber[row.thread] ?? 0
            SlotBitmap.forEach(in: row.members) { slot in
                let cell = slot * width + number
                guard slot < slots.count, row.stream > readUpTo[cell] else { return }
                notifications[cell] += 1
                if row.highlight { highlights[cell] += 1 }
            }
        }
        var byChange: [String: [UnreadCounts: [String]]] = [:]  // thread → what to add → users
        for (cell, count) in notifications.enumerated() where count > 0 {
            byChange[threads[cell % width], default: [:]][UnreadCounts(notifications: count, highlights: highlights[cell]), default: []]
                .append(slots.users[cell / width])
        }
        for (thread, groups) in byChange {
            for (count, users) in groups { try addUnread(db, room: room.nid, thread: thread, users: users, count) }
        }
        try db.cachedStatement(sql: "UPDATE rooms SET push_folded_upto = ? WHERE room_nid = ?").execute(arguments: [stream, room.nid])
    }

    static func addUnread(_ db: GRDB.Database, room: Int64, thread: String, users: [String], _ count: UnreadCounts) throws {
        let list = jsonArray(users)
        // Counts are kept (at zero once read), so the common case is one update of rows that exist.
        var update = DirectBinding(try db.cachedStatement(sql: """
            UPDATE push_unread SET notifications = notifications + ?, highlights = highlights + ?
            WHERE room_nid = ? AND thread_id = ? AND user_id IN (SELECT value FROM json_each(?))
            """))
        update.bind(Int64(count.notifications)); update.bind(Int64(count.highlights)); update.bind(room); update.bind(thread)
        update.bind(list)
        try update.run(db)
        guard db.changesCount < users.count else { return }
        var missing = DirectBinding(try db.cachedStatement(sql: """
            INSERT OR IGNORE INTO push_unread (room_nid, user_id, thread_id, notifications, highlights)
            SELECT ?, value, ?, ?, ? FROM json_each(?)
            """))
        missing.bind(room); missing.bind(thread); missing.bind(Int64(count.notifications)); missing.bind(Int64(count.highlights))
        missing.bind(list)
        try missing.run(db)
    }

    /// Where the user has read up to in each thread of a room ('' for unthreaded receipts):
    /// the later of their `m.read` and `m.read.private` receipts, and their own latest event.
    static func readPositions(_ db: GRDB.Database, userID: String, room: RoomRecord) throws -> [String: Int64] {
        var positions: [String: Int64] = [:]
        // One statement for both sources: every /sync with new notifications asks.
        let rows = try Row.fetchCursor(db.cachedStatement(sql: """
            SELECT r.thread_id, MAX(e.stream_ordering) FROM receipts r JOIN events e ON e.event_id = r.event_id
            WHERE r.room_id = ? AND r.receipt_type IN ('m.read', 'm.read.private') AND r.user_id = ? AND e.stream_ordering IS NOT NULL
            GROUP BY r.thread_id
            UNION ALL
            SELECT thread_id, stream_ordering FROM push_own_events WHERE user_id = ? AND room_nid = ?
            """), arguments: [room.roomID, userID, userID, room.nid])
        while let row = try rows.next() {
            let (thread, position): (String, Int64) = (row[0], row[1])
            positions[thread] = max(positions[thread] ?? .min, position)
        }
        return positions
    }

    /// `readPositions` of every member of a room at once (user → thread → position).
    static func roomReadPositions(_ db: GRDB.Database, room: RoomRecord) throws -> [String: [String: Int64]] {
        var positions: [String: [String: Int64]] = [:]
        for row in try Row.fetchAll(db.cachedStatement(sql: """
            SELECT r.user_id, r.thread_id, MAX(e.stream_ordering) FROM receipts r JOIN events e ON e.event_id = r.event_id
            WHERE r.room_id = ? AND r.receipt_type IN ('m.read', 'm.read.private') AND e.stream_ordering IS NOT NULL
            GROUP BY r.user_id, r.thread_id
            """), arguments: [room.roomID]) {
            positions[row[0], default: [:]][row[1]] = row[2]
        }
        for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT user_id, thread_id, stream_ordering FROM push_own_events WHERE room_nid = ?"),
                                    arguments: [room.nid]) {
            let (user, thread, position): (String, String, Int64) = (row[0], row[1], row[2])
            positions[user, default: [:]][thread] = max(positions[user]?[thread] ?? .min, position)
        }
        return positions
    }

    /// Recounts a user's unread notifications in a room after their read position moved: in
    /// every thread for an unthreaded receipt (`thread` nil), else in that thread only. Only the
    /// folded part is stored (up to the room's fold mark); `unreadCounts` adds what came after.
    static func recountUnread(_ db: GRDB.Database, userID: String, room: RoomRecord, thread only: String?) throws {
        let read = try readPositions(db, userID: userID, room: room)
        var counts: [String: UnreadCounts] = [:]
        if let slot = try MemberSlots.slot(db, room: room.nid, userID: userID) {
            let from = max(read[""] ?? .min, only.flatMap { read[$0] } ?? .min)
            let rows = try pushGroupRows(db, room: room.nid, after: from, upTo: try unreadFoldMark(db, room: room.nid))
            counts = tally(only.map { thread in rows.filter { $0.thread == thread } } ?? rows, slot: slot, read: read)
        }
        // Rows stay at zero rather than go: the next message's count is then a plain update.
        if let only {
            try db.cachedStatement(sql: """
                UPDATE push_unread SET notifications = 0, highlights = 0 WHERE room_nid = ? AND user_id = ? AND thread_id = ?
                """).execute(arguments: [room.nid, userID, only])
        } else {
            try db.cachedStatement(sql: "UPDATE push_unread SET notifications = 0, highlights = 0 WHERE room_nid = ? AND user_id = ?")
                .execute(arguments: [room.nid, userID])
        }
        for (thread, count) in counts {
            try db.cachedStatement(sql: """
                INSERT INTO push_unread (room_nid, user_id, thread_id, notifications, highlights) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (room_nid, user_id, thread_id) DO UPDATE SET notifications = excluded.notifications, highlights = excluded.highlights
                """).execute(arguments: [room.nid, userID, thread, count.notifications, count.highlights])
        }
    }

    /// The user's unread notification counts in a room by thread ('main' for the main
    /// timeline); threads without unread ones are left out.
    public func unreadCounts(userID: String, room: RoomRecord) async throws -> [String: UnreadCounts] {
        try await read { db in try Self.unreadCounts(db, userID: userID, room: room) }
    }

    static func unreadCounts(_ db: GRDB.Database, userID: String, room: RoomRecord) throws -> [String: UnreadCounts] {
        var counts: [String: UnreadCounts] = [:]
        for row in try Row.fetchAll(db.cachedStatement(sql: """
            SELECT thread_id, notifications, highlights FROM push_unread WHERE room_nid = ? AND user_id = ? AND notifications > 0
            """), arguments: [room.nid, userID]) {
            counts[row["thread_id"]] = UnreadCounts(notifications: row["notifications"], highlights: row["highlights"])
        }
        for (thread, count) in try liveUnreadCounts(db, userID: userID, room: room) {
            counts[thread, default: UnreadCounts()].notifications += count.notifications
            counts[thread, default: UnreadCounts()].highlights += count.highlights
        }
        return counts
    }

    /// The user's unread notifications past the room's fold mark (not in `push_unread` yet), by
    /// thread: counted from at most an interval's worth of rows, those that name the user (one
    /// statement finds the mark, the rows and the slot).
    static func liveUnreadCounts(_ db: GRDB.Database, userID: String, room: RoomRecord) throws -> [String: UnreadCounts] {
        var slot = 0
        var rows: [PushGroupRow] = []
        let cursor = try Row.fetchCursor(db.cachedStatement(sql: """
            SELECT g.stream_ordering, g.thread_id, g.highlight, g.members, s.slot FROM rooms r
            JOIN push_member_slots s ON s.room_nid = r.room_nid AND s.user_id = ?
            JOIN event_push_groups g ON g.room_nid = r.room_nid AND g.stream_ordering > r.push_folded_upto
            WHERE r.room_nid = ?
            """), arguments: [userID, room.nid])
        while let row = try cursor.next() {
            slot = row[4]
            let members = [UInt8](row[3] as Data)
            guard SlotBitmap.contains(members, slot) else { continue }
            rows.append(PushGroupRow(stream: row[0], thread: row[1], highlight: row[2], members: members))
        }
        guard !rows.isEmpty else { return [:] }
        return tally(rows, slot: slot, read: try readPositions(db, userID: userID, room: room))
    }
}
