import Foundation
import GRDB
import MatrixProtocol

/// What another server may see of a room's history (spec "Server-Server API: history
/// visibility"; Synapse's `filter_events_for_server`): under `invited` or `joined`, an event is
/// for servers that had a user invited or joined when it was sent; under `shared` and
/// `world_readable`, for any server that may read the room at all. Events it may not see are
/// served redacted, so the graph stays whole.
public struct ServerVisibility: Sendable {
    /// One membership timeline per user of the server that was ever in the room.
    let users: [VisibilityTimeline]
    /// The room's `m.room.history_visibility` over time.
    let room: VisibilityTimeline

    /// `stream` nil: an event outside the timeline (an auth or state event fetched from
    /// elsewhere), which is served as it is.
    public func canSee(stream: Int64?) -> Bool {
        guard let stream else { return true }
        switch room.visibility(at: stream) {
        case "invited": return users.contains { ["join", "invite"].contains($0.membership(at: stream)) }
        case "joined": return users.contains { $0.membership(at: stream) == "join" }
        default: return true
        }
    }
}

extension Database {
    public func serverVisibility(of server: String, in room: RoomRecord) async throws -> ServerVisibility {
        try await read { db in
            let visibilities = try Self.historyVisibilities(db, room: room)
            let roomTimeline = VisibilityTimeline(memberships: [], visibilities: visibilities)
            // Most rooms never leave `shared`: then memberships do not matter (a big room's are many).
            guard visibilities.contains(where: { ["invited", "joined"].contains($0.value) }) else {
                return ServerVisibility(users: [], room: roomTimeline)
            }
            // `LIKE` narrows the scan; the exact server is compared below.
            let rows = try Row.fetchAll(db.cachedStatement(sql: """
                SELECT k.state_key, e.stream_ordering, e.json FROM events e JOIN state_keys k ON k.state_key_nid = e.state_key_nid
                WHERE e.room_nid = ? AND k.type = 'm.room.member' AND k.state_key LIKE '%:' || ? AND e.stream_ordering IS NOT NULL
                  AND e.rejected_reason IS NULL ORDER BY e.stream_ordering
                """), arguments: [room.nid, server])
            var byUser: [String: [(stream: Int64, membership: String)]] = [:]
            for row in rows {
                let user: String = row["state_key"]
                guard MatrixIdentifier.server(of: user) == server,
                      let json = try? JSONParser.parseObject([UInt8](row["json"] as Data)),
                      let membership = json["content"]?["membership"]?.stringValue else { continue }
                byUser[user, default: []].append((row["stream_ordering"], membership))
            }
            return ServerVisibility(users: byUser.values.map { VisibilityTimeline(memberships: $0, visibilities: []) }, room: roomTimeline)
        }
    }
}
