import GRDB

/// The device-list stream: who changed devices or keys, and who joined or left the rooms a user
/// shares with them — what `/sync`'s `device_lists` and `/keys/changes` are made of.
extension Database {
    /// Appends a change of `userID`'s devices to the stream and returns its position.
    static func recordDeviceListChange(_ db: GRDB.Database, userID: String) throws -> Int64 {
        try db.cachedStatement(sql: "INSERT INTO device_list_changes (user_id) VALUES (?)").execute(arguments: [userID])
        return db.lastInsertedRowID
    }

    /// Removes what the E2EE tables hold for deleted devices — their keys and undelivered
    /// to-device messages — and records the change (in the caller's transaction).
    static func deleteE2EEData(_ db: GRDB.Database, userID: String, deviceIDs: [String]) throws {
        guard !deviceIDs.isEmpty else { return }
        for id in deviceIDs {
            for table in ["e2e_device_keys", "e2e_one_time_keys", "e2e_fallback_keys", "to_device_inbox", "to_device_txns"] {
                try db.execute(sql: "DELETE FROM \(table) WHERE user_id = ? AND device_id = ?", arguments: [userID, id])
            }
            try db.cachedStatement(sql: "DELETE FROM e2e_signatures WHERE target_user_id = ? AND target_key_id = ?").execute(arguments: [userID, id])
        }
        _ = try recordDeviceListChange(db, userID: userID)
    }

    /// The newest device-list position (0 when nothing changed yet).
    public func currentDeviceListPosition() async throws -> Int64 {
        try await read { db in
            try Int64.fetchOne(db.cachedStatement(sql: "SELECT seq FROM sqlite_sequence WHERE name = 'device_list_changes'")) ?? 0
        }
    }

    /// Users whose devices changed in `(after, upTo]`.
    public func deviceListChanges(after: Int64, upTo: Int64) async throws -> Set<String> {
        guard upTo > after else { return [] }
        return try await read { db in
            Set(try String.fetchAll(db.cachedStatement(sql: "SELECT DISTINCT user_id FROM device_list_changes WHERE stream_id > ? AND stream_id <= ?"), arguments: [after, upTo]))
        }
    }

    /// Users joined to a room `userID` is joined to (including `userID` when joined anywhere).
    public func usersSharingRoom(with userID: String) async throws -> Set<String> {
        try await read { db in
            Set(try String.fetchAll(db.cachedStatement(sql: """
                SELECT DISTINCT other.user_id FROM room_memberships mine
                JOIN room_memberships other ON other.room_nid = mine.room_nid AND other.membership = 'join'
                WHERE mine.user_id = ? AND mine.membership = 'join'
                """), arguments: [userID]))
        }
    }

    /// Membership changes in `(after, upTo]` of the timeline, in rooms `userID` has any
    /// membership of: (room, the member whose membership changed, that member's membership now).
    /// When `userID` itself is one of them, every current member of that room is listed too, as
    /// `userID` started or stopped sharing the room with all of them.
    public func membershipChanges(seenBy userID: String, after: Int64, upTo: Int64)
        async throws -> [(roomNID: Int64, userID: String, membership: String?)] {
        guard upTo > after else { return [] }
        return try await read { db in
            let changes = try Row.fetchAll(db.cachedStatement(sql: """
                SELECT DISTINCT e.room_nid, k.state_key, m.membership FROM events e
                JOIN state_keys k ON k.state_key_nid = e.state_key_nid
                LEFT JOIN room_memberships m ON m.room_nid = e.room_nid AND m.user_id = k.state_key
                WHERE e.type = 'm.room.member' AND e.stream_ordering > ? AND e.stream_ordering <= ?
                  AND e.rejected_reason IS NULL AND e.soft_failed = 0
                  AND e.room_nid IN (SELECT room_nid FROM room_memberships WHERE user_id = ?)
                """), arguments: [after, upTo, userID]).map { (roomNID: $0["room_nid"] as Int64, userID: $0["state_key"] as String,
                                                              membership: $0["membership"] as String?) }
            var result = changes
            for room in Set(changes.filter { $0.userID == userID }.map(\.roomNID)) {
                for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT user_id, membership FROM room_memberships WHERE room_nid = ? AND user_id != ?"), arguments: [room, userID]) {
                    result.append((room, row["user_id"], row["membership"]))
                }
            }
            return result
        }
    }
}

extension Database {
    /// A remote server told us one of its users' devices changed (`m.device_list_update`,
    /// `m.signing_key_update`): local users sharing a room with them see it in /sync.
    public func recordRemoteDeviceListChange(userID: String) async throws -> Int64 {
        try await writer.write { db in try Self.recordDeviceListChange(db, userID: userID) }
    }

    /// Local users whose devices changed in `(after, upTo]` (to tell other servers).
    public func localDeviceListChanges(after: Int64, upTo: Int64, serverSuffix: String) async throws -> [(userID: String, stream: Int64)] {
        try await read { db in
            try Row.fetchAll(db.cachedStatement(sql: """
                SELECT user_id, MAX(stream_id) AS s FROM device_list_changes WHERE stream_id > ? AND stream_id <= ? AND user_id LIKE ?
                GROUP BY user_id ORDER BY s
                """), arguments: [after, upTo, "%" + serverSuffix]).map { ($0["user_id"], $0["s"]) }
        }
    }
}
