import MatrixProtocol
import Store

extension Rooms {
    /// State carried into the replacement room (spec "Room Upgrades", server behaviour).
    static let upgradeCopiedState = ["m.room.name", "m.room.topic", "m.room.avatar", "m.room.join_rules",
                                     "m.room.history_visibility", "m.room.guest_access", "m.room.encryption",
                                     "m.room.server_acl", "m.room.canonical_alias", "m.room.power_levels"]

    /// `POST /rooms/{roomId}/upgrade`: a new room of `newVersion` with the old room's state, a
    /// tombstone in the old room pointing at it, and the old room's power levels raised so that
    /// only moderators keep talking there. Needs the power to send the tombstone.
    public func upgrade(roomID: String, to newVersionID: String, by requester: Requester,
                        additionalCreators: [String]) async throws -> String {
        guard let newVersion = RoomVersion.named(newVersionID) else { throw MatrixError.unsupportedRoomVersion(newVersionID) }
        try await requireJoined(requester.userID, roomID)
        let old = try await lane(roomID)
        let state = try await old.currentState()
        // Check the tombstone would pass before creating anything.
        try await old.check(EventBuilder.Draft(type: "m.room.tombstone", stateKey: "", sender: requester.userID,
                                               content: ["body": "This room has been replaced", "replacement_room": "!check:x"], redacts: nil))
        var options = RoomCreationRequest(creator: requester.userID)
        options.version = newVersion.id
        var creation: JSONObject = ["predecessor": ["room_id": .string(roomID)]]
        if let type = state[.create]?.content["type"] { creation["type"] = type }
        if newVersion.infiniteCreatorPower, !additionalCreators.isEmpty { creation["additional_creators"] = JSONValue(additionalCreators) }
        options.creationContent = creation
        for type in Self.upgradeCopiedState where type != "m.room.power_levels" && type != "m.room.canonical_alias" {
            if let event = state[StateKey(type, "")] { options.initialState.append((type, "", event.content)) }
        }
        if var levels = state[.powerLevels]?.content {
            // v12 creators may not be listed; everyone else keeps their level.
            if newVersion.infiniteCreatorPower, var users = levels["users"]?.objectValue {
                users[requester.userID] = nil
                for c in additionalCreators { users[c] = nil }
                levels["users"] = .object(users)
            } else if !newVersion.infiniteCreatorPower {
                var users = levels["users"]?.objectValue ?? [:]
                users[requester.userID] = users[requester.userID] ?? 100
                levels["users"] = .object(users)
            }
            options.powerLevelOverride = levels
        }
        options.preset = state[.joinRules]?.content["join_rule"]?.stringValue == "public" ? .publicChat : .privateChat
        let newRoomID = try await create(options)
        // Move local aliases and the canonical alias.
        for alias in try await database.aliases(of: roomID) {
            try await database.deleteAlias(alias)
            try await database.createAlias(alias, roomID: newRoomID, creator: requester.userID)
        }
        if let canonical = state[StateKey("m.room.canonical_alias", "")] {
            _ = try? await send(roomID: newRoomID, sender: requester.userID, type: "m.room.canonical_alias", stateKey: "",
                                content: canonical.content)
        }
        _ = try await send(roomID: roomID, sender: requester.userID, type: "m.room.tombstone", stateKey: "",
                           content: ["body": "This room has been replaced", "replacement_room": .string(newRoomID)])
        if var levels = state[.powerLevels]?.content {
            let raised = max(50, PowerLevels.parse(levels["invite"] ?? .int(0), version: old.version) ?? 0)
            levels["events_default"] = .int(max(50, PowerLevels.parse(levels["events_default"] ?? .int(0), version: old.version) ?? 0))
            levels["invite"] = .int(raised)
            _ = try? await send(roomID: roomID, sender: requester.userID, type: "m.room.power_levels", stateKey: "", content: levels)
        }
        if let oldRoom = try await database.room(roomID), try await database.isPublished(oldRoom) {
            try await setPublished(false, roomID: roomID, by: requester.userID)
            try await setPublished(true, roomID: newRoomID, by: requester.userID)
        }
        return newRoomID
    }
}
