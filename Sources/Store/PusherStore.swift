import Foundation
import GRDB

/// A pusher (spec "Pushers"): where a user's notifications would be sent.
public struct Pusher: Sendable, Equatable {
    public var userID: String
    public var appID: String
    public var pushkey: String
    public var kind: String
    public var appDisplayName: String
    public var deviceDisplayName: String
    public var profileTag: String?
    public var lang: String
    /// The `data` object as JSON.
    public var data: [UInt8]
    /// When the pusher was set (ms): the gateway's `pushkey_ts`.
    public var createdTs: Int64
    /// Notifications up to this stream position have been delivered (or given up on).
    public var lastStreamOrdering: Int64

    public init(userID: String, appID: String, pushkey: String, kind: String, appDisplayName: String,
                deviceDisplayName: String, profileTag: String?, lang: String, data: [UInt8], createdTs: Int64 = 0,
                lastStreamOrdering: Int64 = 0) {
        self.userID = userID
        self.appID = appID
        self.pushkey = pushkey
        self.kind = kind
        self.appDisplayName = appDisplayName
        self.deviceDisplayName = deviceDisplayName
        self.profileTag = profileTag
        self.lang = lang
        self.data = data
        self.createdTs = createdTs
        self.lastStreamOrdering = lastStreamOrdering
    }

    init(row: Row) {
        self.init(userID: row["user_id"], appID: row["app_id"], pushkey: row["pushkey"], kind: row["kind"],
                  appDisplayName: row["app_display_name"], deviceDisplayName: row["device_display_name"],
                  profileTag: row["profile_tag"], lang: row["lang"], data: [UInt8](row["data"] as Data),
                  createdTs: row["created_ts"], lastStreamOrdering: row["last_stream_ordering"])
    }
}

extension Database {
    /// Creates or replaces the user's pusher with this app ID and pushkey. Without `append`,
    /// other users' pushers with the same app ID and pushkey are removed (spec `append`).
    /// `deviceID`: the device whose session set it; its pushers go when it is logged out.
    public func setPusher(_ pusher: Pusher, append: Bool, deviceID: String?, now: Int64) async throws {
        try await writer.write { db in
            if !append {
                try db.cachedStatement(sql: "DELETE FROM pushers WHERE app_id = ? AND pushkey = ? AND user_id != ?").execute(arguments: [pusher.appID, pusher.pushkey, pusher.userID])
            }
            // Delivery starts from now: a new pusher is not sent the user's past notifications.
            try db.cachedStatement(sql: """
                INSERT OR REPLACE INTO pushers (user_id, app_id, pushkey, kind, app_display_name, device_display_name,
                                                profile_tag, lang, data, created_ts, last_stream_ordering, device_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, (SELECT COALESCE(MAX(stream_ordering), 0) FROM events), ?)
                """).execute(arguments: [pusher.userID, pusher.appID, pusher.pushkey, pusher.kind, pusher.appDisplayName,
                                 pusher.deviceDisplayName, pusher.profileTag, pusher.lang, Data(pusher.data), now, deviceID])
        }
    }

    public func deletePusher(userID: String, appID: String, pushkey: String) async throws {
        try await writer.write { db in
            try db.cachedStatement(sql: "DELETE FROM pushers WHERE user_id = ? AND app_id = ? AND pushkey = ?").execute(arguments: [userID, appID, pushkey])
        }
    }

    public func pushers(of userID: String) async throws -> [Pusher] {
        try await read { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM pushers WHERE user_id = ? ORDER BY created_ts, app_id, pushkey"), arguments: [userID]).map(Pusher.init(row:))
        }
    }
}

extension Database {
    /// The pushers the given devices set: a logged-out device receives no more pushes.
    static func deletePushers(_ db: GRDB.Database, userID: String, deviceIDs: [String]) throws {
        for device in deviceIDs {
            try db.cachedStatement(sql: "DELETE FROM pushers WHERE user_id = ? AND device_id = ?").execute(arguments: [userID, device])
        }
    }
}
