import Foundation
import GRDB
import MatrixProtocol

/// What an event's push rules decided, stored with the event in the transaction that appends it
/// (so its counts are in the same `/sync` as the event).
public struct EventPushActions: Sendable {
    /// Local users notified alike: the same actions, the same highlight.
    public struct Group: Sendable {
        public var highlight: Bool
        /// The matched rule's actions, as JSON.
        public var actions: [UInt8]
        public var members: PushMembers
        /// One of `members` who is not notified (the sender, who shares the others' rules).
        public var except: String?

        public init(highlight: Bool, actions: [UInt8], members: PushMembers, except: String? = nil) {
            self.highlight = highlight
            self.actions = actions
            self.members = members
            self.except = except
        }

        var count: Int { members.userIDs.count - (except == nil ? 0 : 1) }
    }

    /// The local users to notify (the rule said `notify`).
    public var groups: [Group]
    /// `main` or the thread root's event ID.
    public var threadID: String
    /// The sender when local: sending marks their thread read up to this event.
    public var localSender: String?

    public init(groups: [Group], threadID: String, localSender: String?) {
        self.groups = groups
        self.threadID = threadID
        self.localSender = localSender
    }

    /// How many users are notified.
    public var notifiedCount: Int { groups.reduce(0) { $0 + $1.count } }
}

/// A list of local users notified alike, as one object: a room's members who share their rules
/// come as the same list event after event, and the writer maps it to slots once
/// (`MemberSlots.bitmap(of:)`), not a user at a time.
public final class PushMembers: Sendable {
    public let userIDs: [String]
    /// Whether the same list comes again with later events (worth remembering its bitmap).
    public let recurring: Bool

    public init(_ userIDs: [String], recurring: Bool = false) {
        self.userIDs = userIDs
        self.recurring = recurring
    }
}

/// Unread notifications of one thread (or the main timeline).
public struct UnreadCounts: Sendable, Hashable {
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
    /// A room's notifications are added to its `push_unread` counts once this many events with
    /// notifications wait past its fold mark; until then `/sync` counts them from their bitmaps.
    /// A member's count is thus written once per this many messages, not once per message.
    public static let unreadFoldInterval = 32

    static func insertPushActions(_ db: GRDB.Database, _ actions: EventPushActions?, eventNID: Int64, stream: Int64,
                                  room: RoomRecord, ts: Int64, slotCache: MemberSlotCache) throws {
        guard let actions else { return }
        if let sender = actions.localSender {
            // The sender has read their thread up to now: nothing in it is unread.
            var own = DirectBinding(try db.cachedStatement(sql: """
                INSERT INTO push_own_events (user_id, room_nid, thread_id, stream_ordering) VALUES (?, ?, ?, ?)
                ON CONFLICT (user_id, room_nid, thread_id) DO UPDATE SET stream_ordering = excluded.stream_ordering
                """))
            own.bind(sender)
            own.bind(room.nid)
            own.bind(actions.threadID)
            own.bind(stream)
            try own.run(db)
            // Only rows not already at zero: a sender's next message would rewrite the same row,
            // a WAL page of every commit for nothing.
            var read = DirectBinding(try db.cachedStatement(sql: """
                UPDATE push_unread SET notifications = 0, highlights = 0
                WHERE room_nid = ? AND user_id = ? AND thread_id = ? AND (notifications != 0 OR highlights != 0)
                """))
            read.bind(room.nid)
            read.bind(sender)
            read.bind(actions.threadID)
            try read.run(db)
        }
        guard actions.notifiedCount > 0 else { return }
        var marks = DirectBinding(try db.cachedStatement(sql: "SELECT push_folded_upto, push_slot_count FROM rooms WHERE room_nid = ?"))
        marks.bind(room.nid)
        guard let (foldMark, slotCount) = try marks.int64Pair(db) else { return }
        // Members the rules treat alike (nearly all of them: same actions, same highlight) share
        // one row, which names them as bits of their slots.
        var slots = try slotCache.slots(db, room: room.nid, count: Int(slotCount))
        var groups: [(highlight: Bool, actions: [UInt8], members: [UInt8])] = []
        for group in actions.groups where group.count > 0 {
            var members = try slots.bitmap(of: group.members, db, room: room.nid)
            if let except = group.except, let slot = slots.slotOf[except] { SlotBitmap.remove(slot, from: &members) }
            if let index = groups.firstIndex(where: { $0.highlight == group.highlight && $0.actions == group.actions }) {
                SlotBitmap.add(members, to: &groups[index].members)
            } else {
                groups.append((group.highlight, group.actions, members))
            }
        }
        if slots.count != slotCount || slots.memoChanged { slotCache.keep(slots, room: room.nid) }
        for (number, group) in groups.enumerated() {
            var insert = DirectBinding(try db.cachedStatement(sql: """
                INSERT INTO event_push_groups (room_nid, stream_ordering, group_no, event_nid, thread_id, highlight, actions, ts, members)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """))
            insert.bind(room.nid); insert.bind(stream); insert.bind(Int64(number)); insert.bind(eventNID)
            insert.bind(actions.threadID); insert.bind(group.highlight); insert.bind(blob: group.actions); insert.bind(ts)
            insert.bind(blob: group.members)
            try insert.run(db)
        }
        try foldUnreadIfDue(db, room: room, stream: stream, mark: foldMark, slots: slots)
    }

