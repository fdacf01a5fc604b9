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
            // Only users with an http pusher: most notified users have none, and each would cost a read.
            let recipients = try db.cachedStatement(sql: """
                SELECT a.user_id FROM event_push_actions a WHERE a.room_nid = ? AND a.stream_ordering = ?
                  AND EXISTS (SELECT 1 FROM pushers p WHERE p.user_id = a.user_id AND p.kind = 'http')
                """)
            var users: Set<String> = []
            for event in events {
                users.formUnion(try String.fetchAll(recipients, arguments: [event["room_nid"], event["stream_ordering"]]))
            }
            return ((events.last?["stream_ordering"] as Int64?) ?? position, users)
        }
    }

    /// The user's notifications after stream position `after`, oldest first. Rows are kept by
    /// room, so each room the user has been in is read from `after` on.
    public func pendingPushes(userID: String, after: Int64, limit: Int) async throws -> [PendingPush] {
        try await read { db in
            let rooms = try Int64.fetchAll(db.cachedStatement(sql: "SELECT room_nid FROM room_memberships WHERE user_id = ?"), arguments: [userID])
            let statement = try db.cachedStatement(sql: """
                SELECT e.*, a.actions AS push_actions, a.stream_ordering AS push_stream, r.room_id AS push_room_id,
                       r.room_version AS push_room_version
                FROM event_push_actions a JOIN events e ON e.event_nid = a.event_nid JOIN rooms r ON r.room_nid = a.room_nid
                WHERE a.room_nid = ? AND a.stream_ordering > ? AND a.user_id = ? ORDER BY a.stream_ordering LIMIT ?
                """)
            var rows: [Row] = []
            for room in rooms { rows += try Row.fetchAll(statement, arguments: [room, after, userID, limit]) }
            rows.sort { ($0["push_stream"] as Int64) < ($1["push_stream"] as Int64) }
            return rows.prefix(limit).map { row in
                PendingPush(stream: row["push_stream"], roomID: row["push_room_id"], roomVersion: row["push_room_version"],
                            event: StoredEvent(row: row), actions: [UInt8](row["push_actions"] as Data))
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
            try Int.fetchOne(db.cachedStatement(sql: """
                SELECT COALESCE(SUM(p.notifications), 0) FROM room_memberships m
                JOIN push_unread p ON p.room_nid = m.room_nid AND p.user_id = m.user_id
                WHERE m.user_id = ? AND m.membership = 'join'
                """), arguments: [userID]) ?? 0
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
