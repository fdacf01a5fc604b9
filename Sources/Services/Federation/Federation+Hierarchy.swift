import MatrixProtocol
import Store

extension Federation {
    /// `GET /hierarchy/{roomId}`: a space and its children as `origin` may see them, unpaginated
    /// (the asking server filters for its user). Children we are not in are left out; those
    /// `origin` may not see are named in `inaccessible_children`, so it asks no one else.
    public func serveHierarchy(roomID: String, origin: String, suggestedOnly: Bool) async throws -> JSONObject {
        guard try await rooms.knowsMembership(of: roomID),
              let root = try await rooms.spaceRoom(roomID, viewer: .server(origin), suggestedOnly: suggestedOnly, includeChildren: true)
        else { throw MatrixError.notFound("Room \(roomID) is not known here or not visible to \(origin)") }
        try await requireACL(origin, roomID: roomID)
        var children: [JSONValue] = []
        var inaccessible: [JSONValue] = []
        for child in root.children where try await rooms.knowsMembership(of: child.roomID) {
            if let room = try? await rooms.spaceRoom(child.roomID, viewer: .server(origin), suggestedOnly: suggestedOnly, includeChildren: false) {
                children.append(.object(room.summary))
            } else {
                inaccessible.append(.string(child.roomID))
            }
        }
        return ["room": .object(root.json), "children": .array(children), "inaccessible_children": .array(inaccessible)]
    }

    /// What another server says of a space we are not in: asks the servers of its `via` (the
    /// first three, as Synapse does) until one answers. Nil when none does; then the room is
    /// left out of the hierarchy.
    /// Answers are kept for `remoteHierarchyLifetime`, as Synapse does, so paging through a big
    /// space does not ask again for every page.
    func remoteHierarchy(roomID: String, via: [String], suggestedOnly: Bool) async -> RemoteHierarchy? {
        let key = "\(suggestedOnly) \(roomID)"
        let now = clock.nowMillis()
        if let kept = remoteHierarchies.withLock({ $0[key] }), kept.expires > now { return kept.answer }
        guard let answer = await fetchHierarchy(roomID: roomID, via: via, suggestedOnly: suggestedOnly) else { return nil }
        remoteHierarchies.withLock { kept in
            if kept.count >= Self.remoteHierarchiesKept { kept = kept.filter { $0.value.expires > now } }
            if kept.count < Self.remoteHierarchiesKept { kept[key] = (answer, now + Self.remoteHierarchyLifetime) }
        }
        return answer
    }

    static let remoteHierarchyLifetime: Int64 = 5 * 60 * 1000
    static let remoteHierarchiesKept = 1000

    private func fetchHierarchy(roomID: String, via: [String], suggestedOnly: Bool) async -> RemoteHierarchy? {
        for server in via.filter({ $0 != ourServer }).prefix(3) {
            guard let destination = try? ServerName(server) else { continue }
            do {
                let answer = try await transport.json(
                    to: destination, method: "GET",
                    path: "/_matrix/federation/v1/hierarchy/\(pathSegment(roomID))?suggested_only=\(suggestedOnly)", body: nil, signed: true)
                guard let object = answer["room"]?.objectValue, object["room_id"]?.stringValue == roomID,
                      let room = SpaceRoom(remote: object, suggestedOnly: suggestedOnly) else {
                    throw MatrixError.unknown("the answer does not describe \(roomID)")
                }
                var children: [String: SpaceRoom] = [:]
                for case .object(let child) in answer["children"]?.arrayValue ?? [] {
                    if let summary = SpaceRoom(remote: child, suggestedOnly: suggestedOnly) { children[summary.roomID] = summary }
                }
                let inaccessible = Set((answer["inaccessible_children"]?.arrayValue ?? []).compactMap(\.stringValue))
                return RemoteHierarchy(room: room, children: children, inaccessible: inaccessible)
            } catch {
                logger.info("hierarchy of \(roomID) from \(server) failed: \(error)")
            }
        }
        return nil
    }
}

/// A federation `/hierarchy` answer, checked.
struct RemoteHierarchy: Sendable {
    var room: SpaceRoom
    /// Summaries of the space's children, by room ID (used for rooms that are not spaces).
    var children: [String: SpaceRoom]
    /// Children the answering server says we cannot see: asked of no one else.
    var inaccessible: Set<String>
}
