import Foundation
import GRDB

/// A user as the admin API lists it.
public struct AdminUser: Sendable {
    public let user: UserRecord
    public let displayname: String?
    public let avatarURL: String?
}

/// A room as the admin API lists it.
public struct AdminRoom: Sendable {
    public let room: RoomRecord
    public let joinedMembers: Int
    public let joinedLocalMembers: Int
    public let stateEvents: Int
    public let published: Bool
}

public struct RegistrationToken: Sendable, Equatable {
    public let token: String
    public let usesAllowed: Int?
    public let pending: Int
    public let completed: Int
    public let expiryTime: Int64?
}

extension Database {
    /// Users ordered by ID, from an offset; optional filters as Synapse's `v2/users`.
    public func adminUsers(from: Int, limit: Int, name: String?, guests: Bool, deactivated: Bool) async throws -> (users: [AdminUser], total: Int) {
        try await read { db in
            var conditions: [String] = []
            var arguments: [DatabaseValueConvertible?] = []
            if let name { conditions.append("(user_id LIKE ? OR displayname LIKE ?)"); arguments += ["%\(name)%", "%\(name)%"] }
            if !guests { conditions.append("is_guest = 0") }
            if !deactivated { conditions.append("deactivated = 0") }
            let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM users \(filter)", arguments: StatementArguments(arguments)) ?? 0
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM users \(filter) ORDER BY user_id LIMIT ? OFFSET ?",
                                        arguments: StatementArguments(arguments + [limit, from]))
            return (rows.map(Self.adminUser), total)
        }
    }

    public func adminUser(_ userID: String) async throws -> AdminUser? {
        try await read { db in try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM users WHERE user_id = ?"), arguments: [userID]).map(Self.adminUser) }
    }

    static func adminUser(_ row: Row) -> AdminUser {
        AdminUser(user: UserRecord(row: row), displayname: row["displayname"], avatarURL: row["avatar_url"])
    }

    public func setAdmin(_ admin: Bool, userID: String) async throws {
        try await writer.write { db in try db.cachedStatement(sql: "UPDATE users SET is_admin = ? WHERE user_id = ?").execute(arguments: [admin, userID]) }
    }

    /// Reactivation (admin only): the account can log in again once it has a password.
    public func reactivateUser(_ userID: String) async throws {
        try await writer.write { db in try db.cachedStatement(sql: "UPDATE users SET deactivated = 0 WHERE user_id = ?").execute(arguments: [userID]) }
    }

    /// Rooms by ID with member counts, from an offset; `search` matches the room ID or name.
    public func adminRooms(from: Int, limit: Int, localServer: String) async throws -> (rooms: [AdminRoom], total: Int) {
        try await read { db in
            let total = try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM rooms")) ?? 0
            let rows = try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM rooms ORDER BY room_id LIMIT ? OFFSET ?"), arguments: [limit, from])
            return (try rows.map { try Self.adminRoom(db, $0, localServer: localServer) }, total)
        }
    }

    public func adminRoom(_ roomID: String, localServer: String) async throws -> AdminRoom? {
        try await read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM rooms WHERE room_id = ?"), arguments: [roomID]).map {
                try Self.adminRoom(db, $0, localServer: localServer)
            }
        }
    }

    static func adminRoom(_ db: GRDB.Database, _ row: Row, localServer: String) throws -> AdminRoom {
        let nid: Int64 = row["room_nid"]
        let joined = try String.fetchAll(db.cachedStatement(sql: "SELECT user_id FROM room_memberships WHERE room_nid = ? AND membership = 'join'"), arguments: [nid])
        return AdminRoom(room: RoomRecord(nid: nid, roomID: row["room_id"], version: row["room_version"]), joinedMembers: joined.count,
                         joinedLocalMembers: joined.filter { $0.hasSuffix(":" + localServer) }.count,
                         stateEvents: try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM current_state WHERE room_nid = ?"), arguments: [nid]) ?? 0,
                         published: row["published"])
    }

    /// Deletes every trace of a room: events, state, memberships, aliases, receipts, account data.
    public func purgeRoom(_ room: RoomRecord) async throws {
        try await writer.write { db in
            let nid = room.nid
            let events = "SELECT event_nid FROM events WHERE room_nid = \(nid)"
            for sql in [
                "DELETE FROM event_edges WHERE event_nid IN (\(events))",
                "DELETE FROM event_gaps WHERE event_nid IN (\(events))",
                "DELETE FROM event_relations WHERE event_nid IN (\(events))",
                "DELETE FROM federation_outbox WHERE event_nid IN (\(events))",
                "DELETE FROM state_snapshot_entries WHERE snapshot_nid IN (SELECT snapshot_nid FROM state_snapshots WHERE room_nid = \(nid))",
                "UPDATE rooms SET current_snapshot = NULL WHERE room_nid = \(nid)",
                "UPDATE events SET state_before = NULL, state_after = NULL WHERE room_nid = \(nid)",
                "DELETE FROM state_snapshots WHERE room_nid = \(nid)",
                "DELETE FROM current_state WHERE room_nid = \(nid)",
                "DELETE FROM room_memberships WHERE room_nid = \(nid)",
                "DELETE FROM forward_extremities WHERE room_nid = \(nid)",
                "DELETE FROM invite_stripped_state WHERE room_nid = \(nid)",
                "DELETE FROM events WHERE room_nid = \(nid)",
                "DELETE FROM rooms WHERE room_nid = \(nid)",
            ] {
                try db.execute(sql: sql)
            }
            for sql in ["DELETE FROM room_aliases WHERE room_id = ?", "DELETE FROM receipts WHERE room_id = ?",
                        "DELETE FROM account_data WHERE room_id = ?", "DELETE FROM forgotten_rooms WHERE room_id = ?"] {
                try db.execute(sql: sql, arguments: [room.roomID])
            }
        }
    }

    /// Deletes a room's message events older than `beforeTS` that no state refers to; local
    /// senders' events only when `includeLocal`. Returns how many went.
    public func purgeHistory(_ room: RoomRecord, beforeTS: Int64, includeLocal: Bool, localServer: String) async throws -> Int {
        try await writer.write { db in
            var sql = """
                SELECT event_nid FROM events WHERE room_nid = ? AND origin_server_ts < ? AND state_key_nid IS NULL
                  AND event_nid NOT IN (SELECT event_nid FROM forward_extremities WHERE room_nid = ?)
                """
            if !includeLocal { sql += " AND sender NOT LIKE ?" }
            var arguments: [DatabaseValueConvertible] = [room.nid, beforeTS, room.nid]
            if !includeLocal { arguments.append("%:" + localServer) }
            let doomed = try Int64.fetchAll(db, sql: sql, arguments: StatementArguments(arguments))
            for nid in doomed {
                for table in ["event_edges", "event_gaps", "event_relations", "federation_outbox"] {
                    try db.execute(sql: "DELETE FROM \(table) WHERE event_nid = ?", arguments: [nid])
                }
                try db.cachedStatement(sql: "DELETE FROM events WHERE event_nid = ?").execute(arguments: [nid])
            }
            return doomed.count
        }
    }

    public func registrationTokens() async throws -> [RegistrationToken] {
        try await read { db in try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM registration_tokens ORDER BY token")).map(Self.token) }
    }

    public func registrationToken(_ token: String) async throws -> RegistrationToken? {
        try await read { db in try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM registration_tokens WHERE token = ?"), arguments: [token]).map(Self.token) }
    }

    static func token(_ row: Row) -> RegistrationToken {
        RegistrationToken(token: row["token"], usesAllowed: row["uses_allowed"], pending: 0, completed: row["completed"], expiryTime: row["expiry_time"])
    }

    public func updateRegistrationToken(_ token: String, usesAllowed: Int??, expiryTime: Int64??) async throws {
        try await writer.write { db in
            if let usesAllowed {
                try db.cachedStatement(sql: "UPDATE registration_tokens SET uses_allowed = ? WHERE token = ?").execute(arguments: [usesAllowed, token])
            }
            if let expiryTime {
                try db.cachedStatement(sql: "UPDATE registration_tokens SET expiry_time = ? WHERE token = ?").execute(arguments: [expiryTime, token])
            }
        }
    }

    public func deleteRegistrationToken(_ token: String) async throws -> Bool {
        try await writer.write { db in
            try db.cachedStatement(sql: "DELETE FROM registration_tokens WHERE token = ?").execute(arguments: [token])
            return db.changesCount > 0
        }
    }
}
