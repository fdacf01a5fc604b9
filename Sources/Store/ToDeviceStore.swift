import Foundation
import GRDB

/// A to-device message waiting in a device's inbox.
public struct ToDeviceMessage: Sendable, Equatable {
    public var streamID: Int64
    public var sender: String
    public var type: String
    public var content: [UInt8]
}

/// One recipient of a `/sendToDevice` request; `deviceID` `*` means every device of the user.
public struct ToDeviceDelivery: Sendable {
    public var userID: String
    public var deviceID: String
    public var content: [UInt8]

    public init(userID: String, deviceID: String, content: [UInt8]) {
        self.userID = userID
        self.deviceID = deviceID
        self.content = content
    }
}

extension Database {
    /// Queues messages for local devices (unknown devices are skipped) and records the
    /// transaction ID, in one transaction. Returns the new to-device position, or nil when the
    /// sender's device already used this transaction ID (nothing is queued again).
    public func queueToDevice(sender: String, senderDevice: String, txnID: String, type: String,
                              deliveries: [ToDeviceDelivery], now: Int64) async throws -> Int64? {
        try await writer.write { db in
            try db.cachedStatement(sql: "INSERT OR IGNORE INTO to_device_txns (user_id, device_id, txn_id, created_ts) VALUES (?, ?, ?, ?)").execute(arguments: [sender, senderDevice, txnID, now])
            guard db.changesCount > 0 else { return nil }
            for d in deliveries {
                let devices = d.deviceID == "*"
                    ? try String.fetchAll(db.cachedStatement(sql: "SELECT device_id FROM devices WHERE user_id = ? ORDER BY device_id"), arguments: [d.userID])
                    : try String.fetchAll(db.cachedStatement(sql: "SELECT device_id FROM devices WHERE user_id = ? AND device_id = ?"), arguments: [d.userID, d.deviceID])
                for device in devices {
                    try db.cachedStatement(sql: """
                        INSERT INTO to_device_inbox (user_id, device_id, sender, type, content) VALUES (?, ?, ?, ?, ?)
                        """).execute(arguments: [d.userID, device, sender, type, Data(d.content)])
                }
            }
            return try Self.toDevicePosition(db)
        }
    }

    /// Messages for a device with `after < stream_id <= upTo`, oldest first, at most `limit`.
    public func toDeviceMessages(userID: String, deviceID: String, after: Int64, upTo: Int64, limit: Int) async throws -> [ToDeviceMessage] {
        guard upTo > after else { return [] }
        return try await read { db in
            try Row.fetchAll(db.cachedStatement(sql: """
                SELECT stream_id, sender, type, content FROM to_device_inbox
                WHERE user_id = ? AND device_id = ? AND stream_id > ? AND stream_id <= ? ORDER BY stream_id LIMIT ?
                """), arguments: [userID, deviceID, after, upTo, limit]).map {
                ToDeviceMessage(streamID: $0["stream_id"], sender: $0["sender"], type: $0["type"], content: [UInt8]($0["content"] as Data))
            }
        }
    }

    /// Deletes the messages of a device up to `upTo`: the client acknowledged them by syncing
    /// from a token past them. Writes only when there is something to delete.
    public func deleteToDeviceMessages(userID: String, deviceID: String, upTo: Int64) async throws {
        let pending = try await read { db in
            try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM to_device_inbox WHERE user_id = ? AND device_id = ? AND stream_id <= ? LIMIT 1"), arguments: [userID, deviceID, upTo]) ?? false
        }
        guard pending else { return }
        try await writer.write { db in
            try db.cachedStatement(sql: "DELETE FROM to_device_inbox WHERE user_id = ? AND device_id = ? AND stream_id <= ?").execute(arguments: [userID, deviceID, upTo])
        }
    }

    /// The newest to-device position (0 before the first message).
    public func currentToDevicePosition() async throws -> Int64 {
        try await read { db in try Self.toDevicePosition(db) }
    }

    static func toDevicePosition(_ db: GRDB.Database) throws -> Int64 {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT seq FROM sqlite_sequence WHERE name = 'to_device_inbox'")) ?? 0
    }
}
