import Foundation
import GRDB

/// A key backup version with the number of keys it holds.
public struct BackupVersionRecord: Sendable, Equatable {
    public var version: Int64
    public var algorithm: String
    public var authData: [UInt8]
    public var etag: Int64
    public var count: Int
}

/// One backed-up Megolm session key; `sessionData` is opaque to the server.
public struct RoomKeyRecord: Sendable, Equatable {
    public var roomID: String
    public var sessionID: String
    public var firstMessageIndex: Int64
    public var forwardedCount: Int64
    public var isVerified: Bool
    public var sessionData: [UInt8]

    public init(roomID: String, sessionID: String, firstMessageIndex: Int64, forwardedCount: Int64, isVerified: Bool,
                sessionData: [UInt8]) {
        self.roomID = roomID
        self.sessionID = sessionID
        self.firstMessageIndex = firstMessageIndex
        self.forwardedCount = forwardedCount
        self.isVerified = isVerified
        self.sessionData = sessionData
    }
}

extension Database {
    /// Creates a backup version (one more than any version the user ever had); it becomes current.
    public func createBackupVersion(userID: String, algorithm: String, authData: [UInt8]) async throws -> Int64 {
        try await writer.write { db in
            let version = (try Int64.fetchOne(db, sql: "SELECT MAX(version) FROM e2e_room_key_versions WHERE user_id = ?",
                                              arguments: [userID]) ?? 0) + 1
            try db.execute(sql: "INSERT INTO e2e_room_key_versions (user_id, version, algorithm, auth_data) VALUES (?, ?, ?, ?)",
                           arguments: [userID, version, algorithm, Data(authData)])
            return version
        }
    }

    /// A live backup version, or the current one (the newest not deleted) when `version` is nil.
    public func backupVersion(userID: String, version: Int64?) async throws -> BackupVersionRecord? {
        try await read { db in try Self.backupVersion(db, userID: userID, version: version) }
    }

    /// Replaces a live version's auth data; false when it does not exist.
    public func updateBackupVersion(userID: String, version: Int64, authData: [UInt8]) async throws -> Bool {
        try await writer.write { db in
            try db.execute(sql: "UPDATE e2e_room_key_versions SET auth_data = ? WHERE user_id = ? AND version = ? AND deleted = 0",
                           arguments: [Data(authData), userID, version])
            return db.changesCount > 0
        }
    }

    /// Deletes a version and its keys; false when the version never existed (deleting twice is fine).
    public func deleteBackupVersion(userID: String, version: Int64) async throws -> Bool {
        try await writer.write { db in
            try db.execute(sql: "UPDATE e2e_room_key_versions SET deleted = 1 WHERE user_id = ? AND version = ?", arguments: [userID, version])
            guard db.changesCount > 0 else { return false }
            try db.execute(sql: "DELETE FROM e2e_room_keys WHERE user_id = ? AND version = ?", arguments: [userID, version])
            return true
        }
    }

