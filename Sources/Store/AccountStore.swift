import Foundation
import GRDB

public struct UserRecord: Sendable, Equatable {
    public var userID: String
    public var localpart: String
    public var passwordHash: String?
    public var isAdmin: Bool
    public var isGuest: Bool
    public var deactivated: Bool
    public var createdTS: Int64

    init(row: Row) {
        userID = row["user_id"]
        localpart = row["localpart"]
        passwordHash = row["password_hash"]
        isAdmin = row["is_admin"]
        isGuest = row["is_guest"]
        deactivated = row["deactivated"]
        createdTS = row["created_ts"]
    }
}

public struct DeviceRecord: Sendable, Equatable {
    public var userID: String
    public var deviceID: String
    public var displayName: String?
    public var lastSeenTS: Int64?
    public var lastSeenIP: String?

    init(row: Row) {
        userID = row["user_id"]
        deviceID = row["device_id"]
        displayName = row["display_name"]
        lastSeenTS = row["last_seen_ts"]
        lastSeenIP = row["last_seen_ip"]
    }
}

/// Who an access token belongs to.
public struct SessionRecord: Sendable, Equatable {
    public var userID: String
    public var deviceID: String
    public var isGuest: Bool
    public var isAdmin: Bool
    public var deactivated: Bool
    public var expiresTS: Int64?
}

/// A login: the device it is for and the hashes of its new tokens.
public struct NewSession: Sendable {
    public var userID: String
    public var deviceID: String
    public var initialDisplayName: String?
    public var accessTokenHash: [UInt8]
    public var refreshTokenHash: [UInt8]?
    public var expiresTS: Int64?
    public var now: Int64

    public init(userID: String, deviceID: String, initialDisplayName: String?, accessTokenHash: [UInt8],
                refreshTokenHash: [UInt8]?, expiresTS: Int64?, now: Int64) {
        self.userID = userID
        self.deviceID = deviceID
        self.initialDisplayName = initialDisplayName
        self.accessTokenHash = accessTokenHash
        self.refreshTokenHash = refreshTokenHash
        self.expiresTS = expiresTS
        self.now = now
    }
}

extension Database {
    /// Creates a user; `StoreError.alreadyExists` when the ID or localpart is taken.
    public func createUser(userID: String, localpart: String, passwordHash: String?, isGuest: Bool = false,
                           isAdmin: Bool = false, now: Int64) async throws {
        try await writer.write { db in
            let taken = try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM users WHERE user_id = ? OR localpart = ?"), arguments: [userID, localpart]) ?? false
            guard !taken else { throw StoreError.alreadyExists(userID) }
            try db.cachedStatement(sql: """
                INSERT INTO users (user_id, localpart, password_hash, is_admin, is_guest, created_ts)
                VALUES (?, ?, ?, ?, ?, ?)
                """).execute(arguments: [userID, localpart, passwordHash, isAdmin, isGuest, now])
        }
    }

