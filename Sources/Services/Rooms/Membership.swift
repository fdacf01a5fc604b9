import MatrixProtocol
import Store

extension Rooms {
    /// Joins a room by ID or alias: locally when this server is in the room, else over
    /// federation through `via`, the alias's servers, the inviter's and the room ID's server.
    public func join(_ idOrAlias: String, user: String, reason: String? = nil, via: [String] = []) async throws -> String {
        let (roomID, aliasServers) = try await locateRoom(idOrAlias)
        if try await membership(of: user, in: roomID) == "join" { return roomID }
        var content = Profiles.memberContent("join", profile: try await database.profile(of: user), reason: reason)
        let servers = try await candidateServers(roomID: roomID, user: user, extra: via + aliasServers)
        // Our copy of the room is current only while one of our users is in it; otherwise a
        // server that is in the room builds the join.
        if try await hasState(roomID), try await isResident(roomID) || servers.isEmpty {
            do {
                if let voucher = try await restrictedJoinVoucher(roomID: roomID, joiner: user) {
                    content["join_authorised_via_users_server"] = .string(voucher)
                }
            } catch let error as MatrixError where error.errcode == "M_UNABLE_TO_GRANT_JOIN" {
                // A restricted room where none of our users may vouch: a server with a member who
                // may builds the join, as if we were not in the room.
                let vouching = try await serversThatMayVouch(for: user, roomID: roomID)
                guard !vouching.isEmpty else { throw error }
                try await federation.get().joinRemote(roomID: roomID, servers: vouching, userID: user, content: content)
                return roomID
            }
            _ = try await send(roomID: roomID, sender: user, type: "m.room.member", stateKey: user, content: content)
            try await database.unforgetRoom(roomID, userID: user)
            return roomID
        }
        guard !servers.isEmpty else { throw MatrixError.notFound("Room \(roomID) is not known to this server") }
        try await federation.get().joinRemote(roomID: roomID, servers: servers, userID: user, content: content)
        return roomID
    }

    /// A room ID (and for a remote alias, the servers that know the room) from an ID or alias.
    func locateRoom(_ idOrAlias: String) async throws -> (String, [String]) {
        guard idOrAlias.hasPrefix("#") else {
            guard (try? RoomID(idOrAlias)) != nil else { throw MatrixError.invalidParam("Invalid room ID") }
            return (idOrAlias, [])
        }
        guard let alias = try? RoomAlias(idOrAlias) else { throw MatrixError.invalidParam("Invalid room alias") }
        if alias.server == config.serverName {
            guard let resolved = try await resolveAlias(idOrAlias) else { throw MatrixError.notFound("Room alias \(idOrAlias) not found") }
            return (resolved, [])
        }
        let answer = try await federation.get().queryDirectory(alias: idOrAlias)
        return (answer.roomID, answer.servers)
    }

    /// Whether a user of this server is joined to the room (so our copy of it is kept current).
    func isResident(_ roomID: String) async throws -> Bool {
        guard let room = try await database.room(roomID) else { return false }
        return try await database.joinedServers(roomNID: room.nid).contains(serverName)
    }

    /// Whether this server holds the room's state (is or was in it), rather than only an invite.
    func hasState(_ roomID: String) async throws -> Bool {
        guard let room = try await database.room(roomID) else { return false }
        return try await database.hasCurrentState(room)
    }

    /// Servers to try for a remote join or leave, most likely first, without duplicates.
    func candidateServers(roomID: String, user: String, extra: [String]) async throws -> [String] {
        var servers = extra
        if let room = try await database.room(roomID), let event = try await database.membershipEvent(of: user, in: room),
           let object = try? JSONParser.parseObject(event.json), let sender = object["sender"]?.stringValue,
           let server = MatrixIdentifier.server(of: sender) {
            servers.append(server)
        }
        if let server = MatrixIdentifier.server(of: roomID) { servers.append(server) }
        var seen: Set<String> = []
        return servers.filter { $0 != serverName && seen.insert($0).inserted }
    }

