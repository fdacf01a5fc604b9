import Foundation
import GRDB
import MatrixProtocol

/// What history visibility needs of a room for one user: their membership over time and the
/// room's `m.room.history_visibility` over time, both by stream position.
public struct VisibilityTimeline: Sendable {
    /// (stream position, membership), in stream order.
    public let memberships: [(stream: Int64, membership: String)]
    /// (stream position, history_visibility), in stream order.
    public let visibilities: [(stream: Int64, value: String)]

    /// The last entry at or before `stream`.
    static func latest<T>(_ list: [(stream: Int64, value: T)], at stream: Int64) -> T? {
        var low = 0, high = list.count
        while low < high {
            let mid = (low + high) / 2
            if list[mid].stream <= stream { low = mid + 1 } else { high = mid }
        }
        return low == 0 ? nil : list[low - 1].value
    }

    public func membership(at stream: Int64) -> String? {
        Self.latest(memberships.map { ($0.stream, $0.membership) }, at: stream)
    }

    /// The visibility in effect for an event at `stream` (set by an earlier event; a change
    /// applies from the next event on). Rooms default to `shared`.
    public func visibility(at stream: Int64) -> String {
        Self.latest(visibilities.map { ($0.stream + 1, $0.value) }, at: stream) ?? "shared"
    }

    /// Spec "History visibility": may this user see the event at `stream`?
    public func canSee(stream: Int64, currentlyJoined: Bool) -> Bool {
        // The user's own leave (or rejected invite) is theirs to see, whatever the visibility: it
        // is how their client learns the room is gone (Synapse does the same).
        if let own = memberships.firstIndex(where: { $0.stream == stream }), memberships[own].membership == "leave",
           own > 0, ["join", "invite"].contains(memberships[own - 1].membership) {
            return true
        }
        let membership = membership(at: stream)
        switch visibility(at: stream) {
        case "world_readable": return true
        case "invited": return membership == "join" || membership == "invite"
        case "joined": return membership == "join"
        default:  // shared
            return membership == "join" || currentlyJoined
                || memberships.contains { $0.stream > stream && $0.membership == "join" }
        }
    }
}

extension Database {
    public func visibilityTimeline(of userID: String, in room: RoomRecord) async throws -> VisibilityTimeline {
        try await read { db in
            let memberships = try Row.fetchAll(db.cachedStatement(sql: """
                SELECT e.stream_ordering, e.json FROM events e JOIN state_keys k ON k.state_key_nid = e.state_key_nid
                WHERE e.room_nid = ? AND k.type = 'm.room.member' AND k.state_key = ? AND e.stream_ordering IS NOT NULL
                  AND e.rejected_reason IS NULL ORDER BY e.stream_ordering
                """), arguments: [room.nid, userID]).compactMap { row -> (stream: Int64, membership: String)? in
                let json = try? JSONParser.parseObject([UInt8](row["json"] as Data))
                guard let m = json?["content"]?["membership"]?.stringValue else { return nil }
                return (row["stream_ordering"], m)
            }
            return VisibilityTimeline(memberships: memberships, visibilities: try Self.historyVisibilities(db, room: room))
        }
    }

    /// The room's `m.room.history_visibility` values by stream position.
    static func historyVisibilities(_ db: GRDB.Database, room: RoomRecord) throws -> [(stream: Int64, value: String)] {
        try Row.fetchAll(db.cachedStatement(sql: """
            SELECT e.stream_ordering, e.json FROM events e JOIN state_keys k ON k.state_key_nid = e.state_key_nid
            WHERE e.room_nid = ? AND k.type = 'm.room.history_visibility' AND k.state_key = '' AND e.stream_ordering IS NOT NULL
              AND e.rejected_reason IS NULL ORDER BY e.stream_ordering
            """), arguments: [room.nid]).compactMap { row -> (stream: Int64, value: String)? in
            let json = try? JSONParser.parseObject([UInt8](row["json"] as Data))
            guard let v = json?["content"]?["history_visibility"]?.stringValue else { return nil }
            return (row["stream_ordering"], v)
        }
    }
}