    public func user(_ userID: String) async throws -> UserRecord? {
        try await read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM users WHERE user_id = ?"), arguments: [userID]).map(UserRecord.init)
        }
    }

    public func userExists(localpart: String) async throws -> Bool {
        try await read { db in
            try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM users WHERE localpart = ?"), arguments: [localpart]) ?? false
        }
    }

    /// Registers or logs in a device. Logging in again with an existing device ID replaces that
    /// device's tokens, as the spec asks.
    public func createSession(_ s: NewSession) async throws {
        try await writer.write { db in
            let exists = try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM devices WHERE user_id = ? AND device_id = ?"), arguments: [s.userID, s.deviceID]) ?? false
            if exists {
                try db.cachedStatement(sql: "DELETE FROM access_tokens WHERE user_id = ? AND device_id = ?").execute(arguments: [s.userID, s.deviceID])
                try db.cachedStatement(sql: "DELETE FROM refresh_tokens WHERE user_id = ? AND device_id = ?").execute(arguments: [s.userID, s.deviceID])
            } else {
                try db.cachedStatement(sql: "INSERT INTO devices (user_id, device_id, display_name, created_ts) VALUES (?, ?, ?, ?)").execute(arguments: [s.userID, s.deviceID, s.initialDisplayName, s.now])
            }
            try Self.insertTokens(db, userID: s.userID, deviceID: s.deviceID, access: s.accessTokenHash,
                                  refresh: s.refreshTokenHash, expiresTS: s.expiresTS, now: s.now)
        }
    }

    private static func insertTokens(_ db: GRDB.Database, userID: String, deviceID: String, access: [UInt8],
                                     refresh: [UInt8]?, expiresTS: Int64?, now: Int64) throws {
        try db.cachedStatement(sql: "INSERT INTO access_tokens (token_hash, user_id, device_id, created_ts, expires_ts) VALUES (?, ?, ?, ?, ?)").execute(arguments: [Data(access), userID, deviceID, now, expiresTS])
        if let refresh {
            try db.cachedStatement(sql: "INSERT INTO refresh_tokens (token_hash, user_id, device_id, created_ts) VALUES (?, ?, ?, ?)").execute(arguments: [Data(refresh), userID, deviceID, now])
        }
    }

    /// The session of an access token (by hash), with its user's flags.
    public func session(accessTokenHash: [UInt8]) async throws -> SessionRecord? {
        let key = Data(accessTokenHash)
        if let known = sessions.lookup(key) { return known }
        let generation = sessions.currentGeneration
        let found = try await read { db in
            try Row.fetchOne(db.cachedStatement(sql: """
                SELECT t.user_id, t.device_id, t.expires_ts, u.is_guest, u.is_admin, u.deactivated
                FROM access_tokens t JOIN users u ON u.user_id = t.user_id
                WHERE t.token_hash = ?
                """), arguments: [Data(accessTokenHash)]).map { row in
                SessionRecord(userID: row["user_id"], deviceID: row["device_id"], isGuest: row["is_guest"],
                              isAdmin: row["is_admin"], deactivated: row["deactivated"], expiresTS: row["expires_ts"])
            }
        }
        if let found { sessions.store(found, hash: key, generation: generation) }
        return found
    }

    /// Exchanges a refresh token for new tokens on the same device; nil when it is unknown.
    public func rotateRefreshToken(_ oldHash: [UInt8], newAccessHash: [UInt8], newRefreshHash: [UInt8],
                                   expiresTS: Int64?, now: Int64) async throws -> (userID: String, deviceID: String)? {
        try await writer.write { db in
            guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT user_id, device_id FROM refresh_tokens WHERE token_hash = ?"), arguments: [Data(oldHash)]) else { return nil }
            let userID: String = row["user_id"], deviceID: String = row["device_id"]
            try db.cachedStatement(sql: "DELETE FROM refresh_tokens WHERE token_hash = ?").execute(arguments: [Data(oldHash)])
            try db.cachedStatement(sql: "DELETE FROM access_tokens WHERE user_id = ? AND device_id = ?").execute(arguments: [userID, deviceID])
            try Self.insertTokens(db, userID: userID, deviceID: deviceID, access: newAccessHash, refresh: newRefreshHash,
                                  expiresTS: expiresTS, now: now)
            return (userID, deviceID)
        }
    }

    public func devices(of userID: String) async throws -> [DeviceRecord] {
        try await read { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM devices WHERE user_id = ? ORDER BY device_id"), arguments: [userID])
                .map(DeviceRecord.init)
        }
    }

    public func device(_ deviceID: String, of userID: String) async throws -> DeviceRecord? {
        try await read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM devices WHERE user_id = ? AND device_id = ?"), arguments: [userID, deviceID])
                .map(DeviceRecord.init)
        }
    }

    /// Returns false when the device does not exist.
    public func setDeviceDisplayName(_ name: String?, deviceID: String, userID: String) async throws -> Bool {
        try await writer.write { db in
            try db.cachedStatement(sql: "UPDATE devices SET display_name = ? WHERE user_id = ? AND device_id = ?").execute(arguments: [name, userID, deviceID])
            return db.changesCount > 0
        }
    }

    /// Deletes devices (and, by cascade, their tokens; and their E2EE keys and inbox). Unknown
    /// IDs are ignored.
    public func deleteDevices(_ deviceIDs: [String], of userID: String) async throws {
        try await writer.write { db in
            var deleted: [String] = []
            for id in deviceIDs {
                try db.cachedStatement(sql: "DELETE FROM devices WHERE user_id = ? AND device_id = ?").execute(arguments: [userID, id])
                if db.changesCount > 0 { deleted.append(id) }
            }
            try Self.deleteE2EEData(db, userID: userID, deviceIDs: deleted)
            try Self.deletePushers(db, userID: userID, deviceIDs: deleted)
        }
    }

    /// Deletes every device of a user but `keeping`; returns the IDs deleted.
    @discardableResult
    public func deleteAllDevices(of userID: String, keeping: String? = nil) async throws -> [String] {
        try await writer.write { db in try Self.deleteDevices(db, of: userID, keeping: keeping) }
    }

    /// The devices of a user but `keeping`, with their keys and the pushers they set; with no
    /// device kept (log out everywhere, deactivation), every pusher of the user.
    @discardableResult
    static func deleteDevices(_ db: GRDB.Database, of userID: String, keeping: String?) throws -> [String] {
        let ids = try String.fetchAll(db.cachedStatement(sql: "SELECT device_id FROM devices WHERE user_id = ? AND device_id IS NOT ?"), arguments: [userID, keeping])
        try db.cachedStatement(sql: "DELETE FROM devices WHERE user_id = ? AND device_id IS NOT ?").execute(arguments: [userID, keeping])
        try deleteE2EEData(db, userID: userID, deviceIDs: ids)
        if keeping == nil {
            try db.cachedStatement(sql: "DELETE FROM pushers WHERE user_id = ?").execute(arguments: [userID])
        } else {
            try deletePushers(db, userID: userID, deviceIDs: ids)
        }
        return ids
    }

    public func setPasswordHash(_ hash: String?, userID: String) async throws {
        try await writer.write { db in
            try db.cachedStatement(sql: "UPDATE users SET password_hash = ? WHERE user_id = ?").execute(arguments: [hash, userID])
        }
    }

    /// Marks the user deactivated, removes the password and every device. The ID stays
    /// reserved: it is never handed out again.
    public func deactivateUser(_ userID: String) async throws {
        try await writer.write { db in
            try db.cachedStatement(sql: "UPDATE users SET deactivated = 1, password_hash = NULL WHERE user_id = ?").execute(arguments: [userID])
            try Self.deleteDevices(db, of: userID, keeping: nil)
        }
    }

    /// Uses one registration token if it is valid at `now`; false otherwise.
    public func consumeRegistrationToken(_ token: String, now: Int64) async throws -> Bool {
        try await writer.write { db in
            try db.cachedStatement(sql: """
                UPDATE registration_tokens SET completed = completed + 1
                WHERE token = ? AND (expiry_time IS NULL OR expiry_time > ?)
                  AND (uses_allowed IS NULL OR completed < uses_allowed)
                """).execute(arguments: [token, now])
            return db.changesCount > 0
        }
    }

    /// True when a registration token exists and could still be used at `now`.
    public func registrationTokenIsValid(_ token: String, now: Int64) async throws -> Bool {
        try await read { db in
            try Bool.fetchOne(db.cachedStatement(sql: """
                SELECT 1 FROM registration_tokens WHERE token = ? AND (expiry_time IS NULL OR expiry_time > ?)
                  AND (uses_allowed IS NULL OR completed < uses_allowed)
                """), arguments: [token, now]) ?? false
        }
    }

    /// Adds a registration token (admin tools; tests).
    public func addRegistrationToken(_ token: String, usesAllowed: Int?, expiryTime: Int64?) async throws {
        try await writer.write { db in
            try db.cachedStatement(sql: "INSERT INTO registration_tokens (token, uses_allowed, expiry_time) VALUES (?, ?, ?)").execute(arguments: [token, usesAllowed, expiryTime])
        }
    }
}
