import MatrixProtocol
import Store

extension Admin {
    /// The local user server notices come from (Synapse's default `system_mxid_localpart`).
    static let noticesLocalpart = "notices"

    /// `POST /v1/send_server_notice`: a message from the notices user, in a room (created once per
    /// user, tagged `m.server_notice`) the user is invited to.
    public func sendServerNotice(to userID: String, type: String, content: JSONObject) async throws -> String {
        guard let user = try? UserID(userID), user.server == hs.serverName, try await hs.database.user(userID) != nil else {
            throw MatrixError.invalidParam("Server notices can only be sent to local users")
        }
        let notices = "@\(Self.noticesLocalpart):\(hs.serverName)"
        if try await hs.database.user(notices) == nil {
            _ = try await hs.accounts.register(localpart: Self.noticesLocalpart, password: nil, deviceID: nil, displayName: nil,
                                               inhibitLogin: true, wantsRefreshToken: false, guest: false)
            try await hs.profiles.setProfileField(.displayname, to: "Server Notices", userID: notices)
        }
        let key = "org.apus.server_notice_rooms"
        let map = try await hs.database.accountData(userID: notices, roomID: nil, type: key).flatMap { try? JSONParser.parseObject($0) } ?? [:]
        var roomID = map[userID]?.stringValue
        if let existing = roomID, try await hs.rooms.membership(of: userID, in: existing).map({ ["join", "invite"].contains($0) }) != true {
            roomID = nil  // the user left it: a new one
        }
        if roomID == nil {
            var request = RoomCreationRequest(creator: notices)
            request.preset = .privateChat
            request.name = "Server Notices"
            request.invite = [userID]
            request.powerLevelOverride = ["events_default": 100]
            let created = try await hs.rooms.create(request)
            try await hs.accountData.write(userID: userID, roomID: created, type: "m.tag", content: ["tags": ["m.server_notice": ["order": 0.5]]])
            var updated = map
            updated[userID] = .string(created)
            try await hs.accountData.write(userID: notices, roomID: nil, type: key, content: updated)
            roomID = created
        }
        guard let roomID else { throw MatrixError.unknown("No server notices room") }
        let event = try await hs.rooms.send(roomID: roomID, sender: notices, type: type, stateKey: nil, content: content)
        return event.eventID
    }
}
