import Foundation
import GRDB
import MatrixProtocol

/// An event received over federation, checked by the PDU pipeline: the state before it in the
/// DAG, and whether it was rejected or soft-failed.
public struct ReceivedEvent: Sendable {
    public var pdu: PDU
    public var json: [UInt8]
    /// The state before the event in the DAG (resolved over its prev events), as event IDs.
    public var stateBefore: StateMap
    public var rejectedReason: String?
    public var softFailed: Bool

    public init(pdu: PDU, json: [UInt8], stateBefore: StateMap, rejectedReason: String? = nil, softFailed: Bool = false) {
        self.pdu = pdu
        self.json = json
        self.stateBefore = stateBefore
        self.rejectedReason = rejectedReason
        self.softFailed = softFailed
    }

    /// The event extends the room's only forward extremity: the state before it is the current
    /// state, and only its own key can change (the common case, written without rebuilding maps).
    public var extendsCurrentState = false

    /// An event on the room's only forward extremity (`extendsCurrentState`): its state before is
    /// the room's current snapshot, so no map of it is needed.
    public static func extendingCurrentState(pdu: PDU, json: [UInt8], rejectedReason: String? = nil) -> ReceivedEvent {
        var event = ReceivedEvent(pdu: pdu, json: json, stateBefore: [:], rejectedReason: rejectedReason)
        event.extendsCurrentState = true
        return event
    }

    /// Whom the event notifies (`PushNotifications.actions`), stored with it when accepted.
    public var pushActions: EventPushActions?

    /// Rejected and soft-failed events are stored but not part of the timeline or the extremities.
    var accepted: Bool { rejectedReason == nil && !softFailed }
}

extension Database {
    /// Stores events known only by ID and content (auth chains, state from `send_join` or
    /// `/state`): no timeline position, no effect on current state. Existing events are kept.
    public func storeOutliers(_ events: [(pdu: PDU, json: [UInt8], rejectedReason: String?)], room: RoomRecord) async throws {
        try await writer.write { db in
            for event in events {
                try Self.insertOutlier(db, pdu: event.pdu, json: event.json, rejectedReason: event.rejectedReason, room: room)
            }
        }
    }

    @discardableResult
    static func insertOutlier(_ db: GRDB.Database, pdu: PDU, json: [UInt8], rejectedReason: String?, room: RoomRecord) throws -> Int64 {
        // Cached statements bound directly: a join's answer stores tens of thousands of events in one go.
        let keyNID = try pdu.stateKeyPair.map { try internStateKey(db, $0) }
        var insert = DirectBinding(try db.cachedStatement(sql: """
            INSERT INTO events (event_id, room_nid, type, state_key_nid, sender, depth, origin_server_ts, json,
                                outlier, rejected_reason)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?)
            ON CONFLICT (event_id) DO NOTHING
            """))
        insert.bindEventColumns(pdu, room: room, stateKeyNID: keyNID)
        insert.bind(blob: json)
        insert.bind(rejectedReason)
        try insert.run(db)
        guard db.changesCount > 0 else {
            var existing = DirectBinding(try db.cachedStatement(sql: "SELECT event_nid FROM events WHERE event_id = ?"))
            existing.bind(pdu.eventID)
            guard let nid = try existing.int64(db) else { throw DatabaseError(message: "event \(pdu.eventID) neither inserted nor found") }
            return nid
        }
        let nid = db.lastInsertedRowID
        // Events that named this one as a prev before it was stored now point at it by number.
        var named = DirectBinding(try db.cachedStatement(sql: "SELECT 1 FROM event_gaps WHERE prev_event_id = ? LIMIT 1"))
        named.bind(pdu.eventID)
        if try named.int64(db) != nil {
            try db.cachedStatement(sql: """
                INSERT OR IGNORE INTO event_edges (event_nid, prev_nid) SELECT event_nid, ? FROM event_gaps WHERE prev_event_id = ?
                """).execute(arguments: [nid, pdu.eventID])
            try db.cachedStatement(sql: "DELETE FROM event_gaps WHERE prev_event_id = ?").execute(arguments: [pdu.eventID])
        }
        return nid
    }

