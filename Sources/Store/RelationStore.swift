import GRDB

extension Database {
    /// Events of a room relating to `eventID` (optionally of one relation and event type),
    /// in stream order, with stream positions in `(after, before)`.
    public func relations(to eventID: String, room: RoomRecord, relType: String?, eventType: String?,
                          after: Int64, before: Int64, backwards: Bool, limit: Int) async throws -> [StoredEvent] {
        try await read { db in
            var sql = """
                SELECT e.* FROM event_relations r JOIN events e ON e.event_nid = r.event_nid
                WHERE r.relates_to_id = ? AND e.room_nid = ? AND e.stream_ordering > ? AND e.stream_ordering < ?
                  AND e.rejected_reason IS NULL AND e.soft_failed = 0
                """
            var arguments: [any DatabaseValueConvertible] = [eventID, room.nid, after, before]
            if let relType { sql += " AND r.rel_type = ?"; arguments.append(relType) }
            if let eventType { sql += " AND e.type = ?"; arguments.append(eventType) }
            sql += " ORDER BY e.stream_ordering \(backwards ? "DESC" : "ASC") LIMIT ?"
            arguments.append(limit)
            return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)).map(StoredEvent.init)
        }
    }

    /// Thread roots of a room (events with `m.thread` replies), newest activity first, with the
    /// stream position of their latest reply below `before`.
    public func threadRoots(room: RoomRecord, participant: String?, before: Int64, limit: Int) async throws -> [(root: String, latest: Int64)] {
        try await read { db in
            var sql = """
                SELECT r.relates_to_id AS root, MAX(e.stream_ordering) AS latest FROM event_relations r
                JOIN events e ON e.event_nid = r.event_nid
                WHERE r.rel_type = 'm.thread' AND e.room_nid = ? AND e.rejected_reason IS NULL
                """
            var arguments: [any DatabaseValueConvertible] = [room.nid]
            if let participant {
                sql += """
                     AND (r.relates_to_id IN (SELECT r2.relates_to_id FROM event_relations r2 JOIN events e2 ON e2.event_nid = r2.event_nid
                          WHERE r2.rel_type = 'm.thread' AND e2.sender = ?)
                       OR r.relates_to_id IN (SELECT event_id FROM events WHERE sender = ? AND room_nid = ?))
                    """
                arguments += [participant, participant, room.nid]
            }
            sql += " GROUP BY r.relates_to_id HAVING latest < ? ORDER BY latest DESC LIMIT ?"
            arguments += [before, limit]
            return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)).map { ($0["root"], $0["latest"]) }
        }
    }
}

extension Database {
    /// Which of these events have `m.thread` replies (one query, for a page of events).
    public func threadRoots(among eventIDs: [String]) async throws -> Set<String> {
        guard !eventIDs.isEmpty else { return [] }
        return try await read { db in
            // The IDs as one JSON array: one cached statement for any number of them.
            Set(try String.fetchAll(db.cachedStatement(sql: """
                SELECT DISTINCT relates_to_id FROM event_relations
                WHERE rel_type = 'm.thread' AND relates_to_id IN (SELECT value FROM json_each(?))
                """), arguments: [Self.jsonArray(eventIDs)]))
        }
    }
}
