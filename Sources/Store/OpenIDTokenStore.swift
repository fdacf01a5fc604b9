import Foundation
import GRDB

/// OpenID tokens (`/openid/request_token`): a user proves who they are to a third party, which
/// asks `/_matrix/federation/v1/openid/userinfo`. Kept apart from access tokens because they
/// must not open the Client-Server API; stored as SHA-256 hashes like every token.
enum OpenIDSchema {
    static func create(_ db: GRDB.Database) throws {
        try db.execute(sql: """
            CREATE TABLE openid_tokens (
                token_hash BLOB PRIMARY KEY NOT NULL,
                user_id TEXT NOT NULL,
                expires_ts INTEGER NOT NULL
            );
            CREATE INDEX openid_tokens_expiry ON openid_tokens(expires_ts);
            """)
    }
}

extension Database {
    /// Stores a new OpenID token, dropping expired ones on the way (they are never read again).
    public func insertOpenIDToken(hash: [UInt8], userID: String, expiresTS: Int64, now: Int64) async throws {
        try await writer.write { db in
            try db.cachedStatement(sql: "DELETE FROM openid_tokens WHERE expires_ts <= ?").execute(arguments: [now])
            try db.cachedStatement(sql: "INSERT INTO openid_tokens (token_hash, user_id, expires_ts) VALUES (?, ?, ?)").execute(arguments: [Data(hash), userID, expiresTS])
        }
    }

    /// The user of an unexpired OpenID token whose account is still active; nil otherwise.
    public func openIDTokenUser(hash: [UInt8], now: Int64) async throws -> String? {
        try await read { db in
            try String.fetchOne(db.cachedStatement(sql: """
                SELECT t.user_id FROM openid_tokens t JOIN users u ON u.user_id = t.user_id
                WHERE t.token_hash = ? AND t.expires_ts > ? AND u.deactivated = 0
                """), arguments: [Data(hash), now])
        }
    }
}
