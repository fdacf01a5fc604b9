import MatrixProtocol
import Store

extension Sync {
    /// The events of a room the user may see, by the room's history visibility and the user's
    /// membership at each event.
    /// `membership`: the user's current one when the caller knows it (a read fewer).
    func visible(_ events: [StoredEvent], in room: RoomRecord, to userID: String, membership: String? = nil) async throws -> [StoredEvent] {
        guard !events.isEmpty else { return events }
        let timeline = try await database.visibilityTimeline(of: userID, in: room)
        let joined: Bool
        if let membership { joined = membership == "join" } else { joined = try await database.membership(of: userID, in: room) == "join" }
        return events.filter { timeline.canSee(stream: $0.streamOrdering ?? 0, currentlyJoined: joined) }
    }
}

/// History visibility for one user in one room, read once and applied to many events (the
/// events of a relation page, the replies of a thread, the edits of a page).
struct Viewer: Sendable {
    let timeline: VisibilityTimeline
    let joined: Bool

    func canSee(_ event: StoredEvent) -> Bool {
        timeline.canSee(stream: event.streamOrdering ?? 0, currentlyJoined: joined)
    }
}

extension Sync {
    func viewer(of userID: String, in room: RoomRecord) async throws -> Viewer {
        Viewer(timeline: try await database.visibilityTimeline(of: userID, in: room),
               joined: try await database.membership(of: userID, in: room) == "join")
    }
}
