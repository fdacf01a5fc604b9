import MatrixProtocol
import Store

extension Sync {
    public enum Direction: String, Sendable { case backwards = "b", forwards = "f" }

    /// `GET /rooms/{roomId}/messages`: a page of the room's timeline from a stream token.
    /// Members see the room's history while joined; former members up to when they left.
    public func messages(roomID: String, userID: String, deviceID: String? = nil, from: SyncToken?, to: SyncToken?,
                         direction: Direction, limit: Int, filter: SyncFilter) async throws -> JSONObject {
        let (room, version, visibleUpTo) = try await visibleRoom(roomID, userID: userID)
        let current = notifier.current.events
        let limit = max(1, min(limit, 1000))
        let start = from?.events ?? (direction == .backwards ? current : 0)
        let events: [StoredEvent]
        let end: Int64?
        switch direction {
        case .backwards:
            // Backfilled history sits at negative stream positions.
            let floor = to?.events ?? Int64.min
            var page = try await database.timelineBackwards(room, upTo: min(start, visibleUpTo), after: floor, limit: limit)
            // At the start of our copy of a room joined over federation: ask a server in it for more.
            if page.count < limit, let federation = try? federation.get(),
               (try? await federation.backfill(roomID: roomID, limit: limit - page.count)) ?? 0 > 0 {
                page = try await database.timelineBackwards(room, upTo: min(start, visibleUpTo), after: floor, limit: limit)
            }
            events = page
            end = events.last.flatMap(\.streamOrdering).map { $0 - 1 }
        case .forwards:
            let ceiling = min(to?.events ?? visibleUpTo, visibleUpTo)
            events = try await database.timelineForwards(room, from: start, upTo: ceiling, limit: limit)
            end = events.last.flatMap(\.streamOrdering)
        }
        let (shown, memberships) = try await visibleWithTimeline(events, in: room, to: userID)
        let shownTo = audience(userID, deviceID, memberships: memberships)
        let pdus = shown.compactMap { try? $0.clientPDU(version: version, for: shownTo) }
            .filter { filter.includesTimelineEvent(type: $0.type) }
        var body: JSONObject = [
            "chunk": .array(try await formatWithRelations(pdus, room: room, version: version, shownTo: shownTo, upTo: visibleUpTo,
                                                          includeRoomID: true)),
            "start": .string(SyncToken.timeline(start)),
        ]
        if filter.lazyLoadMembers, !pdus.isEmpty {
            body["state"] = .array(try await lazyMembers(of: pdus, page: events, room: room, version: version,
                                                       for: audience(userID, deviceID)))
        }
        if let end, !events.isEmpty { body["end"] = .string(SyncToken.timeline(end)) }
        return body
    }
}

extension Sync {
    /// The member events of a page's senders: as they stood before its oldest event, or for a
    /// sender who joined within the page, after its newest.
    private func lazyMembers(of pdus: [PDU], page: [StoredEvent], room: RoomRecord, version: RoomVersion,
                             for audience: EventAudience) async throws -> [JSONValue] {
        let ordered = page.sorted { ($0.streamOrdering ?? 0) < ($1.streamOrdering ?? 0) }
        guard let oldest = ordered.first, let newest = ordered.last else { return [] }
        let senders = Set(pdus.map(\.sender))
        let shown = Set(pdus.map(\.eventID))
        var state = Self.memberState(of: senders, in: try await database.stateBefore(eventID: oldest.eventID) ?? [:], excluding: shown)
        let missing = senders.filter { state[.member($0)] == nil }
        if !missing.isEmpty {
            let after = try await database.stateAfter(eventID: newest.eventID) ?? [:]
            state.merge(Self.memberState(of: missing, in: after, excluding: shown)) { current, _ in current }
        }
        return try await database.events(Array(state.values)).compactMap { try? $0.clientPDU(version: version, for: audience) }
            .sorted { ($0.stateKey ?? "") < ($1.stateKey ?? "") }.map { .object(ClientEvent.format($0)) }
    }
}

