import MatrixProtocol
import Store

extension Federation {
    /// Most events `/backfill` and `get_missing_events` return at once.
    static let maxHistoryEvents = 100

    /// The room of an event, when `origin` may read it: a server with a member in the room.
    func readableRoom(_ roomID: String, origin: String) async throws -> (RoomRecord, RoomVersion) {
        let (room, version) = try await joinedRoom(roomID)
        try await requireACL(origin, roomID: roomID)
        var allowed = try await database.joinedServers(roomNID: room.nid).contains(origin)
        if !allowed { allowed = try await wasInRoom(origin, room) }
        guard allowed else {
            throw MatrixError.forbidden("\(origin) is not in room \(roomID)")
        }
        return (room, version)
    }

    /// A server whose users were members (left, invited, knocking) may still read what it saw.
    private func wasInRoom(_ origin: String, _ room: RoomRecord) async throws -> Bool {
        for membership in ["leave", "invite", "ban", "knock"] {
            if try await database.members(of: room, membership: membership).contains(where: { MatrixIdentifier.server(of: $0) == origin }) { return true }
        }
        return false
    }

    /// Timeline events as `origin` may see them: redacted where the room's history visibility
    /// hides them from that server (`ServerVisibility`).
    func wire(_ events: [StoredEvent], room: RoomRecord, version: RoomVersion, for origin: String) async throws -> [JSONValue] {
        let visibility = try await database.serverVisibility(of: origin, in: room)
        return events.compactMap { stored in
            guard let wire = Self.wire(stored, version: version) else { return nil }
            guard !visibility.canSee(stream: stored.streamOrdering), case .object(let json) = wire else { return wire }
            return .object(Redaction.redact(json, rules: version.redactionRules))
        }
    }

    /// `GET /event/{eventId}`.
    public func serveEvent(_ eventID: String, origin: String) async throws -> JSONObject {
        guard let stored = try await database.event(eventID), let room = try await database.room(byNID: stored.roomNID) else {
            throw MatrixError.notFound("Event not found")
        }
        let (_, version) = try await readableRoom(room.roomID, origin: origin)
        guard let wire = try await wire([stored], room: room, version: version, for: origin).first else {
            throw MatrixError.notFound("Event not found")
        }
        return ["origin": .string(ourServer), "origin_server_ts": .int(clock.nowMillis()), "pdus": [wire]]
    }

    /// `GET /state` and `/state_ids` at an event: the state before it, and that state's auth chain.
    public func serveState(roomID: String, eventID: String, origin: String, idsOnly: Bool) async throws -> JSONObject {
        let (room, version) = try await readableRoom(roomID, origin: origin)
        guard let stored = try await database.event(eventID), stored.roomNID == room.nid, !stored.outlier,
              let state = try await database.stateBefore(eventID: eventID) else {
            throw MatrixError.notFound("Event \(eventID) is not in the room's graph here")
        }
        let ids = Array(state.values)
        let chain = try await database.authChain(of: ids)
        if idsOnly {
            return ["pdu_ids": JSONValue(ids.sorted()), "auth_chain_ids": JSONValue(chain.map(\.eventID).sorted())]
        }
        return ["pdus": .array(try await database.events(ids).compactMap { Self.wire($0, version: version) }),
                "auth_chain": .array(chain.compactMap { Self.wire($0, version: version) })]
    }

    /// `GET /event_auth/{roomId}/{eventId}`.
    public func serveEventAuth(roomID: String, eventID: String, origin: String) async throws -> JSONObject {
        let (room, version) = try await readableRoom(roomID, origin: origin)
        guard let stored = try await database.event(eventID), stored.roomNID == room.nid else { throw MatrixError.notFound("Event not found") }
        return ["auth_chain": .array(try await database.authChain(of: [eventID]).compactMap { Self.wire($0, version: version) })]
    }

    /// `GET /backfill`: events before (and including) `from`, walking prev_events backwards.
    public func serveBackfill(roomID: String, from: [String], limit: Int, origin: String) async throws -> JSONObject {
        let (room, version) = try await readableRoom(roomID, origin: origin)
        let events = try await database.walkBackwards(from: from, room: room, limit: min(max(limit, 0), Self.maxHistoryEvents), stopAt: [])
        return ["origin": .string(ourServer), "origin_server_ts": .int(clock.nowMillis()),
                "pdus": .array(try await wire(events, room: room, version: version, for: origin))]
    }

    /// `POST /get_missing_events`: the prev events of `latest` back to (not including) `earliest`.
    public func serveMissingEvents(roomID: String, body: JSONObject, origin: String) async throws -> JSONObject {
        let (room, version) = try await readableRoom(roomID, origin: origin)
        let latest = (body["latest_events"]?.arrayValue ?? []).compactMap(\.stringValue)
        let earliest = Set((body["earliest_events"]?.arrayValue ?? []).compactMap(\.stringValue))
        let limit = Int(body["limit"]?.intValue ?? 10)
        let minDepth = body["min_depth"]?.intValue ?? 0
        var starts: [String] = []
        for id in latest {
            if let stored = try await database.event(id) {
                starts += (try? stored.pdu(version: version).prevEvents) ?? []
            }
        }
        let events = try await database.walkBackwards(from: starts, room: room, limit: min(max(limit, 0), Self.maxHistoryEvents),
                                                      stopAt: earliest)
        let filtered = events.filter { stored in
            ((try? JSONParser.parseObject(stored.json))?["depth"]?.intValue ?? 0) >= minDepth
        }
        return ["events": .array(try await wire(filtered.reversed(), room: room, version: version, for: origin))]
    }
}
