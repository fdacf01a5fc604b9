import MatrixProtocol
import Sodium
import Store

/// `POST /createRoom` options, decoded by the API layer.
public struct RoomCreationRequest: Sendable {
    public enum Preset: String, Sendable {
        case privateChat = "private_chat", trustedPrivateChat = "trusted_private_chat", publicChat = "public_chat"
    }

    public var creator: String
    public var version: String?
    public var preset: Preset?
    public var visibilityPublic = false
    public var name: String?
    public var topic: String?
    public var aliasLocalpart: String?
    public var invite: [String] = []
    public var isDirect = false
    public var creationContent = JSONObject()
    public var powerLevelOverride: JSONObject?
    public var initialState: [(type: String, stateKey: String, content: JSONObject)] = []

    public init(creator: String) { self.creator = creator }
}

extension Rooms {
    /// Creates a room with the events the spec lists, in its order. Every event is built and
    /// authorised in memory first; only if all pass is the room stored, in one transaction.
    public func create(_ request: RoomCreationRequest) async throws -> String {
        let versionID = request.version ?? RoomVersion.defaultForNewRooms
        guard let version = RoomVersion.named(versionID) else { throw MatrixError.unsupportedRoomVersion(versionID) }
        let preset = request.preset ?? (request.visibilityPublic ? .publicChat : .privateChat)
        var invitees: [String] = []
        for user in request.invite {
            guard (try? UserID(user)) != nil else { throw MatrixError.invalidParam("Invalid user ID to invite: \(user)") }
            if user != request.creator && !invitees.contains(user) { invitees.append(user) }
        }
        var alias: String?
        if let local = request.aliasLocalpart {
            guard !local.isEmpty, !local.contains(":"), !local.contains(where: \.isWhitespace),
                  let full = try? RoomAlias("#\(local):\(serverName)") else {
                throw MatrixError.invalidParam("Invalid room alias name '\(local)'")
            }
            alias = full.description
            if try await database.aliasExists(full.description) {
                throw MatrixError("M_ROOM_IN_USE", "Room alias already taken", status: 400)
            }
        }

        let profile = try await database.profile(of: request.creator)
        // Users of other servers are invited once the room exists: their server countersigns the invite.
        let remoteInvitees = invitees.filter { (try? UserID($0))?.server != config.serverName }
        let drafts = try creationDrafts(request, version: version, preset: preset, invitees: invitees, alias: alias, profile: profile)
            .filter { !($0.type == "m.room.member" && remoteInvitees.contains($0.stateKey ?? "")) }
        var state: [StateKey: PDU] = [:]
        var extremities: [(eventID: String, depth: Int64)] = []
        var events: [NewTimelineEvent] = []
        let now = clock.nowMillis()
        var roomID: String? = version.hashedRoomIDs ? nil : "!\(SecureRandom.alphanumeric(18)):\(serverName)"
        for draft in drafts {
            let pdu: PDU, before = state
            do {
                pdu = try RoomLane.buildAuthorised(draft, roomID: roomID, version: version, builder: builder, state: &state,
                                                   extremities: &extremities, now: now)
            } catch let error as MatrixError where error.errcode == "M_FORBIDDEN" {
                throw MatrixError("M_INVALID_ROOM_STATE", "The requested room state is not allowed: \(error.message)", status: 400)
            }
            if roomID == nil { roomID = pdu.roomID }
            // A key set twice (`name` after an `initial_state` name) says what it replaced, as later sends do.
            events.append(NewTimelineEvent(pdu: pdu, json: ReplacedState.stored(pdu, stateBefore: before).json.encodedBytes()))
        }
        guard let roomID else { throw MatrixError.unknown("Room ID missing") }
        let room = try await database.createRoom(roomID: roomID, version: version.id, now: now)
        let streams = try await database.appendTimelineEvents(events, room: room)
        if let alias {
            do { try await database.createAlias(alias, roomID: roomID, creator: request.creator) } catch StoreError.alreadyExists {
                // Lost a race for the alias after the check: the room exists, only the alias is refused.
                throw MatrixError("M_ROOM_IN_USE", "Room alias already taken", status: 400)
            }
        }
        if request.visibilityPublic { try await database.setPublished(true, room: room) }
        if let last = streams.last { notifier.advance(.events, to: last) }
        for user in remoteInvitees {
            var content: JSONObject = ["membership": "invite"]
            if request.isDirect { content["is_direct"] = true }
            // As in Synapse, a failed remote invite fails the request but does not undo the room.
            try await federation.get().inviteRemote(roomID: roomID, sender: request.creator, target: user, content: content)
        }
        return roomID
    }