    /// Knocks on a local room (v7+, join rule `knock` or `knock_restricted`; the auth rules decide).
    public func knock(_ idOrAlias: String, user: String, reason: String? = nil, via: [String] = []) async throws -> String {
        let (roomID, aliasServers) = try await locateRoom(idOrAlias)
        let content = Profiles.memberContent("knock", profile: try await database.profile(of: user), reason: reason)
        let servers = try await candidateServers(roomID: roomID, user: user, extra: via + aliasServers)
        if try await hasState(roomID), try await isResident(roomID) || servers.isEmpty {
            _ = try await send(roomID: roomID, sender: user, type: "m.room.member", stateKey: user, content: content)
            return roomID
        }
        guard !servers.isEmpty else { throw MatrixError.notFound("Room \(roomID) is not known to this server") }
        try await federation.get().knockRemote(roomID: roomID, servers: servers, userID: user, content: content)
        return roomID
    }

    /// Forgets a room the user is no longer in: it leaves their sync and room lists.
    public func forget(_ roomID: String, user: String) async throws {
        try await requireRoom(roomID)
        if let m = try await membership(of: user, in: roomID), m == "join" || m == "invite" || m == "knock" {
            throw MatrixError("M_UNKNOWN", "Leave the room before forgetting it", status: 400)
        }
        try await database.forgetRoom(roomID, userID: user)
    }

    /// A room ID from an ID or a local alias, for a room this server knows.
    func resolveRoom(_ idOrAlias: String) async throws -> String {
        let roomID: String
        if idOrAlias.hasPrefix("#") {
            guard (try? RoomAlias(idOrAlias)) != nil else { throw MatrixError.invalidParam("Invalid room alias") }
            guard let resolved = try await resolveAlias(idOrAlias) else { throw MatrixError.notFound("Room alias \(idOrAlias) not found") }
            roomID = resolved
        } else {
            guard (try? RoomID(idOrAlias)) != nil else { throw MatrixError.invalidParam("Invalid room ID") }
            roomID = idOrAlias
        }
        guard try await database.room(roomID) != nil else {
            throw MatrixError.notFound("Room \(roomID) is not known to this server")
        }
        return roomID
    }

    public func leave(_ roomID: String, user: String, reason: String? = nil) async throws {
        try await requireRoom(roomID)
        let resident = try await hasState(roomID) ? isResident(roomID) : false
        if !resident {
            let servers = try await candidateServers(roomID: roomID, user: user, extra: [])
            if !servers.isEmpty {
                try await federation.get().leaveRemote(roomID: roomID, servers: servers, userID: user, reason: reason)
                return
            }
        }
        _ = try await send(roomID: roomID, sender: user, type: "m.room.member", stateKey: user,
                           content: Profiles.memberContent("leave", profile: nil, reason: reason))
    }

    /// Invites, kicks, bans and unbans: a member event about `target` sent by `sender`.
    public func setMembership(_ membership: String, of target: String, in roomID: String, by sender: String,
                              reason: String? = nil) async throws {
        guard let targetID = try? UserID(target) else { throw MatrixError.invalidParam("Invalid user ID '\(target)'") }
        try await requireRoom(roomID)
        let current = try await self.membership(of: target, in: roomID)
        if membership == "invite", targetID.server != config.serverName {
            guard current != "join" else { throw MatrixError.forbidden("\(target) is already in the room") }
            try await requireJoined(sender, roomID)
            try await federation.get().inviteRemote(roomID: roomID, sender: sender, target: target,
                                                    content: Profiles.memberContent("invite", profile: nil, reason: reason))
            return
        }
        switch membership {
        case "invite" where current == "join":
            throw MatrixError.forbidden("\(target) is already in the room")
        case "leave" where current == nil || current == "leave":
            throw MatrixError.forbidden("\(target) is not in the room")
        default:
            break
        }
        _ = try await send(roomID: roomID, sender: sender, type: "m.room.member", stateKey: target,
                           content: Profiles.memberContent(membership, profile: nil, reason: reason))
    }

    /// Unban: only a banned user can be unbanned.
    public func unban(_ target: String, in roomID: String, by sender: String, reason: String? = nil) async throws {
        try await requireRoom(roomID)
        guard try await membership(of: target, in: roomID) == "ban" else {
            throw MatrixError.forbidden("\(target) is not banned")
        }
        _ = try await send(roomID: roomID, sender: sender, type: "m.room.member", stateKey: target,
                           content: Profiles.memberContent("leave", profile: nil, reason: reason))
    }

    private func requireRoom(_ roomID: String) async throws {
        guard (try? RoomID(roomID)) != nil else { throw MatrixError.invalidParam("Invalid room ID") }
        guard try await database.room(roomID) != nil else { throw MatrixError.notFound("Unknown room \(roomID)") }
    }
}
