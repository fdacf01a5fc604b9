import MatrixProtocol
import Store

/// Who asks for a hierarchy: a local user (Client-Server API) or another server (federation).
enum SpaceViewer: Sendable {
    case user(String)
    case server(String)
}

extension Rooms {
    /// A room this server is in, as a hierarchy shows it, or nil when the viewer may not see it.
    /// `children_state` only for a space, and only when asked for.
    func spaceRoom(_ roomID: String, viewer: SpaceViewer, suggestedOnly: Bool, includeChildren: Bool) async throws -> SpaceRoom? {
        let lane = try await lane(roomID)
        let state = try await lane.currentState()
        guard try await mayPreview(roomID, state: state, version: lane.version, viewer: viewer) else { return nil }
        let summary = try await summary(roomID, state: state, version: lane.version)
        guard includeChildren, summary["room_type"]?.stringValue == "m.space" else { return SpaceRoom(summary: summary, childrenState: []) }
        let children: [JSONObject] = state.filter { $0.key.type == "m.space.child" }.values.map { pdu in
            ["type": .string(pdu.type), "state_key": .string(pdu.stateKey ?? ""), "content": .object(pdu.content),
             "sender": .string(pdu.sender), "origin_server_ts": .int(pdu.originServerTS)]
        }
        return SpaceRoom(summary: summary, childrenState: SpaceRoom.validChildren(children, suggestedOnly: suggestedOnly))
    }

    /// The spec's `RoomSummary` of a room from its current state; absent fields are left out.
    func summary(_ roomID: String, state: [StateKey: PDU], version: RoomVersion) async throws -> JSONObject {
        func text(_ type: String, _ key: String) -> JSONValue? {
            state[StateKey(type, "")]?.content[key]?.stringValue.map(JSONValue.string)
        }
        var out: JSONObject = [
            "room_id": .string(roomID),
            "num_joined_members": .int(Int64(try await joinedMembers(roomID: roomID).count)),
            "world_readable": .bool(text("m.room.history_visibility", "history_visibility") == "world_readable"),
            "guest_can_join": .bool(text("m.room.guest_access", "guest_access") == "can_join"),
            "room_version": .string(version.id),
        ]
        out["name"] = text("m.room.name", "name")
        out["topic"] = text("m.room.topic", "topic")
        out["canonical_alias"] = text("m.room.canonical_alias", "alias")
        out["avatar_url"] = text("m.room.avatar", "url")
        // Without join rules only invitees may join; absent would tell clients "public".
        out["join_rule"] = text("m.room.join_rules", "join_rule") ?? "invite"
        out["encryption"] = text("m.room.encryption", "algorithm")
        out["room_type"] = state[.create]?.content["type"]?.stringValue.map(JSONValue.string)
        if let allowed = Self.allowedRoomIDs(joinRules: state[.joinRules], version: version) { out["allowed_room_ids"] = JSONValue(allowed) }
        return out
    }

    /// The spec's rule for which rooms a hierarchy shows: public, knockable or world-readable
    /// rooms to anyone; otherwise to a member or invitee, or to one who meets a restricted room's
    /// conditions. A server sees what its users could: it has a member or invitee in the room, or
    /// a member in one of the rooms a restricted room allows.
    func mayPreview(_ roomID: String, state: [StateKey: PDU], version: RoomVersion, viewer: SpaceViewer) async throws -> Bool {
        let rule = state[.joinRules]?.content["join_rule"]?.stringValue
        if rule == "public" || (version.knocking && rule == "knock") || (version.knockRestricted && rule == "knock_restricted") { return true }
        if state[StateKey("m.room.history_visibility", "")]?.content["history_visibility"]?.stringValue == "world_readable" { return true }
        let allowed = Self.allowedRoomIDs(joinRules: state[.joinRules], version: version) ?? []
        switch viewer {
        case .user(let userID):
            let membership = state[.member(userID)]?.content["membership"]?.stringValue
            if membership == "join" || membership == "invite" { return true }
            return try await isJoined(userID, toAnyOf: allowed)
        case .server(let origin):
            guard let room = try await database.room(roomID) else { return false }
            if try await database.joinedServers(roomNID: room.nid).contains(origin) { return true }
            if try await database.members(of: room, membership: "invite").contains(where: { MatrixIdentifier.server(of: $0) == origin }) { return true }
            for allowedID in allowed where try await knowsMembership(of: allowedID) {
                if let allowedRoom = try await database.room(allowedID), try await database.joinedServers(roomNID: allowedRoom.nid).contains(origin) {
                    return true
                }
            }
            return false
        }
    }
}