    /// Adds a received event to its room's graph. An accepted event gets the next stream
    /// position and becomes a forward extremity in place of its prev events; `currentState`,
    /// when given, is the room's new current state (the pipeline resolved it). Returns the
    /// stream position, or nil for a rejected or soft-failed event or one already in the timeline.
    @discardableResult
    public func appendReceivedEvent(_ event: ReceivedEvent, room: RoomRecord, currentState: StateMap?) async throws -> Int64? {
        let slots = memberSlots
        return try await writer.write { db in try Self.appendReceived(db, event, room: room, currentState: currentState, slots: slots) }
    }

    /// `appendReceivedEvent` for a run of events that each extend the current state, in one transaction.
    public func appendReceivedEvents(_ events: [ReceivedEvent], room: RoomRecord) async throws -> [Int64?] {
        let slots = memberSlots
        return try await writer.write { db in try events.map { try Self.appendReceived(db, $0, room: room, currentState: nil, slots: slots) } }
    }

    static func appendReceived(_ db: GRDB.Database, _ event: ReceivedEvent, room: RoomRecord, currentState: StateMap?,
                               slots: MemberSlotCache) throws -> Int64? {
        let pdu = event.pdu
        let existing = try Row.fetchOne(db.cachedStatement(sql: "SELECT event_nid, outlier FROM events WHERE event_id = ?"), arguments: [pdu.eventID])
        if let existing, !(existing["outlier"] as Bool) { return nil }
        let nid: Int64 = try existing?["event_nid"] ?? insertOutlier(db, pdu: pdu, json: event.json, rejectedReason: nil, room: room)
        let current = try Int64.fetchOne(db.cachedStatement(sql: "SELECT current_snapshot FROM rooms WHERE room_nid = ?"), arguments: [room.nid])
        let before = event.extendsCurrentState ? current : try snapshot(db, for: event.stateBefore, room: room.nid, base: current)
        var stream: Int64?
        if event.accepted {
            stream = (try Int64.fetchOne(db.cachedStatement(sql: "SELECT MAX(stream_ordering) FROM events")) ?? 0) + 1
        }
        try db.cachedStatement(sql: """
            UPDATE events SET outlier = 0, stream_ordering = ?, state_before = ?, rejected_reason = ?, soft_failed = ?
            WHERE event_nid = ?
            """).execute(arguments: [stream, before, event.rejectedReason, event.softFailed, nid])
        guard event.accepted else {
            try db.cachedStatement(sql: "UPDATE events SET state_after = ? WHERE event_nid = ?").execute(arguments: [current, nid])
            return nil
        }
        try linkToPrevEvents(db, pdu, eventNID: nid, room: room)
        // An event some stored event already names as prev is not an extremity (it arrived late).
        let hasSuccessor = try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM event_edges WHERE prev_nid = ? LIMIT 1"), arguments: [nid]) ?? false
        if !hasSuccessor {
            try db.cachedStatement(sql: "INSERT OR IGNORE INTO forward_extremities (room_nid, event_nid) VALUES (?, ?)").execute(arguments: [room.nid, nid])
        }
        if let relation = pdu.content["m.relates_to"]?.objectValue, let target = relation["event_id"]?.stringValue,
           let relType = relation["rel_type"]?.stringValue {
            try db.cachedStatement(sql: "INSERT OR IGNORE INTO event_relations (event_nid, relates_to_id, rel_type) VALUES (?, ?, ?)").execute(arguments: [nid, target, relType])
        }
        if let stream {
            try insertPushActions(db, event.pushActions, eventNID: nid, stream: stream, room: room, ts: pdu.originServerTS, slotCache: slots)
        }
        var after = current
        if event.extendsCurrentState {
            if let key = pdu.stateKeyPair {
                let keyNID = try internStateKey(db, key)
                after = try addSnapshot(db, room: room.nid, parent: current, changes: [keyNID: nid])
                try db.cachedStatement(sql: "INSERT OR REPLACE INTO current_state (room_nid, state_key_nid, event_nid) VALUES (?, ?, ?)").execute(arguments: [room.nid, keyNID, nid])
                try db.cachedStatement(sql: "UPDATE rooms SET current_snapshot = ? WHERE room_nid = ?").execute(arguments: [after, room.nid])
                if pdu.type == "m.room.member", let user = pdu.stateKey {
                    let membership = pdu.content["membership"]?.stringValue ?? "leave"
                    try db.cachedStatement(sql: "INSERT OR REPLACE INTO room_memberships (room_nid, user_id, membership, event_nid) VALUES (?, ?, ?, ?)").execute(arguments: [room.nid, user, membership, nid])
                    if membership != "invite" {
                        try db.cachedStatement(sql: "DELETE FROM invite_stripped_state WHERE room_nid = ? AND user_id = ?").execute(arguments: [room.nid, user])
                    }
                }
            }
        } else if let currentState {
            after = try replaceCurrentState(db, room: room, with: currentState, currentSnapshot: current)
        }
        try db.cachedStatement(sql: "UPDATE events SET state_after = ? WHERE event_nid = ?").execute(arguments: [after, nid])
        return stream
    }

