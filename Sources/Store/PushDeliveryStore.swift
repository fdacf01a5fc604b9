import Foundation
import GRDB

/// A notification waiting to be sent to a user's push gateways.
public struct PendingPush: Sendable {
    public let stream: Int64
    public let roomID: String
    public let roomVersion: String
    public let event: StoredEvent
    /// The matched rule's actions, as JSON.
    public let actions: [UInt8]
}

extension Database {
    /// Every `http` pusher, for the push sender to start from.
    public func httpPushers() async throws -> [Pusher] {
        try await read { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM pushers WHERE kind = 'http' ORDER BY user_id, app_id, pushkey")).map(Pusher.init(row:))
        }
    }

    /// The users with an http pusher notified by the next events of the stream after `position`
    /// (at most `limit` events), and the position of the last event looked at.
    public func pushRecipients(after position: Int64, limit: Int) async throws -> (position: Int64, users: Set<String>) {
        try await read { db in
            let events = try Row.fetchAll(db.cachedStatement(sql: """
                SELECT room_nid, stream_ordering FROM events WHERE stream_ordering > ? ORDER BY stream_ordering LIMIT ?
                """), arguments: [position, limit])
            let last = (events.last?["stream_ordering"] as Int64?) ?? position
            // Only users with an http pusher: most notified users have none, and each would cost a read.
            let pusherUsers = Set(try String.fetchAll(db.cachedStatement(sql: "SELECT DISTINCT user_id FROM pushers WHERE kind = 'http'")))
            guard !pusherUsers.isEmpty else { return (last, []) }
            let groups = try db.cachedStatement(sql: "SELECT members FROM event_push_groups WHERE room_nid = ? AND stream_ordering = ?")
            var slotsByRoom: [Int64: MemberSlots] = [:]
            var users: Set<String> = []
            for event in events {
                let room: Int64 = event["room_nid"]
                for members in try Data.fetchAll(groups, arguments: [room, event["stream_ordering"]]) {
                    if slotsByRoom[room] == nil { slotsByRoom[room] = try MemberSlots.load(db, room: room) }
                    users.formUnion(slotsByRoom[room]?.users(in: [UInt8](members)).filter(pusherUsers.contains) ?? [])
                }
            }
            return (last, users)
        }
    }

    /// The user's notifications after stream position `after`, oldest first, from every room
    /// they were notified in.
    public func pendingPushes(userID: String, after: Int64, limit: Int) async throws -> [PendingPush] {
        try await read { db in
            try Self.userNotifications(db, userID: userID, after: after, descending: false, limit: limit).map { row, event, room in
                PendingPush(stream: row.stream, roomID: room.roomID, roomVersion: room.version, event: event, actions: row.actions)
            }
        }
    }

    /// Records that a pusher's notifications up to `position` are done. False when the pusher
    /// is gone (deleted meanwhile).
    @discardableResult
    public func advancePusher(userID: String, appID: String, pushkey: String, to position: Int64) async throws -> Bool {
        try await writer.write { db in
            try db.cachedStatement(sql: """
                UPDATE pushers SET last_stream_ordering = MAX(last_stream_ordering, ?) WHERE user_id = ? AND app_id = ? AND pushkey = ?
                """).execute(arguments: [position, userID, appID, pushkey])
            return db.changesCount > 0
        }
    }

    /// The user's unread notifications over the rooms they are joined to (a push's badge).
    public func unreadNotificationTotal(userID: String) async throws -> Int {
        try await read { db in
            let folded = try Int.fetchOne(db.cachedStatement(sql: """
                SELECT COALESCE(SUM(p.notifications), 0) FROM room_memberships m
                JOIN push_unread p ON p.room_nid = m.room_nid AND p.user_id = m.user_id
                WHERE m.user_id = ? AND m.membership = 'join'
                """), arguments: [userID]) ?? 0
            // Only rooms with notifications past their fold mark have any to add (recently active ones).
            let active = try Row.fetchAll(db.cachedStatement(sql: """
                SELECT r.room_nid, r.room_id, r.room_version FROM room_memberships m JOIN rooms r ON r.room_nid = m.room_nid
                WHERE m.user_id = ? AND m.membership = 'join'
                  AND EXISTS (SELECT 1 FROM event_push_groups g WHERE g.room_nid = r.room_nid AND g.stream_ordering > r.push_folded_upto)
                """), arguments: [userID]).map { RoomRecord(nid: $0[0], roomID: $0[1], version: $0[2]) }
            return try active.reduce(folded) { total, room in
                total + (try Self.liveUnreadCounts(db, userID: userID, room: room)).values.reduce(0) { $0 + $1.notifications }
            }
        }
    }

    /// Current-state events a push names: the room's name and canonical alias, and the
    /// sender's membership (display name), as `[type: JSON]` (`m.room.member` for the sender).
    public func pushRoomContext(roomNID: Int64, sender: String) async throws -> [String: [UInt8]] {
        try await read { db in
            var out: [String: [UInt8]] = [:]
            for row in try Row.fetchAll(db.cachedStatement(sql: """
                SELECT k.type, e.json FROM state_keys k
                JOIN current_state c ON c.room_nid = ? AND c.state_key_nid = k.state_key_nid
                JOIN events e ON e.event_nid = c.event_nid
                WHERE (k.type = 'm.room.name' AND k.state_key = '') OR (k.type = 'm.room.canonical_alias' AND k.state_key = '')
                   OR (k.type = 'm.room.member' AND k.state_key = ?)
                """), arguments: [roomNID, sender]) {
                out[row["type"]] = [UInt8](row["json"] as Data)
            }
            return out
        }
    }
}
