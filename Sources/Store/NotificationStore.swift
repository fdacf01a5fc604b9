import Foundation
import GRDB
import MatrixProtocol

/// What an event's push rules decided, stored with the event in the transaction that appends it
/// (so its counts are in the same `/sync` as the event).
public struct EventPushActions: Sendable {
    public struct Recipient: Sendable {
        public var userID: String
        public var highlight: Bool
        /// The matched rule's actions, as JSON.
        public var actions: [UInt8]

        public init(userID: String, highlight: Bool, actions: [UInt8]) {
            self.userID = userID
            self.highlight = highlight
            self.actions = actions
        }
    }

    /// The local users to notify (the rule said `notify`).
    public var recipients: [Recipient]
    /// `main` or the thread root's event ID.
    public var threadID: String
    /// The sender when local: sending marks their thread read up to this event.
    public var localSender: String?

    public init(recipients: [Recipient], threadID: String, localSender: String?) {
        self.recipients = recipients
        self.threadID = threadID
        self.localSender = localSender
    }
}

/// Unread notifications of one thread (or the main timeline).
public struct UnreadCounts: Sendable, Equatable {
    public var notifications: Int
    public var highlights: Int

    public init(notifications: Int = 0, highlights: Int = 0) {
        self.notifications = notifications
        self.highlights = highlights
    }
}

/// One row of `GET /notifications`.
public struct StoredNotification: Sendable {
    public let event: StoredEvent
    public let roomID: String
    public let roomVersion: String
    public let actions: [UInt8]
    public let ts: Int64
    public let stream: Int64
    public let read: Bool
}

extension Database {
    static func insertPushActions(_ db: GRDB.Database, _ actions: EventPushActions?, eventNID: Int64, stream: Int64,
                                  room: RoomRecord, ts: Int64) throws {
        guard let actions else { return }
        // A big room's send writes a row and a count per notified member. Members the rules
        // treat alike (nearly all of them: same actions, same highlight) share statements that
        // take their user IDs as one JSON array, so a message costs a few statements and binds,
        // not several per member.
        var groups: [(highlight: Bool, actions: [UInt8], users: [String])] = []
        for recipient in actions.recipients {
            if let index = groups.firstIndex(where: { $0.highlight == recipient.highlight && $0.actions == recipient.actions }) {
                groups[index].users.append(recipient.userID)
            } else {
                groups.append((recipient.highlight, recipient.actions, [recipient.userID]))
            }
        }
        for group in groups {
            let users = jsonArray(group.users)
            var insert = DirectBinding(try db.cachedStatement(sql: """
                INSERT OR REPLACE INTO event_push_actions (room_nid, stream_ordering, user_id, event_nid, thread_id, highlight, actions, ts)
                SELECT ?, ?, value, ?, ?, ?, ?, ? FROM json_each(?)
                """))
            insert.bind(room.nid); insert.bind(stream); insert.bind(eventNID); insert.bind(actions.threadID)
            insert.bind(group.highlight); insert.bind(blob: group.actions); insert.bind(ts); insert.bind(users)
            try insert.run(db)
            // Counts are kept (at zero once read), so the common case is one update of rows that exist.
            var count = DirectBinding(try db.cachedStatement(sql: """
                UPDATE push_unread SET notifications = notifications + 1, highlights = highlights + ?
                WHERE room_nid = ? AND thread_id = ? AND user_id IN (SELECT value FROM json_each(?))
                """))
            count.bind(group.highlight); count.bind(room.nid); count.bind(actions.threadID); count.bind(users)
            try count.run(db)
            if db.changesCount < group.users.count {
                var missing = DirectBinding(try db.cachedStatement(sql: """
                    INSERT OR IGNORE INTO push_unread (room_nid, user_id, thread_id, notifications, highlights)
                    SELECT ?, value, ?, 1, ? FROM json_each(?)
                    """))
                missing.bind(room.nid); missing.bind(actions.threadID); missing.bind(group.highlight); missing.bind(users)
                try missing.run(db)
            }
        }
        if let sender = actions.localSender {
            // The sender has read their thread up to now: nothing in it is unread.
            var own = DirectBinding(try db.cachedStatement(sql: """
                INSERT OR REPLACE INTO push_own_events (user_id, room_nid, thread_id, stream_ordering) VALUES (?, ?, ?, ?)
                """))
            own.bind(sender)
            own.bind(room.nid)
            own.bind(actions.threadID)
            own.bind(stream)
            try own.run(db)
            var read = DirectBinding(try db.cachedStatement(sql: """
                UPDATE push_unread SET notifications = 0, highlights = 0 WHERE room_nid = ? AND user_id = ? AND thread_id = ?
                """))
            read.bind(room.nid)
            read.bind(sender)
            read.bind(actions.threadID)
            try read.run(db)
        }
    }