    /// Makes `state` the room's current state: the `current_state` rows, the memberships and a
    /// new snapshot (a delta from the previous one). Returns the snapshot.
    static func replaceCurrentState(_ db: GRDB.Database, room: RoomRecord, with state: StateMap, currentSnapshot: Int64?) throws -> Int64? {
        let wanted = try nids(db, state)
        var existing: [Int64: Int64] = [:]
        for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT state_key_nid, event_nid FROM current_state WHERE room_nid = ?"), arguments: [room.nid]) {
            existing[row["state_key_nid"]] = row["event_nid"]
        }
        var changes: [Int64: Int64?] = [:]
        for (key, event) in wanted where existing[key] != event { changes[key] = event }
        for key in existing.keys where wanted[key] == nil { changes[key] = .some(nil) }
        guard !changes.isEmpty else { return currentSnapshot }
        for (key, event) in changes {
            if let event {
                try db.cachedStatement(sql: "INSERT OR REPLACE INTO current_state (room_nid, state_key_nid, event_nid) VALUES (?, ?, ?)").execute(arguments: [room.nid, key, event])
            } else {
                try db.cachedStatement(sql: "DELETE FROM current_state WHERE room_nid = ? AND state_key_nid = ?").execute(arguments: [room.nid, key])
            }
        }
        for row in try Row.fetchAll(db, sql: """
            SELECT e.event_nid, e.json, k.state_key FROM events e JOIN state_keys k ON k.state_key_nid = e.state_key_nid
            WHERE k.type = 'm.room.member' AND e.event_nid IN (\(changes.values.compactMap { $0 }.map(String.init).joined(separator: ",")))
            """) {
            let json: Data = row["json"]
            let membership = (try? JSONParser.parseObject([UInt8](json)))?["content"]?["membership"]?.stringValue ?? "leave"
            try db.cachedStatement(sql: "INSERT OR REPLACE INTO room_memberships (room_nid, user_id, membership, event_nid) VALUES (?, ?, ?, ?)").execute(arguments: [room.nid, row["state_key"] as String, membership, row["event_nid"] as Int64])
            if membership != "invite" {
                try db.cachedStatement(sql: "DELETE FROM invite_stripped_state WHERE room_nid = ? AND user_id = ?").execute(arguments: [room.nid, row["state_key"] as String])
            }
        }
        let snapshot = try addSnapshot(db, room: room.nid, parent: currentSnapshot, changes: changes)
        try db.cachedStatement(sql: "UPDATE rooms SET current_snapshot = ? WHERE room_nid = ?").execute(arguments: [snapshot, room.nid])
        return snapshot
    }

    /// A snapshot holding exactly `state`, as a delta from `base` when there is one.
    static func snapshot(_ db: GRDB.Database, for state: StateMap, room: Int64, base: Int64?) throws -> Int64? {
        let wanted = try nids(db, state)
        let baseEntries = try base.map { try snapshotEntries(db, $0) } ?? [:]
        var changes: [Int64: Int64?] = [:]
        for (key, event) in wanted where baseEntries[key] != event { changes[key] = event }
        for key in baseEntries.keys where wanted[key] == nil { changes[key] = .some(nil) }
        if changes.isEmpty, let base { return base }
        if wanted.isEmpty { return nil }
        return try addSnapshot(db, room: room, parent: base, changes: changes)
    }

    /// State-key nid → event nid for a state map; every event must be stored.
    static func nids(_ db: GRDB.Database, _ state: StateMap) throws -> [Int64: Int64] {
        var out: [Int64: Int64] = [:]
        for (key, eventID) in state {
            guard let event = try Int64.fetchOne(db.cachedStatement(sql: "SELECT event_nid FROM events WHERE event_id = ?"), arguments: [eventID]) else {
                throw StoreError.notFound("state event \(eventID)")
            }
            out[try internStateKey(db, key)] = event
        }
        return out
    }

    /// Events whose IDs are not stored yet, among `ids`.
    public func missingEvents(_ ids: [String]) async throws -> [String] {
        try await read { db in
            let statement = try db.cachedStatement(sql: "SELECT 1 FROM events WHERE event_id = ?")
            return try ids.filter {
                var query = DirectBinding(statement)
                query.bind($0)
                return try query.int64(db) == nil
            }
        }
    }

    /// The auth chain of events (every event reachable over `auth_events`), stored ones only.
    public func authChain(of ids: [String]) async throws -> [StoredEvent] {
        try await read { db in
            let byID = try db.cachedStatement(sql: "SELECT * FROM events WHERE event_id = ?")
            var seen: Set<String> = []
            var queue = try ids.compactMap { try Row.fetchOne(byID, arguments: [$0]).map(StoredEvent.init(row:)) }
            var out: [StoredEvent] = []
            while let event = queue.popLast() {
                let json = (try? JSONParser.parseObject(event.json)) ?? [:]
                for auth in PDU.authEventIDs(in: json) where seen.insert(auth).inserted {
                    if let row = try Row.fetchOne(byID, arguments: [auth]) {
                        let stored = StoredEvent(row: row)
                        out.append(stored)
                        queue.append(stored)
                    }
                }
            }
            return out
        }
    }
}

