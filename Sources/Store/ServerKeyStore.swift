import Foundation
import GRDB

/// A verify key of another server, as cached.
public struct RemoteServerKey: Sendable, Equatable {
    public let serverName: String
    public let keyID: String
    public let publicKey: String
    public let validUntilTS: Int64
    public let expiredTS: Int64?

    public init(serverName: String, keyID: String, publicKey: String, validUntilTS: Int64, expiredTS: Int64?) {
        self.serverName = serverName
        self.keyID = keyID
        self.publicKey = publicKey
        self.validUntilTS = validUntilTS
        self.expiredTS = expiredTS
    }
}

extension Database {
    public func remoteServerKey(server: String, keyID: String) async throws -> RemoteServerKey? {
        try await read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM server_keys WHERE server_name = ? AND key_id = ?"), arguments: [server, keyID]).map {
                RemoteServerKey(serverName: $0["server_name"], keyID: $0["key_id"], publicKey: $0["public_key"],
                                validUntilTS: $0["valid_until_ts"], expiredTS: $0["expired_ts"])
            }
        }
    }

    /// Records the keys of one verified key response, and the response itself for notary use.
    /// A later `valid_until_ts` never shrinks to an earlier one.
    public func storeRemoteServerKeys(_ keys: [RemoteServerKey], response: [UInt8], server: String, validUntilTS: Int64,
                                      now: Int64) async throws {
        try await writer.write { db in
            for key in keys {
                try db.cachedStatement(sql: """
                    INSERT INTO server_keys (server_name, key_id, public_key, valid_until_ts, expired_ts, fetched_ts)
                    VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (server_name, key_id) DO UPDATE SET
                        public_key = excluded.public_key,
                        valid_until_ts = MAX(valid_until_ts, excluded.valid_until_ts),
                        expired_ts = excluded.expired_ts, fetched_ts = excluded.fetched_ts
                    """).execute(arguments: [key.serverName, key.keyID, key.publicKey, key.validUntilTS, key.expiredTS, now])
            }
            try db.cachedStatement(sql: """
                INSERT INTO server_key_responses (server_name, json, valid_until_ts) VALUES (?, ?, ?)
                ON CONFLICT (server_name) DO UPDATE SET json = excluded.json, valid_until_ts = excluded.valid_until_ts
                WHERE excluded.valid_until_ts >= server_key_responses.valid_until_ts
                """).execute(arguments: [server, Data(response), validUntilTS])
        }
    }

    /// The latest key response stored for a server (notary `key/v2/query`).
    public func remoteKeyResponse(server: String) async throws -> (json: [UInt8], validUntilTS: Int64)? {
        try await read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT json, valid_until_ts FROM server_key_responses WHERE server_name = ?"), arguments: [server])
                .map { ([UInt8]($0["json"] as Data), $0["valid_until_ts"]) }
        }
    }
}
