import GRDB

extension Database {
    /// The `m.replace` events relating to each of these events, up to stream position `upTo`:
    /// timeline events only, never rejected, soft-failed or redacted ones (a redacted edit no
    /// longer counts, spec "Redactions of edited events").
    public func replacements(of eventIDs: [String], upTo: Int64) async throws -> [String: [StoredEvent]] {
        guard !eventIDs.isEmpty else { return [:] }
        return try await read { db in
            var out: [String: [StoredEvent]] = [:]
            for row in try Row.fetchAll(db.cachedStatement(sql: """
                SELECT r.relates_to_id AS original, e.* FROM event_relations r JOIN events e ON e.event_nid = r.event_nid
                WHERE r.rel_type = 'm.replace' AND r.relates_to_id IN (SELECT value FROM json_each(?))
                  AND e.stream_ordering IS NOT NULL AND e.stream_ordering <= ?
                  AND e.rejected_reason IS NULL AND e.soft_failed = 0 AND e.redacted_by IS NULL
                """), arguments: [Self.jsonArray(eventIDs), upTo]) {
                out[row["original"], default: []].append(StoredEvent(row: row))
            }
            return out
        }
    }
}
