import MatrixProtocol
import Store

/// Spaces (spec "Spaces"): `GET /rooms/{roomId}/hierarchy` walks a space's tree depth first,
/// following `m.space.child` events, and shows each room the user may see. Rooms this server is
/// in are summarised from their state; others are asked of the servers in their `via` list
/// (federation `/hierarchy`), whose answer also covers the space's children.
public final class Spaces: Sendable {
    static let defaultLimit = 50
    static let maxLimit = 100

    let rooms: Rooms
    let clock: Clock
    let pages = HierarchyPages()

    init(rooms: Rooms, clock: Clock) {
        self.rooms = rooms
        self.clock = clock
    }

    /// One page of the hierarchy below `roomID`. Throws 403 when the user may not see the room
    /// itself (or it is unknown everywhere we can ask), 400 `M_INVALID_PARAM` for a bad `limit`,
    /// `max_depth` or `from` (unknown, another user's, or with other `suggested_only`/`max_depth`).
    public func hierarchy(roomID: String, userID: String, suggestedOnly: Bool, maxDepth: Int?, limit: Int?,
                          from: String?) async throws -> JSONObject {
        if let limit, limit <= 0 { throw MatrixError.invalidParam("limit must be a positive integer") }
        if let maxDepth, maxDepth < 0 { throw MatrixError.invalidParam("max_depth must be a non-negative integer") }
        let limit = min(limit ?? Self.defaultLimit, Self.maxLimit)
        var walk: HierarchyPages.Walk
        if let from {
            guard let saved = await pages.walk(from, now: clock.nowMillis()), saved.userID == userID, saved.roomID == roomID else {
                throw MatrixError.invalidParam("Unknown pagination token")
            }
            guard saved.suggestedOnly == suggestedOnly, saved.maxDepth == maxDepth else {
                throw MatrixError.invalidParam("suggested_only and max_depth cannot change on paginated requests")
            }
            walk = saved
        } else {
            let root = HierarchyPages.Entry(roomID: roomID, via: try await serversToAsk(about: roomID), depth: 0, remote: nil)
            walk = HierarchyPages.Walk(userID: userID, roomID: roomID, suggestedOnly: suggestedOnly, maxDepth: maxDepth,
                                       queue: [root], processed: [])
        }
        var shown: [JSONValue] = []
        while shown.count < limit, let entry = walk.queue.popLast() {
            guard walk.processed.insert(entry.roomID).inserted else { continue }
            let (room, remoteChildren, inaccessible) = try await visit(entry, walk: walk)
            guard let room else {
                if from == nil, entry.depth == 0 { throw MatrixError.forbidden("You may not view room \(roomID)") }
                continue
            }
            shown.append(.object(room.json))
            guard maxDepth.map({ entry.depth < $0 }) ?? true else { continue }
            // Reversed, so that the first child is popped next (depth first, in the spec's order).
            for child in room.children.reversed() where !inaccessible.contains(child.roomID) {
                walk.queue.append(HierarchyPages.Entry(roomID: child.roomID, via: child.via, depth: entry.depth + 1,
                                                       remote: remoteChildren[child.roomID]))
            }
        }
        walk.queue.removeAll { walk.processed.contains($0.roomID) }
        var body: JSONObject = ["rooms": .array(shown)]
        if !walk.queue.isEmpty { body["next_batch"] = .string(await pages.save(walk, now: clock.nowMillis())) }
        return body
    }

    /// One room of the walk, as the user may see it (nil: left out), with what a federation
    /// answer said of its children.
    private func visit(_ entry: HierarchyPages.Entry, walk: HierarchyPages.Walk) async throws
        -> (SpaceRoom?, [String: SpaceRoom], Set<String>) {
        if try await rooms.knowsMembership(of: entry.roomID) {
            // A room we cannot read (say, of an unsupported version) is left out, not the page.
            let room = try? await rooms.spaceRoom(entry.roomID, viewer: .user(walk.userID), suggestedOnly: walk.suggestedOnly,
                                                  includeChildren: true)
            return (room, [:], [])
        }
        var room: SpaceRoom?
        var children: [String: SpaceRoom] = [:]
        var inaccessible: Set<String> = []
        // A parent's answer suffices for a room whose children we will not need.
        if let remote = entry.remote, !remote.isSpace || walk.maxDepth.map({ entry.depth >= $0 }) == true {
            room = remote
        } else if let federation = try? rooms.federation.get(),
                  let answer = await federation.remoteHierarchy(roomID: entry.roomID, via: entry.via, suggestedOnly: walk.suggestedOnly) {
            (room, children, inaccessible) = (answer.room, answer.children, answer.inaccessible)
        }
        // The answering server filtered for our server; filter again for the user.
        if let summary = room?.summary, try await !mayPreviewRemote(summary, roomID: entry.roomID, userID: walk.userID) { room = nil }
        return (room, children, inaccessible)
    }

    /// The spec's visibility rule applied to a summary from another server: public, knockable or
    /// world-readable; or the user is joined to one of its allowed rooms, or joined or invited
    /// to it as far as we know.
    private func mayPreviewRemote(_ summary: JSONObject, roomID: String, userID: String) async throws -> Bool {
        // An absent join rule means public (spec `PublishedRoomsChunk`).
        let rule = summary["join_rule"]?.stringValue ?? "public"
        if ["public", "knock", "knock_restricted"].contains(rule) || summary["world_readable"]?.boolValue == true { return true }
        let allowed = (summary["allowed_room_ids"]?.arrayValue ?? []).compactMap(\.stringValue)
        if try await rooms.isJoined(userID, toAnyOf: allowed) { return true }
        let membership = try await rooms.membership(of: userID, in: roomID)
        return membership == "join" || membership == "invite"
    }

    /// Servers to ask about a root room we are not in: those of our copy's members, if any,
    /// and the room ID's server (room versions before 12).
    private func serversToAsk(about roomID: String) async throws -> [String] {
        var servers: [String] = []
        if let room = try await rooms.database.room(roomID) {
            servers += try await rooms.database.joinedServers(roomNID: room.nid).sorted()
        }
        if let server = MatrixIdentifier.server(of: roomID) { servers.append(server) }
        var seen: Set<String> = []
        return servers.filter { seen.insert($0).inserted }
    }
}
