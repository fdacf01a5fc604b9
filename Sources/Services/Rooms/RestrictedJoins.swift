import MatrixProtocol
import Store

/// Restricted rooms (spec "Restricted rooms"): a user who is not invited may join when joined to
/// one of the rooms the join rules allow, and a member of the room who may invite vouches for the
/// join with `join_authorised_via_users_server`. The auth rules check only the voucher; whether
/// the condition holds is checked here, by the server that vouches.
extension Rooms {
    /// The rooms a restricted room admits members of (its `m.room_membership` conditions); nil
    /// when the join rules are not `restricted`/`knock_restricted` in a version that has them.
    static func allowedRoomIDs(joinRules: PDU?, version: RoomVersion) -> [String]? {
        let rule = joinRules?.content["join_rule"]?.stringValue
        guard (version.restrictedJoins && rule == "restricted") || (version.knockRestricted && rule == "knock_restricted") else {
            return nil
        }
        return (joinRules?.content["allow"]?.arrayValue ?? []).compactMap { condition in
            condition["type"]?.stringValue == "m.room_membership" ? condition["room_id"]?.stringValue : nil
        }
    }

    /// A room whose membership this server knows first-hand: one of our users is joined to it.
    func knowsMembership(of roomID: String) async throws -> Bool {
        guard try await hasState(roomID) else { return false }
        return try await isResident(roomID)
    }

    /// Whether the user is joined to one of the rooms, among those whose membership we know.
    func isJoined(_ userID: String, toAnyOf roomIDs: [String]) async throws -> Bool {
        for roomID in roomIDs where try await knowsMembership(of: roomID) {
            if try await membership(of: userID, in: roomID) == "join" { return true }
        }
        return false
    }

    /// The local member who vouches for `joiner` joining a restricted room through this server.
    /// Nil when no voucher is needed (the room is not restricted, or the joiner is invited or
    /// joined already). Throws 403 `M_FORBIDDEN` when the joiner meets no condition, 400
    /// `M_UNABLE_TO_AUTHORISE_JOIN` when this server cannot tell (it is not in an allowed room the
    /// joiner may be in), 400 `M_UNABLE_TO_GRANT_JOIN` when no user here may invite.
    func restrictedJoinVoucher(roomID: String, joiner: String) async throws -> String? {
        let lane = try await lane(roomID)
        let state = try await lane.currentState()
        guard let allowed = Self.allowedRoomIDs(joinRules: state[.joinRules], version: lane.version) else { return nil }
        let current = state[.member(joiner)]?.content["membership"]?.stringValue
        guard current != "join", current != "invite" else { return nil }
        guard current != "ban" else { throw MatrixError.forbidden("You are banned from \(roomID)") }
        guard try await isJoined(joiner, toAnyOf: allowed) else {
            // A remote user may be in an allowed room we are not in: another server may know.
            if MatrixIdentifier.server(of: joiner) != serverName {
                for roomID in allowed where try await !knowsMembership(of: roomID) {
                    throw MatrixError("M_UNABLE_TO_AUTHORISE_JOIN", "This server cannot check membership of \(roomID)", status: 400)
                }
            }
            throw MatrixError.forbidden("You are not a member of any room this room's join rules allow")
        }
        if let user = try await membersWhoMayInvite(joiner, lane: lane, roomID: roomID).first(where: { MatrixIdentifier.server(of: $0) == serverName }) {
            return user
        }
        throw MatrixError("M_UNABLE_TO_GRANT_JOIN", "No user of this server may admit you to \(roomID)", status: 400)
    }

    /// The servers of the members who could vouch for `joiner`: where to join through when no
    /// user of ours can.
    func serversThatMayVouch(for joiner: String, roomID: String) async throws -> [String] {
        var seen: Set<String> = [serverName]
        return try await membersWhoMayInvite(joiner, lane: lane(roomID), roomID: roomID)
            .compactMap { MatrixIdentifier.server(of: $0) }.filter { seen.insert($0).inserted }
    }

    /// Joined members whose invite of `joiner` the auth rules would allow now, most powerful
    /// first (the spec's advice for picking who vouches), then by user ID.
    private func membersWhoMayInvite(_ joiner: String, lane: RoomLane, roomID: String) async throws -> [String] {
        let state = try await lane.currentState()
        let power = PowerLevels(event: state[.powerLevels], create: state[.create], version: lane.version)
        let members = try await joinedMembers(roomID: roomID).map { (user: $0, level: power.userLevel($0)) }
            .sorted { $0.level != $1.level ? $0.level > $1.level : $0.user < $1.user }
        var out: [String] = []
        for (user, _) in members {
            let probe = EventBuilder.Draft(type: "m.room.member", stateKey: joiner, sender: user,
                                           content: ["membership": "invite"], redacts: nil)
            if (try? await lane.check(probe)) != nil { out.append(user) }
        }
        return out
    }
}
