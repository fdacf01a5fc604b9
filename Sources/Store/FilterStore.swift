import Foundation
import GRDB

extension Database {
    /// Stores a user's filter and returns its ID (a per-user counter).
    public func addFilter(userID: String, json: [UInt8]) async throws -> Int64 {
        try await writer.write { db in
            let next = (try Int64.fetchOne(db.cachedStatement(sql: "SELECT MAX(filter_id) FROM filters WHERE user_id = ?"), arguments: [userID]) ?? -1) + 1
            try db.cachedStatement(sql: "INSERT INTO filters (user_id, filter_id, json) VALUES (?, ?, ?)").execute(arguments: [userID, next, Data(json)])
            return next
        }
    }

    public func filter(userID: String, filterID: Int64) async throws -> [UInt8]? {
        try await read { db in
            try Data.fetchOne(db.cachedStatement(sql: "SELECT json FROM filters WHERE user_id = ? AND filter_id = ?"), arguments: [userID, filterID]).map { [UInt8]($0) }
        }
    }
}
