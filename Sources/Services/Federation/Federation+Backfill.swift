import MatrixProtocol
import Store

extension Federation {
    /// Fetches history older than the room's earliest timeline event from a server in the room
    /// (`/backfill`), checks every event (signatures, hashes, its auth events) and adds it before
    /// the timeline. Returns how many events were added (0 when the history is complete here).
    public func backfill(roomID: String, limit: Int) async throws -> Int {
        guard enabled, let room = try await database.room(roomID), let version = RoomVersion.named(room.version),
              let earliest = try await database.earliestTimelineEvent(of: room) else { return 0 }
        let pdu = try earliest.pdu(version: version)
        let from = try await database.notInTimeline(pdu.prevEvents)
        guard !from.isEmpty else { return 0 }
        let servers = try await database.joinedServers(roomNID: room.nid).subtracting([ourServer]).sorted()
        for server in servers {
            guard let destination = try? ServerName(server) else { continue }
            let query = from.map { "v=\(pathSegment($0))" }.joined(separator: "&") + "&limit=\(min(max(limit, 1), Self.maxHistoryEvents))"
            guard let answer = try? await transport.json(to: destination, method: "GET",
                                                          path: "/_matrix/federation/v1/backfill/\(pathSegment(roomID))?\(query)",
                                                          body: nil, signed: true) else { continue }
            var accepted: [(pdu: PDU, json: [UInt8])] = []
            var candidates: [JSONObject] = []
            for case .object(let json) in answer["pdus"]?.arrayValue ?? [] where json["room_id"]?.stringValue == roomID {
                candidates.append(json)
            }
            for case .success(let event) in await verifiedAll(candidates, version: version) {
                guard (try? await checkAgainstAuthEvents(event, room: room, version: version, origin: server)) == .some(nil) else { continue }
                accepted.append((event, event.json.encodedBytes()))
            }
            return try await database.insertBackfilled(accepted, room: room)
        }
        return 0
    }
}