    /// Stores keys in the current backup version, keeping an existing key where `replaces(new,
    /// old)` says so, in one transaction. Throws `E2EEStoreError.wrongBackupVersion` unless
    /// `version` is current. Returns the version's new etag and count.
    public func putRoomKeys(userID: String, version: Int64, keys: [RoomKeyRecord],
                            replaces: @escaping @Sendable (_ new: RoomKeyRecord, _ old: RoomKeyRecord) -> Bool)
        async throws -> (etag: Int64, count: Int) {
        try await writer.write { db in
            let current = try Self.backupVersion(db, userID: userID, version: nil)
            guard let current, current.version == version else { throw E2EEStoreError.wrongBackupVersion(current: current?.version) }
            var changed = false
            for key in keys {
                if let old = try Self.roomKeys(db, userID: userID, version: version, roomID: key.roomID, sessionID: key.sessionID).first,
                   !replaces(key, old) { continue }
                try db.execute(sql: """
                    INSERT OR REPLACE INTO e2e_room_keys
                    (user_id, version, room_id, session_id, first_message_index, forwarded_count, is_verified, session_data)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [userID, version, key.roomID, key.sessionID, key.firstMessageIndex, key.forwardedCount,
                                     key.isVerified, Data(key.sessionData)])
                changed = true
            }
            return try Self.touch(db, userID: userID, version: version, changed: changed)
        }
    }

    /// Keys of a live version: all, a room's, or one session's. Throws
    /// `E2EEStoreError.unknownBackupVersion` when the version does not exist.
    public func roomKeys(userID: String, version: Int64, roomID: String?, sessionID: String?) async throws -> [RoomKeyRecord] {
        try await read { db in
            guard try Self.backupVersion(db, userID: userID, version: version) != nil else { throw E2EEStoreError.unknownBackupVersion }
            return try Self.roomKeys(db, userID: userID, version: version, roomID: roomID, sessionID: sessionID)
        }
    }

    /// Deletes keys of a live version (all, a room's, or one session's); returns its etag and count.
    public func deleteRoomKeys(userID: String, version: Int64, roomID: String?, sessionID: String?) async throws -> (etag: Int64, count: Int) {
        try await writer.write { db in
            guard try Self.backupVersion(db, userID: userID, version: version) != nil else { throw E2EEStoreError.unknownBackupVersion }
            var sql = "DELETE FROM e2e_room_keys WHERE user_id = ? AND version = ?"
            var arguments: [any DatabaseValueConvertible] = [userID, version]
            if let roomID { sql += " AND room_id = ?"; arguments.append(roomID) }
            if let sessionID { sql += " AND session_id = ?"; arguments.append(sessionID) }
            try db.execute(sql: sql, arguments: StatementArguments(arguments))
            return try Self.touch(db, userID: userID, version: version, changed: db.changesCount > 0)
        }
    }

    /// Moves the etag on when the keys changed; returns etag and count.
    private static func touch(_ db: GRDB.Database, userID: String, version: Int64, changed: Bool) throws -> (etag: Int64, count: Int) {
        if changed {
            try db.execute(sql: "UPDATE e2e_room_key_versions SET etag = etag + 1 WHERE user_id = ? AND version = ?",
                           arguments: [userID, version])
        }
        let record = try backupVersion(db, userID: userID, version: version)
        return (record?.etag ?? 0, record?.count ?? 0)
    }

    private static func backupVersion(_ db: GRDB.Database, userID: String, version: Int64?) throws -> BackupVersionRecord? {
        let row = if let version {
            try Row.fetchOne(db, sql: "SELECT * FROM e2e_room_key_versions WHERE user_id = ? AND version = ? AND deleted = 0",
                             arguments: [userID, version])
        } else {
            try Row.fetchOne(db, sql: "SELECT * FROM e2e_room_key_versions WHERE user_id = ? AND deleted = 0 ORDER BY version DESC LIMIT 1",
                             arguments: [userID])
        }
        guard let row else { return nil }
        let v: Int64 = row["version"]
        let count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM e2e_room_keys WHERE user_id = ? AND version = ?",
                                     arguments: [userID, v]) ?? 0
        return BackupVersionRecord(version: v, algorithm: row["algorithm"], authData: [UInt8](row["auth_data"] as Data),
                                   etag: row["etag"], count: count)
    }

    private static func roomKeys(_ db: GRDB.Database, userID: String, version: Int64, roomID: String?, sessionID: String?) throws -> [RoomKeyRecord] {
        var sql = "SELECT * FROM e2e_room_keys WHERE user_id = ? AND version = ?"
        var arguments: [any DatabaseValueConvertible] = [userID, version]
        if let roomID { sql += " AND room_id = ?"; arguments.append(roomID) }
        if let sessionID { sql += " AND session_id = ?"; arguments.append(sessionID) }
        return try Row.fetchAll(db, sql: sql + " ORDER BY room_id, session_id", arguments: StatementArguments(arguments)).map {
            RoomKeyRecord(roomID: $0["room_id"], sessionID: $0["session_id"], firstMessageIndex: $0["first_message_index"],
                          forwardedCount: $0["forwarded_count"], isVerified: $0["is_verified"], sessionData: [UInt8]($0["session_data"] as Data))
        }
    }
}
