import MatrixProtocol
import Store

extension Sync {
    public enum Direction: String, Sendable { case backwards = "b", forwards = "f" }

    /// `GET /rooms/{roomId}/messages`: a page of the room's timeline from a stream token.
    /// Members see the room's history while joined; former members up to when they left.
    public func messages(roomID: String, userID: String, from: SyncToken?, to: SyncToken?, direction: Direction,
                         limit: Int, filter: SyncFilter) async throws -> JSONObject {
        guard let room = try await database.room(roomID), let version = RoomVersion.named(room.version) else {
            throw MatrixError.forbidden("You are not a member of room \(roomID)")
        }
        guard let membership = try await database.memberships(of: userID).first(where: { $0.room.nid == room.nid }),
              ["join", "leave", "ban"].contains(membership.membership) else {
            throw MatrixError.forbidden("You are not a member of room \(roomID)")
        }
        let current = await notifier.current.events
        let visibleUpTo = membership.membership == "join" ? current : membership.stream
        let limit = max(1, min(limit, 1000))
        let start = from?.events ?? (direction == .backwards ? current : 0)
        let events: [StoredEvent]
        let end: Int64?
        switch direction {
        case .backwards:
            let floor = to?.events ?? 0
            events = try await database.timelineBackwards(room, upTo: min(start, visibleUpTo), after: floor, limit: limit)
            end = events.last.flatMap(\.streamOrdering).map { $0 - 1 }
        case .forwards:
            let ceiling = min(to?.events ?? visibleUpTo, visibleUpTo)
            events = try await database.timelineForwards(room, from: start, upTo: ceiling, limit: limit)
            end = events.last.flatMap(\.streamOrdering)
        }
        let pdus = events.compactMap { try? $0.clientPDU(version: version) }.filter { filter.includesTimelineEvent(type: $0.type) }
        var body: JSONObject = [
            "chunk": .array(pdus.map { .object(ClientEvent.format($0)) }),
            "start": .string(SyncToken.timeline(start)),
        ]
        if let end, !events.isEmpty { body["end"] = .string(SyncToken.timeline(end)) }
        return body
    }
}
