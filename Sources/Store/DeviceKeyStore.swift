import Foundation
import GRDB

/// A one-time or fallback key as uploaded: `<algorithm>:<key id>` split, and its JSON.
public struct UploadedKey: Sendable, Equatable {
    public var algorithm: String
    public var keyID: String
    public var json: [UInt8]

    public init(algorithm: String, keyID: String, json: [UInt8]) {
        self.algorithm = algorithm
        self.keyID = keyID
        self.json = json
    }
}

/// A key handed out by a claim.
public struct ClaimedKey: Sendable, Equatable {
    public var userID: String
    public var deviceID: String
    public var algorithm: String
    public var keyID: String
    public var json: [UInt8]
}

/// Why an E2EE write was refused; the service turns these into Matrix errors.
public enum E2EEStoreError: Error, Sendable, Equatable {
    /// The device already has different identity keys.
    case deviceKeysChanged
    /// A one-time key ID is already stored with different content.
    case oneTimeKeyConflict(String)
    /// The key backup version is not the user's current one (nil: there is none).
    case wrongBackupVersion(current: Int64?)
    /// The key backup version does not exist.
    case unknownBackupVersion
}

extension Database {
    /// Stores a device's identity keys, one-time keys and fallback keys in one transaction.
    /// `compatible(old, new)` decides whether device keys may replace those already stored.
    /// Returns the device's one-time key counts and the device-list position when its identity
    /// keys are new or changed.
    public func uploadKeys(userID: String, deviceID: String, deviceKeys: [UInt8]?, oneTimeKeys: [UploadedKey],
                           fallbackKeys: [UploadedKey],
                           compatible: @escaping @Sendable (_ old: [UInt8], _ new: [UInt8]) -> Bool)
        async throws -> (counts: [String: Int], deviceListPosition: Int64?) {
        try await writer.write { db in
            var position: Int64?
            if let deviceKeys {
                let old = try Data.fetchOne(db.cachedStatement(sql: "SELECT json FROM e2e_device_keys WHERE user_id = ? AND device_id = ?"), arguments: [userID, deviceID]).map { [UInt8]($0) }
                if let old, !compatible(old, deviceKeys) { throw E2EEStoreError.deviceKeysChanged }
                if old != deviceKeys {
                    try db.cachedStatement(sql: "INSERT OR REPLACE INTO e2e_device_keys (user_id, device_id, json) VALUES (?, ?, ?)").execute(arguments: [userID, deviceID, Data(deviceKeys)])
                    position = try Self.recordDeviceListChange(db, userID: userID)
                }
            }
            for key in oneTimeKeys {
                let existing = try Data.fetchOne(db.cachedStatement(sql: """
                    SELECT json FROM e2e_one_time_keys WHERE user_id = ? AND device_id = ? AND algorithm = ? AND key_id = ?
                    """), arguments: [userID, deviceID, key.algorithm, key.keyID]).map { [UInt8]($0) }
                if let existing {
                    // A retried upload is harmless; the same ID with other content is a replay or a bug.
                    guard existing == key.json else { throw E2EEStoreError.oneTimeKeyConflict("\(key.algorithm):\(key.keyID)") }
                    continue
                }
                try db.cachedStatement(sql: """
                    INSERT INTO e2e_one_time_keys (user_id, device_id, algorithm, key_id, json) VALUES (?, ?, ?, ?, ?)
                    """).execute(arguments: [userID, deviceID, key.algorithm, key.keyID, Data(key.json)])
            }
            for key in fallbackKeys {
                // The same key uploaded again keeps its `used` flag; a new one starts unused.
                let existing = try Row.fetchOne(db.cachedStatement(sql: """
                    SELECT key_id, json FROM e2e_fallback_keys WHERE user_id = ? AND device_id = ? AND algorithm = ?
                    """), arguments: [userID, deviceID, key.algorithm])
                if let existing, existing["key_id"] == key.keyID, [UInt8](existing["json"] as Data) == key.json { continue }
                try db.cachedStatement(sql: """
                    INSERT OR REPLACE INTO e2e_fallback_keys (user_id, device_id, algorithm, key_id, json, used)
                    VALUES (?, ?, ?, ?, ?, 0)
                    """).execute(arguments: [userID, deviceID, key.algorithm, key.keyID, Data(key.json)])
            }
            return (try Self.oneTimeKeyCounts(db, userID: userID, deviceID: deviceID), position)
        }
    }

    /// The stored device_keys JSON of one device.
    public func deviceKeys(userID: String, deviceID: String) async throws -> [UInt8]? {
        try await read { db in
            try Data.fetchOne(db.cachedStatement(sql: "SELECT json FROM e2e_device_keys WHERE user_id = ? AND device_id = ?"), arguments: [userID, deviceID]).map { [UInt8]($0) }
        }
    }

