import MatrixProtocol
import Store

extension Sync {
    /// The events of a room the user may see, by the room's history visibility and the user's
    /// membership at each event.
    /// `membership`: the user's current one when the caller knows it (a read fewer).
    func visible(_ events: [StoredEvent], in room: RoomRecord, to userID: String, membership: String? = nil) async throws -> [StoredEvent] {
        try await visibleWithTimeline(events, in: room, to: userID, membership: membership).events
    }

    /// `visible`, with the user's memberships read for it (`EventAudience.memberships`).
    func visibleWithTimeline(_ events: [StoredEvent], in room: RoomRecord, to userID: String,
                             membership: String? = nil) async throws -> (events: [StoredEvent], timeline: VisibilityTimeline?) {
        guard !events.isEmpty else { return (events, nil) }
        let timeline = try await database.visibilityTimeline(of: userID, in: room)
        let joined: Bool
        if let membership { joined = membership == "join" } else { joined = try await database.membership(of: userID, in: room) == "join" }
        return (events.filter { timeline.canSee(stream: $0.streamOrdering ?? 0, currentlyJoined: joined) }, timeline)
    }

    /// Serving events to this user and device now.
    func audience(_ userID: String, _ deviceID: String?, memberships: VisibilityTimeline? = nil) -> EventAudience {
        EventAudience(userID: userID, deviceID: deviceID, now: clock.nowMillis(), memberships: memberships)
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
