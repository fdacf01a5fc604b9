import MatrixProtocol
import Store

extension Federation {
    /// `GET /timestamp_to_event/{roomId}`: our event closest to `ts` in a direction, from what we
    /// hold (no asking further), for a server in the room.
    public func serveTimestampToEvent(roomID: String, timestamp: Int64, forwards: Bool, origin: String) async throws -> JSONObject {
        let (room, version) = try await readableRoom(roomID, origin: origin)
        guard let stored = try await database.event(closestTo: timestamp, in: room, forwards: forwards, upTo: .max),
              let pdu = try? stored.pdu(version: version) else {
            throw MatrixError.notFound("No event found \(forwards ? "after" : "before") \(timestamp)")
        }
        return ["event_id": .string(pdu.eventID), "origin_server_ts": .int(pdu.originServerTS)]
    }

    /// For the client endpoint when our answer may be beaten (none, or next to a gap in our
    /// history): asks the room's other servers in turn (a few at most) and returns the first
    /// event closer to `ts` than `local`. The event is fetched, checked (signatures, hashes, auth events) and
    /// stored as backfilled history, so `/context` and `/messages` can start from it.
    func closerRemoteEvent(roomID: String, timestamp: Int64, forwards: Bool,
                           local: (eventID: String, ts: Int64)?) async -> (eventID: String, ts: Int64)? {
        guard let room = try? await database.room(roomID), let version = RoomVersion.named(room.version),
              let joined = try? await database.joinedServers(roomNID: room.nid) else { return nil }
        // The room ID's server first: it is likely the oldest member, with the most history.
        let first = MatrixIdentifier.server(of: roomID).map { joined.contains($0) ? [$0] : [] } ?? []
        let servers = first + joined.subtracting(first + [ourServer]).sorted()
        for server in servers.prefix(5) {
            guard let destination = try? ServerName(server) else { continue }
            do {
                let answer = try await transport.json(
                    to: destination, method: "GET",
                    path: "/_matrix/federation/v1/timestamp_to_event/\(pathSegment(roomID))?ts=\(timestamp)&dir=\(forwards ? "f" : "b")",
                    body: nil, signed: true)
                guard let eventID = answer["event_id"]?.stringValue else { continue }
                if eventID == local?.eventID { continue }
                let pdu = try await timelineEvent(eventID, room: room, version: version, from: destination)
                // The event's own timestamp counts, not the one the answer claims.
                let ts = pdu.originServerTS
                guard forwards ? ts >= timestamp : ts <= timestamp else { continue }
                if let local, abs(local.ts - timestamp) <= abs(ts - timestamp) { continue }
                return (eventID, ts)
            } catch {
                logger.info("timestamp_to_event in \(roomID) from \(server) failed: \(error)")
            }
        }
        return nil
    }

    /// An event of the room from our timeline, or fetched with `/event` and added before it.
    private func timelineEvent(_ eventID: String, room: RoomRecord, version: RoomVersion, from destination: ServerName) async throws -> PDU {
        if let stored = try await database.event(eventID), stored.roomNID == room.nid, !stored.outlier {
            guard stored.rejectedReason == nil else { throw MatrixError.notFound("\(eventID) was rejected here") }
            return try stored.pdu(version: version)
        }
        let answer = try await transport.json(to: destination, method: "GET", path: "/_matrix/federation/v1/event/\(pathSegment(eventID))",
                                              body: nil, signed: true)
        guard case .object(var json)? = answer["pdus"]?.arrayValue?.first, json["room_id"]?.stringValue == room.roomID else {
            throw MatrixError.unknown("\(destination) did not return \(eventID)")
        }
        json["unsigned"] = nil
        let pdu = try await verified(json, version: version)
        guard pdu.eventID == eventID else { throw MatrixError.unknown("\(destination) returned another event than \(eventID)") }
        if let reason = try await checkAgainstAuthEvents(pdu, room: room, version: version, origin: destination.description) {
            throw MatrixError.forbidden("\(eventID) fails its auth events: \(reason)")
        }
        _ = try await database.insertBackfilled([(pdu, pdu.json.encodedBytes())], room: room)
        return pdu
    }
}
