import Foundation
import GRDB

extension Database {
    /// The cached preview of `url` for a time bucket, as JSON.
    public func urlPreview(url: String, bucket: Int64) async throws -> [UInt8]? {
        try await read { db in
            try Data.fetchOne(db.cachedStatement(sql: "SELECT og FROM url_previews WHERE url = ? AND bucket = ?"), arguments: [url, bucket]).map { [UInt8]($0) }
        }
    }

    /// Records a preview, and forgets those created before `expireBefore` (the table stays the
    /// size of a few days of links).
    public func storeURLPreview(url: String, bucket: Int64, og: [UInt8], now: Int64, expireBefore: Int64) async throws {
        try await writer.write { db in
            try db.cachedStatement(sql: "INSERT OR REPLACE INTO url_previews (url, bucket, og, created_ts) VALUES (?, ?, ?, ?)").execute(arguments: [url, bucket, Data(og), now])
            try db.cachedStatement(sql: "DELETE FROM url_previews WHERE created_ts < ?").execute(arguments: [expireBefore])
        }
    }
}
