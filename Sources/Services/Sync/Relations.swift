import MatrixProtocol
import Store

extension Sync {
    /// `GET /rooms/{roomId}/relations/{eventId}[/{relType}[/{eventType}]]` (spec "Relationships").
    /// Pages by stream tokens; `recurse` follows relations of relations up to three levels.
    public func relations(roomID: String, eventID: String, userID: String, deviceID: String? = nil, relType: String?, eventType: String?,
                          from: SyncToken?, to: SyncToken?, direction: Direction, limit: Int, recurse: Bool) async throws -> JSONObject {
        let (room, version, visibleUpTo) = try await visibleRoom(roomID, userID: userID)
        let viewer = try await viewer(of: userID, in: room)
        guard let target = try await database.event(eventID), target.roomNID == room.nid, viewer.canSee(target) else {
            throw MatrixError.notFound("Event not found")
        }
        let limit = max(1, min(limit, 100))
        let backwards = direction == .backwards
        var low = backwards ? (to?.events ?? 0) : (from?.events ?? 0)
        var high = backwards ? (from.map { $0.events + 1 } ?? visibleUpTo + 1) : (to.map { $0.events + 1 } ?? visibleUpTo + 1)
        low = max(0, low)
        high = min(high, visibleUpTo + 1)
        var events: [StoredEvent]
        var depth = 0  // the deepest level at which relations were found
        if recurse {
            var found: [StoredEvent] = []
            var parents = [eventID]
            var level = 0
            while !parents.isEmpty && level < 3 {
                level += 1
                var next: [String] = []
                for parent in parents {
                    let children = try await database.relations(to: parent, room: room, relType: level == 1 ? relType : nil,
                                                                eventType: nil, after: low, before: high, backwards: backwards, limit: 1000)
                    found += children
                    next += children.map(\.eventID)
                }
                if !next.isEmpty { depth = level }
                parents = next
            }
            if let eventType { found = found.filter { (try? $0.pdu(version: version).type) == eventType } }
            found.sort { backwards ? ($0.streamOrdering ?? 0) > ($1.streamOrdering ?? 0) : ($0.streamOrdering ?? 0) < ($1.streamOrdering ?? 0) }
            events = Array(found.prefix(limit + 1))
        } else {
            events = try await database.relations(to: eventID, room: room, relType: relType, eventType: eventType,
                                                  after: low, before: high, backwards: backwards, limit: limit + 1)
        }
        let more = events.count > limit
        events = Array(events.prefix(limit))
        // Paging runs over all relations; only the events the user may see are shown.
        let shownTo = audience(userID, deviceID, memberships: viewer.timeline)
        let shown = events.filter(viewer.canSee).compactMap { try? $0.clientPDU(version: version, for: shownTo) }
        var body: JSONObject = [
            "chunk": .array(try await formatWithRelations(shown, room: room, version: version, shownTo: shownTo, upTo: visibleUpTo,
                                                          includeRoomID: true)),
        ]
        if more, let last = events.last?.streamOrdering {
            body["next_batch"] = .string(SyncToken.timeline(backwards ? last - 1 : last))
        }
        if recurse { body["recursion_depth"] = .int(Int64(depth)) }
        return body
    }

    /// `GET /rooms/{roomId}/threads`: thread roots by latest activity, each with its summary.
    public func threads(roomID: String, userID: String, deviceID: String? = nil, participatedOnly: Bool, from: SyncToken?,
                        limit: Int) async throws -> JSONObject {
        let (room, version, visibleUpTo) = try await visibleRoom(roomID, userID: userID)
        let limit = max(1, min(limit, 100))
        let before = min(from.map { $0.events + 1 } ?? visibleUpTo + 1, visibleUpTo + 1)
        let roots = try await database.threadRoots(room: room, participant: participatedOnly ? userID : nil, before: before, limit: limit + 1)
        let viewer = try await viewer(of: userID, in: room)
        let shownTo = audience(userID, deviceID, memberships: viewer.timeline)
        var shown: [PDU] = []
        for (rootID, _) in roots.prefix(limit) {
            guard let root = try await database.event(rootID), viewer.canSee(root),
                  let pdu = try? root.clientPDU(version: version, for: shownTo) else { continue }
            shown.append(pdu)
        }
        var body: JSONObject = [
            "chunk": .array(try await formatWithRelations(shown, room: room, version: version, shownTo: shownTo, upTo: visibleUpTo,
                                                          includeRoomID: true)),
        ]
        if roots.count > limit, let last = roots.prefix(limit).last { body["next_batch"] = .string(SyncToken.timeline(last.latest - 1)) }
        return body
    }

    /// The room, its version, and how far the user may see (all while joined, up to leaving after).
    func visibleRoom(_ roomID: String, userID: String) async throws -> (RoomRecord, RoomVersion, Int64) {
        guard let room = try await database.room(roomID), let version = RoomVersion.named(room.version),
              let membership = try await database.memberships(of: userID).first(where: { $0.room.nid == room.nid }),
              ["join", "leave", "ban"].contains(membership.membership) else {
            throw MatrixError.forbidden("You are not a member of room \(roomID)")
        }
        let upTo = membership.membership == "join" ? notifier.current.events : membership.stream
        return (room, version, upTo)
    }
}