    private func creationDrafts(_ r: RoomCreationRequest, version: RoomVersion, preset: RoomCreationRequest.Preset,
                                invitees: [String], alias: String?, profile: Profile?) throws -> [EventBuilder.Draft] {
        func state(_ type: String, _ key: String = "", _ content: JSONObject) -> EventBuilder.Draft {
            EventBuilder.Draft(type: type, stateKey: key, sender: r.creator, content: content, redacts: nil)
        }
        var drafts: [EventBuilder.Draft] = []

        // 1. Create.
        var create = r.creationContent
        create["room_version"] = .string(version.id)
        if !version.creatorIsSender { create["creator"] = .string(r.creator) } else { create["creator"] = nil }
        if version.hashedRoomIDs, preset == .trustedPrivateChat, !invitees.isEmpty {
            var extra = (create["additional_creators"]?.arrayValue ?? []).compactMap(\.stringValue)
            for user in invitees where !extra.contains(user) { extra.append(user) }
            create["additional_creators"] = JSONValue(extra)
        }
        drafts.append(state("m.room.create", "", create))

        // 2. The creator joins.
        drafts.append(state("m.room.member", r.creator, Profiles.memberContent("join", profile: profile)))

        // 3. Power levels.
        var users: JSONObject = [:]
        if !version.hashedRoomIDs {
            users[r.creator] = 100
            if preset == .trustedPrivateChat { for user in invitees { users[user] = 100 } }
        }
        var events: JSONObject = [
            "m.room.name": 50, "m.room.power_levels": 100, "m.room.history_visibility": 100,
            "m.room.canonical_alias": 50, "m.room.avatar": 50, "m.room.tombstone": 100, "m.room.server_acl": 100,
            "m.room.encryption": 100,
        ]
        if version.hashedRoomIDs { events["m.room.tombstone"] = 150 }
        var levels: JSONObject = [
            "users": .object(users), "users_default": 0, "events": .object(events), "events_default": 0,
            "state_default": 50, "ban": 50, "kick": 50, "redact": 50,
            "invite": preset == .publicChat ? 50 : 0,
            "notifications": ["room": 50],
        ]
        if let override = r.powerLevelOverride {
            for (key, value) in override { levels[key] = value }
        }
        drafts.append(state("m.room.power_levels", "", levels))

        // 4. Canonical alias.
        if let alias { drafts.append(state("m.room.canonical_alias", "", ["alias": .string(alias)])) }

        // 5. Preset state; initial_state entries of the same keys take precedence.
        let presetState: [(String, JSONObject)] = [
            ("m.room.join_rules", ["join_rule": preset == .publicChat ? "public" : "invite"]),
            ("m.room.history_visibility", ["history_visibility": "shared"]),
            ("m.room.guest_access", ["guest_access": preset == .publicChat ? "forbidden" : "can_join"]),
        ]
        let overridden = Set(r.initialState.map { StateKey($0.type, $0.stateKey) })
        for (type, content) in presetState where !overridden.contains(StateKey(type, "")) {
            drafts.append(state(type, "", content))
        }

        // 6. initial_state, in order.
        for entry in r.initialState {
            guard entry.type != "m.room.create", entry.type != "m.room.member" else {
                throw MatrixError.invalidParam("initial_state may not contain \(entry.type) events")
            }
            drafts.append(state(entry.type, entry.stateKey, entry.content))
        }

        // 7. Name and topic.
        if let name = r.name { drafts.append(state("m.room.name", "", ["name": .string(name)])) }
        if let topic = r.topic { drafts.append(state("m.room.topic", "", ["topic": .string(topic)])) }

        // 8. Invites.
        for user in invitees {
            var content: JSONObject = ["membership": "invite"]
            if r.isDirect { content["is_direct"] = true }
            drafts.append(state("m.room.member", user, content))
        }
        return drafts
    }
}
