import MatrixProtocol
import Store

extension Admin {
    public func rooms(from: Int, limit: Int) async throws -> JSONObject {
        let (rooms, total) = try await hs.database.adminRooms(from: from, limit: limit, localServer: hs.serverName.description)
        var list: [JSONValue] = []
        for room in rooms { list.append(.object(try await roomJSON(room))) }
        var answer: JSONObject = ["rooms": .array(list), "offset": .int(Int64(from)), "total_rooms": .int(Int64(total))]
        if from + rooms.count < total { answer["next_batch"] = .int(Int64(from + rooms.count)) }
        return answer
    }

    public func room(_ roomID: String) async throws -> JSONObject {
        guard let room = try await hs.database.adminRoom(roomID, localServer: hs.serverName.description) else {
            throw MatrixError.notFound("Room not found")
        }
        return try await roomJSON(room)
    }

    func roomJSON(_ room: AdminRoom) async throws -> JSONObject {
        let state = try await hs.database.hasCurrentState(room.room) ? try await hs.rooms.currentState(roomID: room.room.roomID) : [:]
        func text(_ type: String, _ key: String) -> JSONValue {
            state[StateKey(type, "")]?.content[key]?.stringValue.map(JSONValue.string) ?? .null
        }
        return [
            "room_id": .string(room.room.roomID), "name": text("m.room.name", "name"), "topic": text("m.room.topic", "topic"),
            "canonical_alias": text("m.room.canonical_alias", "alias"), "avatar": text("m.room.avatar", "url"),
            "joined_members": .int(Int64(room.joinedMembers)), "joined_local_members": .int(Int64(room.joinedLocalMembers)),
            "version": .string(room.room.version), "creator": state[.create].map { .string($0.content["creator"]?.stringValue ?? $0.sender) } ?? .null,
            "encryption": text("m.room.encryption", "algorithm"),
            "federatable": .bool(state[.create]?.content["m.federate"]?.boolValue ?? true), "public": .bool(room.published),
            "join_rules": text("m.room.join_rules", "join_rule"), "guest_access": text("m.room.guest_access", "guest_access"),
            "history_visibility": text("m.room.history_visibility", "history_visibility"),
            "state_events": .int(Int64(room.stateEvents)),
            "room_type": state[.create]?.content["type"] ?? .null,
        ]
    }

    public func roomMembers(_ roomID: String) async throws -> JSONObject {
        guard try await hs.database.room(roomID) != nil else { throw MatrixError.notFound("Room not found") }
        let members = try await hs.rooms.joinedMembers(roomID: roomID)
        return ["members": JSONValue(members), "total": .int(Int64(members.count))]
    }

    public func roomState(_ roomID: String) async throws -> JSONObject {
        guard try await hs.database.room(roomID) != nil else { throw MatrixError.notFound("Room not found") }
        let state = try await hs.rooms.currentState(roomID: roomID)
        return ["state": .array(state.keys.sorted().compactMap { state[$0] }.map { .object(ClientEvent.format($0)) })]
    }

    /// `DELETE /v2/rooms/{roomId}`: every local member leaves (kicked by the room's own power
    /// when possible), the room leaves the directory, and with `purge` every row of it goes.
    public func deleteRoom(_ roomID: String, purge: Bool, by admin: String) async throws -> JSONObject {
        guard let room = try await hs.database.room(roomID) else { throw MatrixError.notFound("Room not found") }
        var kicked: [String] = []
        var failed: [String] = []
        if try await hs.database.hasCurrentState(room) {
            for member in try await hs.rooms.joinedMembers(roomID: roomID) where member.hasSuffix(":" + hs.serverName.description) {
                do {
                    try await hs.rooms.leave(roomID, user: member, reason: "Room deleted by an administrator")
                    kicked.append(member)
                } catch {
                    failed.append(member)
                }
            }
            try await hs.database.setPublished(false, room: room)
        }
        for alias in try await hs.database.aliases(of: roomID) { try await hs.database.deleteAlias(alias) }
        if purge {
            await hs.rooms.forgetLane(roomID)
            try await hs.database.purgeRoom(room)
        }
        return ["kicked_users": JSONValue(kicked), "failed_to_kick_users": JSONValue(failed), "local_aliases": [], "new_room_id": .null,
                "delete_id": .string("delete-\(roomID)"), "status": "complete"]
    }

    /// `POST /v1/purge_history/{roomId}`: message events before a time (or event) go.
    public func purgeHistory(_ roomID: String, body: JSONObject) async throws -> JSONObject {
        guard let room = try await hs.database.room(roomID) else { throw MatrixError.notFound("Room not found") }
        let before: Int64
        if let eventID = try body.optionalString("purge_up_to_event_id") {
            guard let event = try await hs.database.event(eventID), event.roomNID == room.nid,
                  let ts = (try? JSONParser.parseObject(event.json))?["origin_server_ts"]?.intValue else {
                throw MatrixError.notFound("Event not found in the room")
            }
            before = ts
        } else if let ts = body["purge_up_to_ts"]?.intValue {
            before = ts
        } else {
            throw MatrixError.missingParam("Missing purge_up_to_event_id or purge_up_to_ts")
        }
        let removed = try await hs.database.purgeHistory(room, beforeTS: before, includeLocal: try body.optionalBool("delete_local_events") ?? false,
                                                         localServer: hs.serverName.description)
        return ["purge_id": .string("purge-\(roomID)-\(before)"), "deleted_events": .int(Int64(removed))]
    }
}

extension Rooms {
    /// Drops a room's lane (its cached state) before the room is purged.
    func forgetLane(_ roomID: String) async { await lanes.remove(roomID) }
}

extension RoomLanes {
    func remove(_ roomID: String) { lanes.removeValue(forKey: roomID) }
}
