import Foundation
import GRDB

extension Database {
    /// Sets a user's account data (global when `roomID` is nil) and returns its stream position.
    @discardableResult
    public func setAccountData(userID: String, roomID: String?, type: String, content: [UInt8]) async throws -> Int64 {
        try await writer.write { db in try Self.putAccountData(db, userID: userID, roomID: roomID, type: type, content: content) }
    }

    /// Sets account data inside a write already under way (push rules change with theirs).
    static func putAccountData(_ db: GRDB.Database, userID: String, roomID: String?, type: String, content: [UInt8]) throws -> Int64 {
        let next = (try Int64.fetchOne(db.cachedStatement(sql: "SELECT MAX(stream_id) FROM account_data")) ?? 0) + 1
        try db.cachedStatement(sql: """
            INSERT OR REPLACE INTO account_data (user_id, room_id, type, content, stream_id) VALUES (?, ?, ?, ?, ?)
            """).execute(arguments: [userID, roomID ?? "", type, Data(content), next])
        return next
    }

    public func accountData(userID: String, roomID: String?, type: String) async throws -> [UInt8]? {
        try await read { db in
            try Data.fetchOne(db.cachedStatement(sql: "SELECT content FROM account_data WHERE user_id = ? AND room_id = ? AND type = ?"), arguments: [userID, roomID ?? "", type]).map { [UInt8]($0) }
        }
    }

    /// Account data changed after `since`: (room ID or nil, type, content).
    public func accountDataChanges(userID: String, after since: Int64, upTo: Int64) async throws -> [(roomID: String?, type: String, content: [UInt8])] {
        // Nothing can have changed in an empty window: no read (most syncs).
        guard upTo > since else { return [] }
        return try await read { db in
            try Row.fetchAll(db.cachedStatement(sql: """
                SELECT room_id, type, content FROM account_data WHERE user_id = ? AND stream_id > ? AND stream_id <= ?
                ORDER BY stream_id
                """), arguments: [userID, since, upTo]).map { row in
                let room: String = row["room_id"]
                return (room.isEmpty ? nil : room, row["type"], [UInt8](row["content"] as Data))
            }
        }
    }

    public func currentAccountDataPosition() async throws -> Int64 {
        try await read { db in try Int64.fetchOne(db.cachedStatement(sql: "SELECT MAX(stream_id) FROM account_data")) ?? 0 }
    }

    /// Records a receipt (replacing the user's previous one of that type and thread) and
    /// returns its stream position.
    @discardableResult
    public func setReceipt(roomID: String, type: String, userID: String, threadID: String?, eventID: String, ts: Int64) async throws -> Int64 {
        try await writer.write { db in
            let next = (try Int64.fetchOne(db.cachedStatement(sql: "SELECT MAX(stream_id) FROM receipts")) ?? 0) + 1
            try db.cachedStatement(sql: """
                INSERT OR REPLACE INTO receipts (room_id, receipt_type, user_id, thread_id, event_id, ts, stream_id)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [roomID, type, userID, threadID ?? "", eventID, ts, next])
            if type == "m.read" || type == "m.read.private", let room = try Self.room(db, roomID) {
                // The read position moved: recount its thread, or every thread for an unthreaded receipt.
                try Self.recountUnread(db, userID: userID, room: room, thread: threadID?.isEmpty == false ? threadID : nil)
            }
            return next
        }
    }

    /// Receipts of a room changed in `(after, upTo]` (all current ones when `after` is 0).
    public func receipts(roomID: String, after: Int64, upTo: Int64) async throws -> [(type: String, userID: String, threadID: String?, eventID: String, ts: Int64)] {
        guard upTo > after else { return [] }  // a read per room per sync otherwise
        return try await read { db in
            try Row.fetchAll(db.cachedStatement(sql: """
                SELECT receipt_type, user_id, thread_id, event_id, ts FROM receipts
                WHERE room_id = ? AND stream_id > ? AND stream_id <= ? ORDER BY stream_id
                """), arguments: [roomID, after, upTo]).map { row in
                let thread: String = row["thread_id"]
                return (row["receipt_type"], row["user_id"], thread.isEmpty ? nil : thread, row["event_id"], row["ts"])
            }
        }
    }

    public func currentReceiptPosition() async throws -> Int64 {
        try await read { db in try Int64.fetchOne(db.cachedStatement(sql: "SELECT MAX(stream_id) FROM receipts")) ?? 0 }
    }
}
