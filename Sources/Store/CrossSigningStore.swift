import Foundation
import GRDB

/// A cross-signing key as stored: its type (`master`, `self_signing`, `user_signing`), public key
/// and signed JSON.
public struct CrossSigningKeyRecord: Sendable, Equatable {
    public var type: String
    public var publicKey: String
    public var json: [UInt8]

    public init(type: String, publicKey: String, json: [UInt8]) {
        self.type = type
        self.publicKey = publicKey
        self.json = json
    }
}

/// A signature uploaded through `/keys/signatures/upload`.
public struct KeySignature: Sendable, Equatable {
    public var targetUserID: String
    /// A device ID, or a master key's public key.
    public var targetKeyID: String
    public var signerUserID: String
    /// `ed25519:<signing key>`.
    public var signingKeyID: String
    public var signature: String

    public init(targetUserID: String, targetKeyID: String, signerUserID: String, signingKeyID: String, signature: String) {
        self.targetUserID = targetUserID
        self.targetKeyID = targetKeyID
        self.signerUserID = signerUserID
        self.signingKeyID = signingKeyID
        self.signature = signature
    }
}

extension Database {
    /// A user's current cross-signing keys, by type.
    public func crossSigningKeys(of userID: String) async throws -> [String: CrossSigningKeyRecord] {
        try await read { db in
            var keys: [String: CrossSigningKeyRecord] = [:]
            for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT key_type, public_key, json FROM e2e_cross_signing_keys WHERE user_id = ?"), arguments: [userID]) {
                let record = CrossSigningKeyRecord(type: row["key_type"], publicKey: row["public_key"], json: [UInt8](row["json"] as Data))
                keys[record.type] = record
            }
            return keys
        }
    }

    /// Replaces the given cross-signing keys of a user; returns the device-list position.
    public func setCrossSigningKeys(of userID: String, _ keys: [CrossSigningKeyRecord]) async throws -> Int64 {
        try await writer.write { db in
            for key in keys {
                try db.cachedStatement(sql: """
                    INSERT OR REPLACE INTO e2e_cross_signing_keys (user_id, key_type, public_key, json) VALUES (?, ?, ?, ?)
                    """).execute(arguments: [userID, key.type, key.publicKey, Data(key.json)])
            }
            return try Self.recordDeviceListChange(db, userID: userID)
        }
    }

    /// Stores signatures and records a device-list change for each user whose keys gained one;
    /// returns the newest position (nil when there was nothing to store).
    public func addSignatures(_ signatures: [KeySignature]) async throws -> Int64? {
        guard !signatures.isEmpty else { return nil }
        return try await writer.write { db in
            for s in signatures {
                try db.cachedStatement(sql: """
                    INSERT OR REPLACE INTO e2e_signatures (target_user_id, target_key_id, signer_user_id, signing_key_id, signature)
                    VALUES (?, ?, ?, ?, ?)
                    """).execute(arguments: [s.targetUserID, s.targetKeyID, s.signerUserID, s.signingKeyID, s.signature])
            }
            var position: Int64 = 0
            for user in Set(signatures.map(\.targetUserID)).sorted() {
                position = try Self.recordDeviceListChange(db, userID: user)
            }
            return position
        }
    }

    /// Uploaded signatures on `targetKeyID` of `targetUserID` made by any of `signers`.
    public func signatures(on targetKeyID: String, of targetUserID: String, by signers: Set<String>) async throws -> [KeySignature] {
        try await read { db in
            try Row.fetchAll(db.cachedStatement(sql: """
                SELECT * FROM e2e_signatures WHERE target_user_id = ? AND target_key_id = ? ORDER BY signer_user_id, signing_key_id
                """), arguments: [targetUserID, targetKeyID]).map {
                KeySignature(targetUserID: $0["target_user_id"], targetKeyID: $0["target_key_id"], signerUserID: $0["signer_user_id"],
                             signingKeyID: $0["signing_key_id"], signature: $0["signature"])
            }.filter { signers.contains($0.signerUserID) }
        }
    }
}