extension Sync {
    /// `GET /rooms/{roomId}/context/{eventId}`: events around one event, and the state at the
    /// last event returned.
    public func context(roomID: String, eventID: String, userID: String, deviceID: String? = nil, limit: Int) async throws -> JSONObject {
        let (room, version, visibleUpTo) = try await visibleRoom(roomID, userID: userID)
        guard let stored = try await database.event(eventID), stored.roomNID == room.nid, let position = stored.streamOrdering,
              stored.rejectedReason == nil else { throw MatrixError.notFound("Event not found") }
        let (shown, memberships) = try await visibleWithTimeline([stored], in: room, to: userID)
        guard position <= visibleUpTo, !shown.isEmpty else {
            throw MatrixError.notFound("Event not found")
        }
        let limit = max(0, min(limit, 100))
        let beforeCount = limit / 2
        let before = beforeCount == 0 ? [] : try await database.timelineBackwards(room, upTo: position - 1, limit: beforeCount)
        let afterLimit = limit - beforeCount
        let after = afterLimit == 0 ? [] : try await database.timelineForwards(room, from: position, upTo: visibleUpTo, limit: afterLimit)
        let last = after.last ?? stored
        let state = try await database.stateAfter(eventID: last.eventID) ?? [:]
        let shownTo = audience(userID, deviceID, memberships: memberships)
        let stateAudience = audience(userID, nil)
        let stateEvents = try await database.events(Array(state.values)).compactMap { try? $0.clientPDU(version: version, for: stateAudience) }
        let shownBefore = try await visible(before, in: room, to: userID), shownAfter = try await visible(after, in: room, to: userID)
        func format(_ events: [StoredEvent]) async throws -> [JSONValue] {
            try await formatWithRelations(events.compactMap { try? $0.clientPDU(version: version, for: shownTo) }, room: room, version: version,
                                          shownTo: shownTo, upTo: visibleUpTo, includeRoomID: true)
        }
        return [
            "event": try await format([stored]).first ?? .object(ClientEvent.format(try stored.clientPDU(version: version, for: shownTo))),
            "events_before": .array(try await format(shownBefore)),
            "events_after": .array(try await format(shownAfter)),
            "start": .string(SyncToken.timeline((before.last?.streamOrdering ?? position) - 1)),
            "end": .string(SyncToken.timeline(last.streamOrdering ?? position)),
            "state": .array(stateEvents.sorted { $0.eventID < $1.eventID }.map { .object(ClientEvent.format($0)) }),
        ]
    }
}

extension Sync {
    /// `GET /v1/rooms/{roomId}/timestamp_to_event`: the event nearest a time, in a direction.
    /// When we have none, or ours sits next to a gap in our copy of the history (as Synapse
    /// judges it: looking forwards, missing events before it; backwards, after it), the room's
    /// other servers are asked and a closer event of theirs wins. Only for joined members: one
    /// who left sees no further than their leave.
    public func eventNear(timestamp: Int64, roomID: String, userID: String, direction: Direction) async throws -> JSONObject {
        let (room, version, upTo) = try await visibleRoom(roomID, userID: userID)
        let forwards = direction == .forwards
        var found: (eventID: String, ts: Int64)?
        if let stored = try await database.event(closestTo: timestamp, in: room, forwards: forwards, upTo: upTo),
           let pdu = try? stored.pdu(version: version) {
            found = (pdu.eventID, pdu.originServerTS)
        }
        if let federation = try? federation.get(), try await database.membership(of: userID, in: room) == "join" {
            var mayBeBeaten = found == nil
            if let found {
                let gaps = try await database.timelineGaps(around: found.eventID, in: room)
                mayBeBeaten = forwards ? gaps.before : gaps.after
            }
            if mayBeBeaten, let remote = await federation.closerRemoteEvent(roomID: roomID, timestamp: timestamp, forwards: forwards,
                                                                            local: found) {
                found = remote
            }
        }
        guard let found else { throw MatrixError.notFound("No event found \(forwards ? "after" : "before") \(timestamp)") }
        return ["event_id": .string(found.eventID), "origin_server_ts": .int(found.ts)]
    }
}