    /// The rooms where the user was ever notified, with their slot there.
    static func notifiedRooms(_ db: GRDB.Database, userID: String) throws -> [(room: Int64, slot: Int)] {
        try Row.fetchAll(db.cachedStatement(sql: "SELECT room_nid, slot FROM push_member_slots WHERE user_id = ?"),
                         arguments: [userID]).map { ($0[0], $0[1]) }
    }

    /// One notification of a user, found by `roomNotifications`.
    struct NotificationRow {
        let room: Int64
        let stream: Int64
        let eventNID: Int64
        let thread: String
        let actions: [UInt8]
        let ts: Int64
    }

    /// The user's notifications in one room, in stream order from `after` (ascending) or from
    /// `before` (descending), at most `limit`.
    static func roomNotifications(_ db: GRDB.Database, room: Int64, slot: Int, after: Int64, before: Int64,
                                  descending: Bool, onlyHighlights: Bool, limit: Int) throws -> [NotificationRow] {
        let statement = try db.cachedStatement(sql: """
            SELECT stream_ordering, event_nid, thread_id, actions, ts, members FROM event_push_groups
            WHERE room_nid = ? AND stream_ordering > ? AND stream_ordering < ? AND highlight >= ?
            ORDER BY stream_ordering \(descending ? "DESC" : "ASC")
            """)
        var found: [NotificationRow] = []
        let rows = try Row.fetchCursor(statement, arguments: [room, after, before, onlyHighlights ? 1 : 0])
        while found.count < limit, let row = try rows.next() {
            guard SlotBitmap.contains([UInt8](row[5] as Data), slot) else { continue }
            found.append(NotificationRow(room: room, stream: row[0], eventNID: row[1], thread: row[2],
                                         actions: [UInt8](row[3] as Data), ts: row[4]))
        }
        return found
    }

    static func storedEvent(_ db: GRDB.Database, nid: Int64) throws -> StoredEvent? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM events WHERE event_nid = ?"), arguments: [nid]).map(StoredEvent.init(row:))
    }

    /// The user's notifications in `(after, before)` from every room they were notified in,
    /// merged in stream order (newest first when `descending`), at most `limit`, each with its
    /// event and room: what `GET /notifications` and push delivery list.
    static func userNotifications(_ db: GRDB.Database, userID: String, after: Int64 = .min, before: Int64 = .max, descending: Bool,
                                  onlyHighlights: Bool = false, limit: Int) throws -> [(row: NotificationRow, event: StoredEvent, room: RoomRecord)] {
        var rows: [NotificationRow] = []
        for (room, slot) in try notifiedRooms(db, userID: userID) {
            rows += try roomNotifications(db, room: room, slot: slot, after: after, before: before, descending: descending,
                                          onlyHighlights: onlyHighlights, limit: limit)
        }
        rows.sort { descending ? $0.stream > $1.stream : $0.stream < $1.stream }
        var rooms: [Int64: RoomRecord] = [:]
        return try rows.prefix(limit).compactMap { row in
            guard let event = try storedEvent(db, nid: row.eventNID) else { return nil }
            if rooms[row.room] == nil { rooms[row.room] = try room(db, nid: row.room) }
            guard let room = rooms[row.room] else { return nil }
            return (row, event, room)
        }
    }

    /// `GET /notifications`: the user's notifications below stream position `before`, newest
    /// first, each with whether it has been read, from every room they were notified in.
    public func notifications(userID: String, before: Int64, limit: Int, onlyHighlights: Bool) async throws -> [StoredNotification] {
        try await read { db in
            var readByRoom: [Int64: [String: Int64]] = [:]
            return try Self.userNotifications(db, userID: userID, before: before, descending: true, onlyHighlights: onlyHighlights,
                                              limit: limit).map { row, event, room in
                if readByRoom[room.nid] == nil { readByRoom[room.nid] = try Self.readPositions(db, userID: userID, room: room) }
                let read = readByRoom[room.nid] ?? [:]
                let readUpTo = max(read[""] ?? .min, read[row.thread] ?? .min)
                return StoredNotification(event: event, roomID: room.roomID, roomVersion: room.version, actions: row.actions,
                                          ts: row.ts, stream: row.stream, read: row.stream <= readUpTo)
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