    /// The device keys of a user's devices (all of them when `deviceIDs` is empty), with each
    /// device's display name.
    public func deviceKeys(userID: String, deviceIDs: [String]) async throws -> [(deviceID: String, json: [UInt8], displayName: String?)] {
        try await read { db in
            var sql = """
                SELECT k.device_id, k.json, d.display_name FROM e2e_device_keys k
                LEFT JOIN devices d ON d.user_id = k.user_id AND d.device_id = k.device_id WHERE k.user_id = ?
                """
            var arguments: StatementArguments = [userID]
            if !deviceIDs.isEmpty {
                sql += " AND k.device_id IN (SELECT value FROM json_each(?))"
                arguments += [Self.jsonArray(deviceIDs)]
            }
            return try Row.fetchAll(db.cachedStatement(sql: sql + " ORDER BY k.device_id"), arguments: arguments)
                .map { ($0["device_id"], [UInt8]($0["json"] as Data), $0["display_name"]) }
        }
    }

    /// Hands out one key per requested device in one transaction: the oldest one-time key of
    /// the algorithm (deleted, so never handed out twice), else the fallback key (marked used).
    public func claimKeys(_ requests: [(userID: String, deviceID: String, algorithm: String)]) async throws -> [ClaimedKey] {
        try await writer.write { db in
            var claimed: [ClaimedKey] = []
            for r in requests {
                if let row = try Row.fetchOne(db.cachedStatement(sql: """
                    SELECT id, key_id, json FROM e2e_one_time_keys WHERE user_id = ? AND device_id = ? AND algorithm = ?
                    ORDER BY id LIMIT 1
                    """), arguments: [r.userID, r.deviceID, r.algorithm]) {
                    try db.cachedStatement(sql: "DELETE FROM e2e_one_time_keys WHERE id = ?").execute(arguments: [row["id"] as Int64])
                    claimed.append(ClaimedKey(userID: r.userID, deviceID: r.deviceID, algorithm: r.algorithm,
                                              keyID: row["key_id"], json: [UInt8](row["json"] as Data)))
                } else if let row = try Row.fetchOne(db.cachedStatement(sql: """
                    SELECT key_id, json FROM e2e_fallback_keys WHERE user_id = ? AND device_id = ? AND algorithm = ?
                    """), arguments: [r.userID, r.deviceID, r.algorithm]) {
                    try db.cachedStatement(sql: "UPDATE e2e_fallback_keys SET used = 1 WHERE user_id = ? AND device_id = ? AND algorithm = ?").execute(arguments: [r.userID, r.deviceID, r.algorithm])
                    claimed.append(ClaimedKey(userID: r.userID, deviceID: r.deviceID, algorithm: r.algorithm,
                                              keyID: row["key_id"], json: [UInt8](row["json"] as Data)))
                }
            }
            return claimed
        }
    }

    /// Unclaimed one-time keys of a device, per algorithm.
    public func oneTimeKeyCounts(userID: String, deviceID: String) async throws -> [String: Int] {
        try await read { db in try Self.oneTimeKeyCounts(db, userID: userID, deviceID: deviceID) }
    }

    /// `oneTimeKeyCounts` and `unusedFallbackKeyTypes` in one read (every /sync of a device asks both).
    public func keyStatus(userID: String, deviceID: String) async throws -> (oneTimeKeys: [String: Int], unusedFallbackTypes: [String]) {
        try await read { db in
            (try Self.oneTimeKeyCounts(db, userID: userID, deviceID: deviceID), try Self.unusedFallbackKeyTypes(db, userID: userID, deviceID: deviceID))
        }
    }

    /// Algorithms for which the device has a fallback key no claim has used yet.
    public func unusedFallbackKeyTypes(userID: String, deviceID: String) async throws -> [String] {
        try await read { db in try Self.unusedFallbackKeyTypes(db, userID: userID, deviceID: deviceID) }
    }

    static func unusedFallbackKeyTypes(_ db: GRDB.Database, userID: String, deviceID: String) throws -> [String] {
        try String.fetchAll(db.cachedStatement(sql: """
            SELECT algorithm FROM e2e_fallback_keys WHERE user_id = ? AND device_id = ? AND used = 0 ORDER BY algorithm
            """), arguments: [userID, deviceID])
    }

    static func oneTimeKeyCounts(_ db: GRDB.Database, userID: String, deviceID: String) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for row in try Row.fetchAll(db.cachedStatement(sql: """
            SELECT algorithm, COUNT(*) AS n FROM e2e_one_time_keys WHERE user_id = ? AND device_id = ? GROUP BY algorithm
            """), arguments: [userID, deviceID]) {
            counts[row["algorithm"]] = row["n"]
        }
        return counts
    }
}
