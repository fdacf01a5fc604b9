import MatrixProtocol
import Store

/// Display names and avatars (spec "Profiles"). A change is also sent as a new member event
/// into every room the user is joined to, so room members see it.
public final class Profiles: Sendable {
    public enum Field: String, Sendable, CaseIterable {
        case displayname
        case avatarURL = "avatar_url"
    }

    /// Longest display name accepted, as Synapse does.
    static let maxDisplaynameLength = 256

    let database: Database
    let rooms: Rooms
    let serverName: ServerName

    init(database: Database, rooms: Rooms, serverName: ServerName) {
        self.database = database
        self.rooms = rooms
        self.serverName = serverName
    }

    /// The profile of a user (of another server: asked over federation); `M_NOT_FOUND` for
    /// unknown users.
    public func profile(of userID: String) async throws -> Profile {
        guard let id = try? UserID(userID) else { throw MatrixError.invalidParam("Invalid user ID") }
        if id.server != serverName {
            let answer = try await rooms.federation.get().queryProfile(userID: userID, field: nil)
            return Profile(displayname: answer["displayname"]?.stringValue, avatarURL: answer["avatar_url"]?.stringValue)
        }
        guard let profile = try await database.profile(of: userID) else {
            throw MatrixError.notFound("Profile not found")
        }
        return profile
    }

    public func set(_ field: Field, to value: String?, for requester: Requester, userID: String) async throws {
        guard requester.userID == userID else { throw MatrixError.forbidden("You cannot change another user's profile") }
        try await setProfileField(field, to: value, userID: userID)
    }

    /// Changes a profile field (the user's own request, or an admin's) and tells their rooms.
    public func setProfileField(_ field: Field, to value: String?, userID: String) async throws {
        if field == .displayname, let value, value.count > Self.maxDisplaynameLength {
            throw MatrixError.badJSON("displayname is longer than \(Self.maxDisplaynameLength) characters")
        }
        if field == .avatarURL, let value, !value.isEmpty, !value.hasPrefix("mxc://") {
            throw MatrixError.badJSON("avatar_url must be an mxc:// URI")
        }
        var profile = try await profile(of: userID)
        switch field {
        case .displayname: profile.displayname = value
        case .avatarURL: profile.avatarURL = value
        }
        try await database.setProfile(profile, of: userID)
        for roomID in try await rooms.joinedRooms(of: userID) {
            // A room where the user may no longer send its member event keeps the old profile.
            _ = try? await rooms.send(roomID: roomID, sender: userID, type: "m.room.member", stateKey: userID,
                                      content: Self.memberContent("join", profile: profile))
        }
    }

    /// Member event content carrying the profile.
    static func memberContent(_ membership: String, profile: Profile?, reason: String? = nil) -> JSONObject {
        var content: JSONObject = ["membership": .string(membership)]
        if let reason { content["reason"] = .string(reason) }
        if let name = profile?.displayname { content["displayname"] = .string(name) }
        if let avatar = profile?.avatarURL { content["avatar_url"] = .string(avatar) }
        return content
    }
}