extension Database {
    /// Adds history fetched with `/backfill` before the room's timeline: negative stream positions
    /// below every existing one, newest first, so older events sort earlier. Events stored as
    /// outliers (state from a join) join the timeline; events already in it are left alone.
    /// Current state, extremities and memberships are not touched: this is the past.
    public func insertBackfilled(_ events: [(pdu: PDU, json: [UInt8])], room: RoomRecord) async throws -> Int {
        try await writer.write { db in
            var next = min(try Int64.fetchOne(db.cachedStatement(sql: "SELECT MIN(stream_ordering) FROM events")) ?? 0, 0) - 1
            var added = 0
            for event in events.sorted(by: { ($0.pdu.depth, $0.pdu.eventID) > ($1.pdu.depth, $1.pdu.eventID) }) {
                let pdu = event.pdu
                let existing = try Row.fetchOne(db.cachedStatement(sql: "SELECT event_nid, outlier FROM events WHERE event_id = ?"), arguments: [pdu.eventID])
                if let existing, !(existing["outlier"] as Bool) { continue }
                let nid: Int64 = try existing?["event_nid"] ?? Self.insertOutlier(db, pdu: pdu, json: event.json, rejectedReason: nil, room: room)
                try db.cachedStatement(sql: "UPDATE events SET outlier = 0, stream_ordering = ? WHERE event_nid = ?").execute(arguments: [next, nid])
                for prev in pdu.prevEvents { try Self.insertEdge(db, from: nid, to: prev) }
                if let relation = pdu.content["m.relates_to"]?.objectValue, let target = relation["event_id"]?.stringValue,
                   let relType = relation["rel_type"]?.stringValue {
                    try db.cachedStatement(sql: "INSERT OR IGNORE INTO event_relations (event_nid, relates_to_id, rel_type) VALUES (?, ?, ?)").execute(arguments: [nid, target, relType])
                }
                next -= 1
                added += 1
            }
            return added
        }
    }

    /// The room's earliest timeline event, where history would continue backwards.
    public func earliestTimelineEvent(of room: RoomRecord) async throws -> StoredEvent? {
        try await read { db in
            try Row.fetchOne(db.cachedStatement(sql: """
                SELECT * FROM events WHERE room_nid = ? AND stream_ordering IS NOT NULL AND rejected_reason IS NULL
                ORDER BY stream_ordering LIMIT 1
                """), arguments: [room.nid]).map(StoredEvent.init)
        }
    }

    /// Of `ids`, those not part of the timeline (unknown, or outliers).
    public func notInTimeline(_ ids: [String]) async throws -> [String] {
        try await read { db in
            try ids.filter { try Int64.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM events WHERE event_id = ? AND outlier = 0"), arguments: [$0]) == nil }
        }
    }
}

extension Database {
    /// Whether the room has a current state here (we are or were in it), not just an invite.
    public func hasCurrentState(_ room: RoomRecord) async throws -> Bool {
        try await read { db in
            try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM current_state WHERE room_nid = ? LIMIT 1"), arguments: [room.nid]) ?? false
        }
    }
}
