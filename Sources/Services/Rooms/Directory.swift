import MatrixProtocol
import Store

/// Room aliases and the public room directory (spec "Room aliases", "Listing rooms").
extension Rooms {
    /// Checks that an alias is well-formed and one of ours.
    func localAlias(_ alias: String) throws -> RoomAlias {
        guard let parsed = try? RoomAlias(alias) else { throw MatrixError.invalidParam("Invalid room alias '\(alias)'") }
        guard parsed.server == config.serverName else {
            throw MatrixError.invalidParam("Room alias \(alias) is not on this server")
        }
        return parsed
    }

    public func createAlias(_ alias: String, roomID: String, by user: String) async throws {
        _ = try localAlias(alias)
        guard (try? RoomID(roomID)) != nil else { throw MatrixError.invalidParam("Invalid room ID") }
        guard try await database.room(roomID) != nil else { throw MatrixError.notFound("Unknown room \(roomID)") }
        try await requireJoined(user, roomID)
        do {
            try await database.createAlias(alias, roomID: roomID, creator: user)
        } catch StoreError.alreadyExists {
            throw MatrixError("M_UNKNOWN", "Room alias \(alias) already exists", status: 409)
        }
    }

    /// The room an alias names, with the servers that can join it (only us until federation).
    public func lookupAlias(_ alias: String) async throws -> (roomID: String, servers: [String]) {
        guard let parsed = try? RoomAlias(alias) else { throw MatrixError.invalidParam("Invalid room alias '\(alias)'") }
        guard parsed.server == config.serverName, let roomID = try await database.roomID(forAlias: alias) else {
            throw MatrixError.notFound("Room alias \(alias) not found")
        }
        return (roomID, [serverName])
    }

    /// Only the alias's creator or a server admin may delete it.
    public func deleteAlias(_ alias: String, by requester: Requester) async throws {
        _ = try localAlias(alias)
        guard let creator = try await database.aliasCreator(alias) else { throw MatrixError.notFound("Room alias \(alias) not found") }
        guard creator == requester.userID || requester.isAdmin else {
            throw MatrixError.forbidden("Only the creator of \(alias) or an admin can delete it")
        }
        try await database.deleteAlias(alias)
    }

    public func aliases(of roomID: String, for user: String) async throws -> [String] {
        try await requireJoined(user, roomID)
        return try await database.aliases(of: roomID)
    }

    public func isPublished(_ roomID: String) async throws -> Bool {
        guard let room = try await database.room(roomID) else { throw MatrixError.notFound("Unknown room \(roomID)") }
        return try await database.isPublished(room)
    }

    /// Publishing needs the power to change the room's canonical alias, as Synapse asks.
    public func setPublished(_ published: Bool, roomID: String, by user: String) async throws {
        guard let room = try await database.room(roomID) else { throw MatrixError.notFound("Unknown room \(roomID)") }
        try await requireJoined(user, roomID)
        try await requirePower(user, roomID, toSendState: "m.room.canonical_alias")
        try await database.setPublished(published, room: room)
    }

    /// One public room's directory entry (spec `PublishedRoomsChunk`).
    public struct DirectoryEntry: Sendable {
        public var roomID: String
        public var joinedMembers: Int
        public var name: String?
        public var topic: String?
        public var canonicalAlias: String?
        public var avatarURL: String?
        public var joinRule: String
        public var worldReadable: Bool
        public var guestCanJoin: Bool
        public var roomType: String?
    }

    public func publicRooms() async throws -> [DirectoryEntry] {
        var entries: [DirectoryEntry] = []
        for (room, joined) in try await database.publishedRooms() {
            let state = try await currentState(roomID: room.roomID)
            func text(_ type: String, _ key: String) -> String? { state[StateKey(type, "")]?.content[key]?.stringValue }
            entries.append(DirectoryEntry(
                roomID: room.roomID, joinedMembers: joined, name: text("m.room.name", "name"), topic: text("m.room.topic", "topic"),
                canonicalAlias: text("m.room.canonical_alias", "alias"), avatarURL: text("m.room.avatar", "url"),
                joinRule: text("m.room.join_rules", "join_rule") ?? "invite",
                worldReadable: text("m.room.history_visibility", "history_visibility") == "world_readable",
                guestCanJoin: text("m.room.guest_access", "guest_access") == "can_join",
                roomType: state[.create]?.content["type"]?.stringValue))
        }
        return entries
    }
}

extension Rooms {
    /// A page of the directory; `since`/`next_batch` are offsets written `o<n>`.
    public func publicRoomsPage(limit: String?, since: String?, search: String?) async throws -> JSONObject {
        var entries = try await publicRooms()
        if let term = search?.lowercased(), !term.isEmpty {
            entries = entries.filter { e in
                [e.name, e.topic, e.canonicalAlias].contains { $0?.lowercased().contains(term) == true }
            }
        }
        var offset = 0
        if let since {
            guard since.hasPrefix("o"), let n = Int(since.dropFirst()), n >= 0 else { throw MatrixError.invalidParam("Invalid since token") }
            offset = n
        }
        var count = entries.count
        if let limit {
            guard let n = Int(limit), n > 0 else { throw MatrixError.invalidParam("limit must be a positive integer") }
            count = n
        }
        let slice = entries.dropFirst(offset).prefix(count)
        var body: JSONObject = [
            "chunk": .array(slice.map { e in
                var o: JSONObject = [
                    "room_id": .string(e.roomID), "num_joined_members": .int(Int64(e.joinedMembers)),
                    "world_readable": .bool(e.worldReadable), "guest_can_join": .bool(e.guestCanJoin), "join_rule": .string(e.joinRule),
                ]
                if let v = e.name { o["name"] = .string(v) }
                if let v = e.topic { o["topic"] = .string(v) }
                if let v = e.canonicalAlias { o["canonical_alias"] = .string(v) }
                if let v = e.avatarURL { o["avatar_url"] = .string(v) }
                if let v = e.roomType { o["room_type"] = .string(v) }
                return .object(o)
            }),
            "total_room_count_estimate": .int(Int64(entries.count)),
        ]
        if offset + slice.count < entries.count { body["next_batch"] = .string("o\(offset + slice.count)") }
        if offset > 0 { body["prev_batch"] = .string("o\(max(0, offset - count))") }
        return body
    }
}