    /// Where the user has read up to in each thread of a room ('' for unthreaded receipts):
    /// the later of their `m.read` and `m.read.private` receipts, and their own latest event.
    static func readPositions(_ db: GRDB.Database, userID: String, room: RoomRecord) throws -> [String: Int64] {
        var positions: [String: Int64] = [:]
        for row in try Row.fetchAll(db.cachedStatement(sql: """
            SELECT r.thread_id, MAX(e.stream_ordering) AS position FROM receipts r JOIN events e ON e.event_id = r.event_id
            WHERE r.room_id = ? AND r.receipt_type IN ('m.read', 'm.read.private') AND r.user_id = ? AND e.stream_ordering IS NOT NULL
            GROUP BY r.thread_id
            """), arguments: [room.roomID, userID]) {
            positions[row["thread_id"]] = row["position"]
        }
        for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT thread_id, stream_ordering FROM push_own_events WHERE user_id = ? AND room_nid = ?"), arguments: [userID, room.nid]) {
            let thread: String = row["thread_id"]
            positions[thread] = max(positions[thread] ?? .min, row["stream_ordering"])
        }
        return positions
    }

    /// Recounts a user's unread notifications in a room after their read position moved: in
    /// every thread for an unthreaded receipt (`thread` nil), else in that thread only. Either
    /// way the scan starts at the new position, so it reads only what came after it.
    static func recountUnread(_ db: GRDB.Database, userID: String, room: RoomRecord, thread only: String?) throws {
        let read = try readPositions(db, userID: userID, room: room)
        let unthreaded = read[""] ?? .min
        var counts: [String: UnreadCounts] = [:]
        var sql = """
            SELECT thread_id, stream_ordering, highlight FROM event_push_actions
            WHERE room_nid = ? AND stream_ordering > ? AND user_id = ?
            """
        var arguments: StatementArguments = [room.nid, max(unthreaded, only.flatMap { read[$0] } ?? .min), userID]
        if let only {
            sql += " AND thread_id = ?"
            arguments += [only]
        }
        let rows = try Row.fetchCursor(db, sql: sql, arguments: arguments)
        while let row = try rows.next() {
            let thread: String = row["thread_id"]
            guard (row["stream_ordering"] as Int64) > read[thread] ?? .min else { continue }
            counts[thread, default: UnreadCounts()].notifications += 1
            if row["highlight"] as Bool { counts[thread, default: UnreadCounts()].highlights += 1 }
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
        try await read { db in
            var counts: [String: UnreadCounts] = [:]
            for row in try Row.fetchAll(db.cachedStatement(sql: """
                SELECT thread_id, notifications, highlights FROM push_unread WHERE room_nid = ? AND user_id = ? AND notifications > 0
                """), arguments: [room.nid, userID]) {
                counts[row["thread_id"]] = UnreadCounts(notifications: row["notifications"], highlights: row["highlights"])
            }
            return counts
        }
    }

    /// `GET /notifications`: the user's notifications below stream position `before`, newest
    /// first, each with whether it has been read. Highlights come from their own index; all
    /// notifications from each room the user has been in (rows are kept by room).
    public func notifications(userID: String, before: Int64, limit: Int, onlyHighlights: Bool) async throws -> [StoredNotification] {
        try await read { db in
            let select = """
                SELECT e.*, a.actions AS push_actions, a.ts AS push_ts, a.thread_id AS push_thread, a.stream_ordering AS push_stream,
                       r.room_id AS push_room_id, r.room_version AS push_room_version
                FROM event_push_actions a JOIN events e ON e.event_nid = a.event_nid JOIN rooms r ON r.room_nid = a.room_nid
                """
            var rows: [Row]
            if onlyHighlights {
                rows = try Row.fetchAll(db, sql: select + """
                     WHERE a.user_id = ? AND a.highlight = 1 AND a.stream_ordering < ? ORDER BY a.stream_ordering DESC LIMIT ?
                    """, arguments: [userID, before, limit])
            } else {
                rows = []
                let rooms = try Int64.fetchAll(db.cachedStatement(sql: "SELECT room_nid FROM room_memberships WHERE user_id = ?"), arguments: [userID])
                for room in rooms {
                    rows += try Row.fetchAll(db, sql: select + """
                         WHERE a.room_nid = ? AND a.stream_ordering < ? AND a.user_id = ? ORDER BY a.stream_ordering DESC LIMIT ?
                        """, arguments: [room, before, userID, limit])
                }
                rows.sort { ($0["push_stream"] as Int64) > ($1["push_stream"] as Int64) }
                rows = Array(rows.prefix(limit))
            }
            var readByRoom: [Int64: [String: Int64]] = [:]
            return try rows.map { row in
                let event = StoredEvent(row: row)
                let room = RoomRecord(nid: event.roomNID, roomID: row["push_room_id"], version: row["push_room_version"])
                if readByRoom[room.nid] == nil { readByRoom[room.nid] = try Self.readPositions(db, userID: userID, room: room) }
                let read = readByRoom[room.nid] ?? [:]
                let stream: Int64 = row["push_stream"]
                let thread: String = row["push_thread"]
                let readUpTo = max(read[""] ?? .min, read[thread] ?? .min)
                return StoredNotification(event: event, roomID: room.roomID, roomVersion: room.version,
                                          actions: [UInt8](row["push_actions"] as Data), ts: row["push_ts"], stream: stream,
                                          read: stream <= readUpTo)
            }
        }
    }

    /// The relation an event has (`content.m.relates_to` with a `rel_type`): to find its thread.
    public func relation(of eventID: String) async throws -> (relType: String, target: String)? {
        try await read { db in
            try Row.fetchOne(db.cachedStatement(sql: """
                SELECT r.rel_type, r.relates_to_id FROM event_relations r JOIN events e ON e.event_nid = r.event_nid WHERE e.event_id = ?
                """), arguments: [eventID]).map { ($0["rel_type"], $0["relates_to_id"]) }
        }
    }
}
