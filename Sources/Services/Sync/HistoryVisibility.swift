import MatrixProtocol
import Store

extension Sync {
    /// The events of a room the user may see, by the room's history visibility and the user's
    /// membership at each event.
    func visible(_ events: [StoredEvent], in room: RoomRecord, to userID: String) async throws -> [StoredEvent] {
        guard !events.isEmpty else { return events }
        let timeline = try await database.visibilityTimeline(of: userID, in: room)
        let joined = try await database.membership(of: userID, in: room) == "join"
        return events.filter { timeline.canSee(stream: $0.streamOrdering ?? 0, currentlyJoined: joined) }
    }
}

extension Sync {
    /// Whether one stored event of a room is visible to the user (`GET /event`).
    public func canSee(eventID: String, roomID: String, userID: String) async throws -> Bool {
        guard let room = try await database.room(roomID), let stored = try await database.event(eventID), stored.roomNID == room.nid else {
            return false
        }
        return try await !visible([stored], in: room, to: userID).isEmpty
    }
}
