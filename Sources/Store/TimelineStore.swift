import Foundation
import GRDB
import MatrixProtocol

extension Database {
    /// Timeline events of a room with `after < stream_ordering <= upTo`, newest first, at most
    /// `limit` (rejected and soft-failed events are not part of any client timeline).
    public func timelineBackwards(_ room: RoomRecord, upTo: Int64, after: Int64 = 0, limit: Int) async throws -> [StoredEvent] {
        try await read { db in
            try Row.fetchAll(db.cachedStatement(sql: """
                SELECT * FROM events WHERE room_nid = ? AND stream_ordering > ? AND stream_ordering <= ?
                  AND rejected_reason IS NULL AND soft_failed = 0
                ORDER BY stream_ordering DESC LIMIT ?
                """), arguments: [room.nid, after, upTo, limit]).map(StoredEvent.init)
        }
    }

    /// Timeline events of a room with `from < stream_ordering <= upTo`, oldest first.
    public func timelineForwards(_ room: RoomRecord, from: Int64, upTo: Int64, limit: Int) async throws -> [StoredEvent] {
        try await read { db in
            try Row.fetchAll(db.cachedStatement(sql: """
                SELECT * FROM events WHERE room_nid = ? AND stream_ordering > ? AND stream_ordering <= ?
                  AND rejected_reason IS NULL AND soft_failed = 0
                ORDER BY stream_ordering ASC LIMIT ?
                """), arguments: [room.nid, from, upTo, limit]).map(StoredEvent.init)
        }
    }

    /// Rooms the user has any membership in, with that membership and the stream position of the
    /// membership event.
    public func memberships(of userID: String) async throws -> [(room: RoomRecord, membership: String, stream: Int64)] {
        try await read { db in
            try Row.fetchAll(db.cachedStatement(sql: """
                SELECT r.room_nid, r.room_id, r.room_version, m.membership, e.stream_ordering
                FROM room_memberships m JOIN rooms r ON r.room_nid = m.room_nid JOIN events e ON e.event_nid = m.event_nid
                WHERE m.user_id = ? ORDER BY r.room_id
                """), arguments: [userID]).map { row in
                (RoomRecord(nid: row["room_nid"], roomID: row["room_id"], version: row["room_version"]),
                 row["membership"], row["stream_ordering"] ?? 0)
            }
        }
    }

    /// Rooms among `rooms` with timeline events in `(after, upTo]`.
    public func roomsWithEvents(_ rooms: [Int64], after: Int64, upTo: Int64) async throws -> Set<Int64> {
        guard !rooms.isEmpty else { return [] }
        return try await read { db in
            Set(try Int64.fetchAll(db.cachedStatement(sql: """
                SELECT DISTINCT room_nid FROM events WHERE stream_ordering > ? AND stream_ordering <= ?
                  AND room_nid IN (SELECT value FROM json_each(?))
                """), arguments: [after, upTo, Self.jsonArray(rooms)]))
        }
    }

    /// The room state just before an event (the state its timeline position starts from).
    public func stateBefore(eventID: String) async throws -> StateMap? {
        try await read { db in
            guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT state_before FROM events WHERE event_id = ?"), arguments: [eventID]) else {
                return nil
            }
            guard let snapshot: Int64 = row["state_before"] else { return StateMap() }
            return try Self.stateMap(db, snapshot)
        }
    }

    /// The room state at a stream position: after the last event of the room at or before it.
    public func state(of room: RoomRecord, atStream position: Int64) async throws -> StateMap {
        try await read { db in
            guard let snapshot = try Int64.fetchOne(db.cachedStatement(sql: """
                SELECT state_after FROM events WHERE room_nid = ? AND stream_ordering <= ? AND state_after IS NOT NULL
                ORDER BY stream_ordering DESC LIMIT 1
                """), arguments: [room.nid, position]) else { return StateMap() }
            return try Self.stateMap(db, snapshot)
        }
    }

    static func stateMap(_ db: GRDB.Database, _ snapshot: Int64) throws -> StateMap {
        let entries = try snapshotEntries(db, snapshot)
        guard !entries.isEmpty else { return StateMap() }
        var keys: [Int64: StateKey] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT state_key_nid, type, state_key FROM state_keys WHERE state_key_nid IN (\(entries.keys.map(String.init).joined(separator: ",")))") {
            keys[row["state_key_nid"]] = StateKey(row["type"], row["state_key"])
        }
        var ids: [Int64: String] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT event_nid, event_id FROM events WHERE event_nid IN (\(entries.values.map(String.init).joined(separator: ",")))") {
            ids[row["event_nid"]] = row["event_id"]
        }
        var map = StateMap()
        for (k, e) in entries { if let key = keys[k], let id = ids[e] { map[key] = id } }
        return map
    }
}

extension Database {
    /// The room's timeline event closest to `ts` in a direction: the first at or after it
    /// (forwards) or the last at or before it (backwards), no later than `upTo`.
    public func event(closestTo ts: Int64, in room: RoomRecord, forwards: Bool, upTo: Int64) async throws -> StoredEvent? {
        try await read { db in
            try Row.fetchOne(db, sql: """
                SELECT * FROM events WHERE room_nid = ? AND stream_ordering <= ? AND rejected_reason IS NULL AND soft_failed = 0
                  AND origin_server_ts \(forwards ? ">=" : "<=") ?
                ORDER BY origin_server_ts \(forwards ? "ASC" : "DESC"), stream_ordering \(forwards ? "ASC" : "DESC") LIMIT 1
                """, arguments: [room.nid, upTo, ts]).map(StoredEvent.init)
        }
    }
}

extension Database {
    /// Whether history may be missing next to a timeline event: before it when one of its prev
    /// events is not in our timeline; after it when it is not a forward extremity and no
    /// accepted timeline event follows it. `timestamp_to_event` then asks other servers.
    public func timelineGaps(around eventID: String, in room: RoomRecord) async throws -> (before: Bool, after: Bool) {
        try await read { db in
            guard let nid = try Int64.fetchOne(db.cachedStatement(sql: "SELECT event_nid FROM events WHERE event_id = ?"), arguments: [eventID]) else {
                return (false, false)
            }
            let before = try Bool.fetchOne(db.cachedStatement(sql: """
                SELECT EXISTS (SELECT 1 FROM event_gaps WHERE event_nid = ?1)
                    OR EXISTS (SELECT 1 FROM event_edges ed LEFT JOIN events p ON p.event_nid = ed.prev_nid AND p.outlier = 0
                               WHERE ed.event_nid = ?1 AND p.event_nid IS NULL)
                """), arguments: [nid]) ?? false
            let isExtremity = try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM forward_extremities WHERE room_nid = ? AND event_nid = ?"), arguments: [room.nid, nid]) ?? false
            let followed = try Bool.fetchOne(db.cachedStatement(sql: """
                SELECT 1 FROM event_edges ed JOIN events e ON e.event_nid = ed.event_nid
                WHERE ed.prev_nid = ? AND e.outlier = 0 AND e.rejected_reason IS NULL LIMIT 1
                """), arguments: [nid]) ?? false
            return (before, !isExtremity && !followed)
        }
    }
}
