import GRDB

public struct Profile: Sendable, Equatable {
    public var displayname: String?
    public var avatarURL: String?

    public init(displayname: String? = nil, avatarURL: String? = nil) {
        self.displayname = displayname
        self.avatarURL = avatarURL
    }
}

extension Database {
    /// A local user's profile; nil when the user does not exist.
    public func profile(of userID: String) async throws -> Profile? {
        try await read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT displayname, avatar_url FROM users WHERE user_id = ?"), arguments: [userID]).map {
                Profile(displayname: $0["displayname"], avatarURL: $0["avatar_url"])
            }
        }
    }

    public func setProfile(_ profile: Profile, of userID: String) async throws {
        try await writer.write { db in
            try db.cachedStatement(sql: "UPDATE users SET displayname = ?, avatar_url = ? WHERE user_id = ?").execute(arguments: [profile.displayname, profile.avatarURL, userID])
        }
    }
}
