import GRDB

/// One of our past signing keys, as served in `old_verify_keys`.
public struct OldSigningKey: Sendable, Equatable {
    public var keyID: String
    /// Unpadded base64 Ed25519 public key.
    public var publicKey: String
    /// When the key stopped being current (ms since the epoch).
    public var expiredTS: Int64

    public init(keyID: String, publicKey: String, expiredTS: Int64) {
        self.keyID = keyID
        self.publicKey = publicKey
        self.expiredTS = expiredTS
    }
}

extension Database {
    /// Records `keyID` as the current signing key (called at start-up) and returns the history of
    /// expired keys, oldest first.
    ///
    /// A new key is inserted; every other key still current is marked expired at `now` (ms).
    /// Re-recording a known key changes nothing except making it current again. Throws
    /// ``StoreError/signingKeyConflict(keyID:)`` if `keyID` is known with another public key.
    public func recordCurrentSigningKey(keyID: String, publicKey: String, now: Int64) async throws -> [OldSigningKey] {
        try await writer.write { db in
            if let known = try String.fetchOne(
                db, sql: "SELECT public_key FROM local_signing_keys WHERE key_id = ?", arguments: [keyID])
            {
                guard known == publicKey else { throw StoreError.signingKeyConflict(keyID: keyID) }
                try db.execute(
                    sql: "UPDATE local_signing_keys SET expired_ts = NULL WHERE key_id = ?", arguments: [keyID])
            } else {
                try db.execute(
                    sql: "INSERT INTO local_signing_keys (key_id, public_key, created_ts) VALUES (?, ?, ?)",
                    arguments: [keyID, publicKey, now])
            }
            try db.execute(
                sql: "UPDATE local_signing_keys SET expired_ts = ? WHERE key_id != ? AND expired_ts IS NULL",
                arguments: [now, keyID])
            return try Self.oldSigningKeys(db)
        }
    }

    /// Our expired signing keys, oldest first.
    public func oldSigningKeys() async throws -> [OldSigningKey] {
        try await read { db in try Self.oldSigningKeys(db) }
    }

    private static func oldSigningKeys(_ db: GRDB.Database) throws -> [OldSigningKey] {
        try Row.fetchAll(db.cachedStatement(sql: """
            SELECT key_id, public_key, expired_ts FROM local_signing_keys
            WHERE expired_ts IS NOT NULL ORDER BY expired_ts, key_id
            """)).map { row in
            OldSigningKey(keyID: row["key_id"], publicKey: row["public_key"], expiredTS: row["expired_ts"])
        }
    }
}
