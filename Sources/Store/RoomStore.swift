import Foundation
import GRDB
import MatrixProtocol

public struct RoomRecord: Sendable, Equatable {
    public let nid: Int64
    public let roomID: String
    public let version: String
}

/// An event as stored: its JSON and where it stands.
public struct StoredEvent: Sendable {
    public let nid: Int64
    public let eventID: String
    public let roomNID: Int64
    public let json: [UInt8]
    public let streamOrdering: Int64?
    public let outlier: Bool
    public let rejectedReason: String?
    public let softFailed: Bool
    public let redactedBy: String?
    /// The redaction's JSON, when `redactedBy` is set.
    let redactedBecause: Data?
    /// The device and transaction ID a client of this server sent the event with.
    public let sentWith: (deviceID: String, txnID: String)?

    init(row: Row) {
        nid = row["event_nid"]
        eventID = row["event_id"]
        roomNID = row["room_nid"]
        json = [UInt8](row["json"] as Data)
        streamOrdering = row["stream_ordering"]
        outlier = row["outlier"]
        rejectedReason = row["rejected_reason"]
        softFailed = row["soft_failed"]
        redactedBy = row["redacted_by"]
        redactedBecause = row["redacted_because"]
        if let deviceID: String = row["txn_device"], let txnID: String = row["txn_id"] {
            sentWith = (deviceID, txnID)
        } else {
            sentWith = nil
        }
    }

    /// The parsed event, for the room's version.
    public func pdu(version: RoomVersion) throws -> PDU {
        try PDU(json: try ownJSON(), version: version, eventID: eventID)
    }

    /// What this server writes in a stored event's `unsigned` (a state event's replaced state).
    /// Rows received before a sending server's `unsigned` was dropped on receipt may hold more;
    /// that is never read back.
    static let storedUnsignedKeys: Set<String> = ["replaces_state", "prev_content", "prev_sender"]

    private func ownJSON() throws -> JSONObject {
        var object = try JSONParser.parseObject(json)
        if let unsigned = object["unsigned"]?.objectValue, unsigned.keys.contains(where: { !Self.storedUnsignedKeys.contains($0) }) {
            let own = unsigned.filtering(keys: Self.storedUnsignedKeys)
            object["unsigned"] = own.isEmpty ? nil : .object(own)
        }
        return object
    }

    /// The event as clients may see it: redacted when a redaction applies to it, and with what
    /// `unsigned` says for `audience` (`transaction_id`, `age`, `membership`).
    public func clientPDU(version: RoomVersion, for audience: EventAudience? = nil) throws -> PDU {
        var object = try ownJSON()
        var unsigned = object["unsigned"]?.objectValue ?? [:]
        if let redactedBy {
            object = Redaction.redact(object, rules: version.redactionRules)
            // The redaction in client format: clients show who removed the message, and why.
            var because: JSONObject = ["event_id": .string(redactedBy), "type": "m.room.redaction"]
            if let redactedBecause, let redaction = try? JSONParser.parseObject([UInt8](redactedBecause)) {
                for key in ["sender", "content", "origin_server_ts", "room_id", "redacts"] { because[key] = redaction[key] }
            }
            unsigned = ["redacted_because": .object(because)]
        }
        if let audience {
            if let sentWith, sentWith.deviceID == audience.deviceID, object["sender"]?.stringValue == audience.userID {
                unsigned["transaction_id"] = .string(sentWith.txnID)
            }
            if let sent = object["origin_server_ts"]?.intValue {
                // What a sending server said its age was is stale by now.
                unsigned["age"] = .int(max(0, audience.now - sent))
            }
            if let memberships = audience.memberships {
                // Including the event's own change; "leave" before any membership (the spec).
                unsigned["membership"] = .string(memberships.membership(at: streamOrdering ?? 0) ?? "leave")
            }
        }
        object["unsigned"] = unsigned.isEmpty ? nil : .object(unsigned)
        return try PDU(json: object, version: version, eventID: eventID)
    }
}

/// Whom an event is served to, and when: what its `unsigned` says for them.
public struct EventAudience: Sendable {
    public var userID: String
    /// The requesting device: the one that sent an event sees its `transaction_id`.
    public var deviceID: String?
    /// For `age`.
    public var now: Int64
    /// The user's memberships in the room over time, for `membership`; nil leaves it out.
    public var memberships: VisibilityTimeline?

    public init(userID: String, deviceID: String?, now: Int64, memberships: VisibilityTimeline? = nil) {
        self.userID = userID
        self.deviceID = deviceID
        self.now = now
        self.memberships = memberships
    }
}

/// A new event of the room's timeline, accepted by the auth rules, whose state before is the
/// room's current state (events this server creates, and received events that extend it).
public struct NewTimelineEvent: Sendable {
    public var pdu: PDU
    /// The JSON to store (canonical bytes of `pdu.json`).
    public var json: [UInt8]
    /// Whom the event notifies, stored in the same transaction (nil: evaluated by nobody).
    public var pushActions: EventPushActions?
    /// The client transaction that sent it, recorded in the same commit (idempotent sends).
    public var transaction: ClientTransaction?

    public init(pdu: PDU, json: [UInt8]) {
        self.pdu = pdu
        self.json = json
    }
}

/// A client's `txnId` for a send, with who sent it.
public struct ClientTransaction: Sendable {
    public var userID: String
    public var deviceID: String
    public var txnID: String
    public var now: Int64

    public init(userID: String, deviceID: String, txnID: String, now: Int64) {
        self.userID = userID
        self.deviceID = deviceID
        self.txnID = txnID
        self.now = now
    }

    /// What names the transaction: its user, device and ID, not when it was sent.
    var key: ClientTransactions.Key { ClientTransactions.Key(userID: userID, deviceID: deviceID, txnID: txnID) }

    /// The same transaction, whenever sent.
    public func isRetry(of other: ClientTransaction) -> Bool { key == other.key }
}

extension Database {
    /// Snapshots longer than this chain of deltas get a full checkpoint instead.
    static let snapshotCheckpointInterval = 100

    public func createRoom(roomID: String, version: String, now: Int64) async throws -> RoomRecord {
        try await writer.write { db in
            guard try Row.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM rooms WHERE room_id = ?"), arguments: [roomID]) == nil else {
                throw StoreError.alreadyExists(roomID)
            }
            try db.cachedStatement(sql: "INSERT INTO rooms (room_id, room_version, created_ts) VALUES (?, ?, ?)").execute(arguments: [roomID, version, now])
            return RoomRecord(nid: db.lastInsertedRowID, roomID: roomID, version: version)
        }
    }

    public func room(_ roomID: String) async throws -> RoomRecord? {
        try await read { db in try Self.room(db, roomID) }
    }

    static func room(_ db: GRDB.Database, _ roomID: String) throws -> RoomRecord? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT room_nid, room_id, room_version FROM rooms WHERE room_id = ?"), arguments: [roomID])
            .map { RoomRecord(nid: $0["room_nid"], roomID: $0["room_id"], version: $0["room_version"]) }
    }

    static func room(_ db: GRDB.Database, nid: Int64) throws -> RoomRecord? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT room_nid, room_id, room_version FROM rooms WHERE room_nid = ?"), arguments: [nid])
            .map { RoomRecord(nid: $0["room_nid"], roomID: $0["room_id"], version: $0["room_version"]) }
    }

    /// Appends an accepted event to its room: stores it, advances the room's state (for a state
    /// event), its forward extremities and memberships, and gives it the next stream position.
    /// All in the write lane's transaction, so a crash leaves either all of it or none.
    @discardableResult
    public func appendTimelineEvent(_ event: NewTimelineEvent, room: RoomRecord) async throws -> Int64 {
        try await appendTimelineEvents([event], room: room)[0]
    }

    /// `appendTimelineEvent` queued now, awaited later (`RoomLane.send`).
    /// `afterCommit` gets the event's stream position as soon as it is committed, on the writer's
    /// thread, before the WAL sync and before the result is handed back (`WriteLane.submit`).
    public func submitTimelineEvent(_ event: NewTimelineEvent, room: RoomRecord,
                                    afterCommit: @escaping @Sendable (Int64) -> Void = { _ in }) -> QueuedWrite<Int64> {
        let slots = memberSlots
        let transactions = clientTransactions
        return writer.submit({ db in try Self.append(db, event, room: room, slots: slots) }, afterCommit: { stream in
            // In the commit's wake, before the WAL sync: a retry that arrives now finds the event.
            if let transaction = event.transaction { transactions.remember(transaction, eventID: event.pdu.eventID) }
            afterCommit(stream)
        })
    }

    /// Appends several events in order in one transaction (room creation).
    public func appendTimelineEvents(_ events: [NewTimelineEvent], room: RoomRecord) async throws -> [Int64] {
        let slots = memberSlots
        let streams = try await writer.write { db in try events.map { try Self.append(db, $0, room: room, slots: slots) } }
        for event in events { if let transaction = event.transaction { clientTransactions.remember(transaction, eventID: event.pdu.eventID) } }
        return streams
    }

    // The statements every message runs bind their values directly (`DirectBinding`).
    private static func append(_ db: GRDB.Database, _ event: NewTimelineEvent, room: RoomRecord, slots: MemberSlotCache) throws -> Int64 {
        let pdu = event.pdu
        var snapshot = DirectBinding(try db.cachedStatement(sql: "SELECT current_snapshot FROM rooms WHERE room_nid = ?"))
        snapshot.bind(room.nid)
        let before = try snapshot.int64(db)
        let stream = (try DirectBinding(db.cachedStatement(sql: "SELECT MAX(stream_ordering) FROM events")).int64(db) ?? 0) + 1
        let keyNID = try pdu.stateKeyPair.map { try internStateKey(db, $0) }
        var insert = DirectBinding(try db.cachedStatement(sql: """
            INSERT INTO events (event_id, room_nid, type, state_key_nid, sender, depth, origin_server_ts,
                                stream_ordering, json, state_before, state_after, txn_device, txn_id)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """))
        insert.bindEventColumns(pdu, room: room, stateKeyNID: keyNID)
        insert.bind(stream)
        insert.bind(blob: event.json)
        insert.bind(before)
        insert.bind(keyNID == nil ? before : nil)
        insert.bind(event.transaction?.deviceID)
        insert.bind(event.transaction?.txnID)
        try insert.run(db)
        let nid = db.lastInsertedRowID
        var after = before
        if let keyNID {
            after = try addSnapshot(db, room: room.nid, parent: before, changes: [keyNID: nid])
            try db.cachedStatement(sql: "INSERT OR REPLACE INTO current_state (room_nid, state_key_nid, event_nid) VALUES (?, ?, ?)").execute(arguments: [room.nid, keyNID, nid])
            try db.cachedStatement(sql: "UPDATE rooms SET current_snapshot = ? WHERE room_nid = ?").execute(arguments: [after, room.nid])
            if pdu.type == "m.room.member", let membership = pdu.content["membership"]?.stringValue, let user = pdu.stateKey {
                try db.cachedStatement(sql: "INSERT OR REPLACE INTO room_memberships (room_nid, user_id, membership, event_nid) VALUES (?, ?, ?, ?)").execute(arguments: [room.nid, user, membership, nid])
            }
            // The snapshot after a state event names the event itself: known only once it is stored.
            try db.cachedStatement(sql: "UPDATE events SET state_after = ? WHERE event_nid = ?").execute(arguments: [after, nid])
        }
        try linkToPrevEvents(db, pdu, eventNID: nid, room: room)
        if let relation = pdu.content["m.relates_to"]?.objectValue, let target = relation["event_id"]?.stringValue,
           let relType = relation["rel_type"]?.stringValue {
            try db.cachedStatement(sql: "INSERT INTO event_relations (event_nid, relates_to_id, rel_type) VALUES (?, ?, ?)").execute(arguments: [nid, target, relType])
        }
        var extremity = DirectBinding(try db.cachedStatement(sql: "INSERT INTO forward_extremities (room_nid, event_nid) VALUES (?, ?)"))
        extremity.bind(room.nid)
        extremity.bind(nid)
        try extremity.run(db)
        try insertPushActions(db, event.pushActions, eventNID: nid, stream: stream, room: room, ts: pdu.originServerTS, slotCache: slots)
        return stream
    }

    /// An event's `prev_events` as edges; none of them is a forward extremity any more.
    static func linkToPrevEvents(_ db: GRDB.Database, _ pdu: PDU, eventNID: Int64, room: RoomRecord) throws {
        for prev in pdu.prevEvents {
            guard let prevNID = try insertEdge(db, from: eventNID, to: prev) else { continue }
            var extremity = DirectBinding(try db.cachedStatement(sql: "DELETE FROM forward_extremities WHERE room_nid = ? AND event_nid = ?"))
            extremity.bind(room.nid)
            extremity.bind(prevNID)
            try extremity.run(db)
        }
    }

    /// One prev-event edge: by number when the prev event is stored (`event_edges`), by ID in
    /// `event_gaps` when it is not (yet). Numbers keep the reverse index in the order events
    /// arrive, so a commit's edges share its pages; event IDs are hashes, and an index of them
    /// took a page of its own per message. Returns the prev event's number when stored.
    @discardableResult
    static func insertEdge(_ db: GRDB.Database, from eventNID: Int64, to prev: String) throws -> Int64? {
        var find = DirectBinding(try db.cachedStatement(sql: "SELECT event_nid FROM events WHERE event_id = ?"))
        find.bind(prev)
        guard let prevNID = try find.int64(db) else {
            var gap = DirectBinding(try db.cachedStatement(sql: "INSERT OR IGNORE INTO event_gaps (event_nid, prev_event_id) VALUES (?, ?)"))
            gap.bind(eventNID)
            gap.bind(prev)
            try gap.run(db)
            return nil
        }
        var edge = DirectBinding(try db.cachedStatement(sql: "INSERT OR IGNORE INTO event_edges (event_nid, prev_nid) VALUES (?, ?)"))
        edge.bind(eventNID)
        edge.bind(prevNID)
        try edge.run(db)
        return prevNID
    }

    static func internStateKey(_ db: GRDB.Database, _ key: StateKey) throws -> Int64 {
        var select = DirectBinding(try db.cachedStatement(sql: "SELECT state_key_nid FROM state_keys WHERE type = ? AND state_key = ?"))
        select.bind(key.type)
        select.bind(key.stateKey)
        if let nid = try select.int64(db) { return nid }
        var insert = DirectBinding(try db.cachedStatement(sql: "INSERT INTO state_keys (type, state_key) VALUES (?, ?)"))
        insert.bind(key.type)
        insert.bind(key.stateKey)
        try insert.run(db)
        return db.lastInsertedRowID
    }

    /// A new snapshot: `changes` over `parent` as a delta, or a full checkpoint when the delta
    /// chain would grow past the interval (so reading a snapshot stays bounded).
    static func addSnapshot(_ db: GRDB.Database, room: Int64, parent: Int64?, changes: [Int64: Int64?]) throws -> Int64 {
        let chain = try parent.flatMap { try Int.fetchOne(db.cachedStatement(sql: "SELECT chain_length FROM state_snapshots WHERE snapshot_nid = ?"), arguments: [$0]) } ?? -1
        if let parent, chain + 1 < snapshotCheckpointInterval {
            try db.cachedStatement(sql: "INSERT INTO state_snapshots (room_nid, parent_nid, chain_length) VALUES (?, ?, ?)").execute(arguments: [room, parent, chain + 1])
            let nid = db.lastInsertedRowID
            for (key, event) in changes {
                try db.cachedStatement(sql: "INSERT INTO state_snapshot_entries (snapshot_nid, state_key_nid, event_nid) VALUES (?, ?, ?)").execute(arguments: [nid, key, event])
            }
            return nid
        }
        var full = try parent.map { try snapshotEntries(db, $0) } ?? [:]
        for (key, event) in changes { full[key] = event ?? nil }
        try db.cachedStatement(sql: "INSERT INTO state_snapshots (room_nid, parent_nid, chain_length) VALUES (?, NULL, 0)").execute(arguments: [room])
        let nid = db.lastInsertedRowID
        for (key, event) in full {
            try db.cachedStatement(sql: "INSERT INTO state_snapshot_entries (snapshot_nid, state_key_nid, event_nid) VALUES (?, ?, ?)").execute(arguments: [nid, key, event])
        }
        return nid
    }

    /// The full state of a snapshot as state-key nid → event nid.
    static func snapshotEntries(_ db: GRDB.Database, _ snapshot: Int64) throws -> [Int64: Int64] {
        var chain: [Int64] = []
        var cursor: Int64? = snapshot
        while let current = cursor {
            chain.append(current)
            cursor = try Int64.fetchOne(db.cachedStatement(sql: "SELECT parent_nid FROM state_snapshots WHERE snapshot_nid = ?"), arguments: [current])
        }
        var state: [Int64: Int64] = [:]
        for nid in chain.reversed() {
            for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT state_key_nid, event_nid FROM state_snapshot_entries WHERE snapshot_nid = ?"), arguments: [nid]) {
                let key: Int64 = row["state_key_nid"]
                if let event: Int64 = row["event_nid"] { state[key] = event } else { state[key] = nil }
            }
        }
        return state
    }

    /// The room's current state: state key → event ID.
    public func currentState(of room: RoomRecord) async throws -> StateMap {
        try await read { db in
            var map = StateMap()
            for row in try Row.fetchAll(db.cachedStatement(sql: """
                SELECT k.type, k.state_key, e.event_id FROM current_state c
                JOIN state_keys k ON k.state_key_nid = c.state_key_nid
                JOIN events e ON e.event_nid = c.event_nid
                WHERE c.room_nid = ?
                """), arguments: [room.nid]) {
                map[StateKey(row["type"], row["state_key"])] = row["event_id"]
            }
            return map
        }
    }

    /// The state after an event (what a client sees "at" it): state key → event ID.
    public func stateAfter(eventID: String) async throws -> StateMap? {
        try await read { db in
            guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT state_after FROM events WHERE event_id = ?"), arguments: [eventID]) else {
                return nil
            }
            guard let snapshot: Int64 = row["state_after"] else { return StateMap() }
            return try Self.stateMap(db, snapshot)
        }
    }

    public func event(_ eventID: String) async throws -> StoredEvent? {
        try await read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM events WHERE event_id = ?"), arguments: [eventID]).map(StoredEvent.init)
        }
    }

    public func events(_ eventIDs: [String]) async throws -> [StoredEvent] {
        guard !eventIDs.isEmpty else { return [] }  // an incremental /sync asks for no state events
        return try await read { db in
            let statement = try db.cachedStatement(sql: "SELECT * FROM events WHERE event_id = ?")
            return try eventIDs.compactMap { id in try Row.fetchOne(statement, arguments: [id]).map(StoredEvent.init) }
        }
    }

    /// Forward extremities (events with no known successor) with their depths.
    public func forwardExtremities(of room: RoomRecord) async throws -> [(eventID: String, depth: Int64)] {
        try await read { db in
            try Row.fetchAll(db.cachedStatement(sql: """
                SELECT e.event_id, e.depth FROM forward_extremities f JOIN events e ON e.event_nid = f.event_nid
                WHERE f.room_nid = ? ORDER BY e.event_id
                """), arguments: [room.nid]).map { ($0["event_id"], $0["depth"]) }
        }
    }

    /// A user's membership in a room per current state, or nil.
    public func membership(of userID: String, in room: RoomRecord) async throws -> String? {
        try await read { db in
            try String.fetchOne(db.cachedStatement(sql: "SELECT membership FROM room_memberships WHERE room_nid = ? AND user_id = ?"), arguments: [room.nid, userID])
        }
    }

    /// Rooms where the user's current membership is `membership`.
    public func rooms(of userID: String, membership: String) async throws -> [String] {
        try await read { db in
            try String.fetchAll(db.cachedStatement(sql: """
                SELECT r.room_id FROM room_memberships m JOIN rooms r ON r.room_nid = m.room_nid
                WHERE m.user_id = ? AND m.membership = ? ORDER BY r.room_id
                """), arguments: [userID, membership])
        }
    }

    /// Members of a room with a given membership.
    public func members(of room: RoomRecord, membership: String) async throws -> [String] {
        try await read { db in
            try String.fetchAll(db.cachedStatement(sql: "SELECT user_id FROM room_memberships WHERE room_nid = ? AND membership = ? ORDER BY user_id"), arguments: [room.nid, membership])
        }
    }

    /// The event ID a transaction ID of a device already produced, for idempotent sends.
    public func eventForTransaction(userID: String, deviceID: String, txnID: String) -> String? {
        clientTransactions.eventID(userID: userID, deviceID: deviceID, txnID: txnID)
    }

    /// The latest stream position (0 for an empty server).
    public func currentStreamPosition() async throws -> Int64 {
        try await read { db in try Int64.fetchOne(db.cachedStatement(sql: "SELECT MAX(stream_ordering) FROM events")) ?? 0 }
    }
}

extension Database {
    /// Maps an alias to a room; `StoreError.alreadyExists` when the alias is taken.
    public func createAlias(_ alias: String, roomID: String, creator: String) async throws {
        try await writer.write { db in
            guard try String.fetchOne(db.cachedStatement(sql: "SELECT room_id FROM room_aliases WHERE alias = ?"), arguments: [alias]) == nil else {
                throw StoreError.alreadyExists(alias)
            }
            try db.cachedStatement(sql: "INSERT INTO room_aliases (alias, room_id, creator) VALUES (?, ?, ?)").execute(arguments: [alias, roomID, creator])
        }
    }

    public func aliasExists(_ alias: String) async throws -> Bool {
        try await read { db in try String.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM room_aliases WHERE alias = ?"), arguments: [alias]) != nil }
    }

    public func roomID(forAlias alias: String) async throws -> String? {
        try await read { db in try String.fetchOne(db.cachedStatement(sql: "SELECT room_id FROM room_aliases WHERE alias = ?"), arguments: [alias]) }
    }

    public func setPublished(_ published: Bool, room: RoomRecord) async throws {
        try await writer.write { db in
            try db.cachedStatement(sql: "UPDATE rooms SET published = ? WHERE room_nid = ?").execute(arguments: [published, room.nid])
        }
    }

    public func isPublished(_ room: RoomRecord) async throws -> Bool {
        try await read { db in try Bool.fetchOne(db.cachedStatement(sql: "SELECT published FROM rooms WHERE room_nid = ?"), arguments: [room.nid]) ?? false }
    }
}

extension Database {
    public func deleteAlias(_ alias: String) async throws {
        try await writer.write { db in try db.cachedStatement(sql: "DELETE FROM room_aliases WHERE alias = ?").execute(arguments: [alias]) }
    }

    public func aliasCreator(_ alias: String) async throws -> String? {
        try await read { db in try String.fetchOne(db.cachedStatement(sql: "SELECT creator FROM room_aliases WHERE alias = ?"), arguments: [alias]) }
    }

    public func aliases(of roomID: String) async throws -> [String] {
        try await read { db in try String.fetchAll(db.cachedStatement(sql: "SELECT alias FROM room_aliases WHERE room_id = ? ORDER BY alias"), arguments: [roomID]) }
    }

    /// Published rooms with their joined-member counts, most members first.
    public func publishedRooms() async throws -> [(room: RoomRecord, joinedMembers: Int)] {
        try await read { db in
            try Row.fetchAll(db.cachedStatement(sql: """
                SELECT r.room_nid, r.room_id, r.room_version,
                       (SELECT COUNT(*) FROM room_memberships m WHERE m.room_nid = r.room_nid AND m.membership = 'join') AS joined
                FROM rooms r WHERE r.published = 1 ORDER BY joined DESC, r.room_id
                """)).map { (RoomRecord(nid: $0["room_nid"], roomID: $0["room_id"], version: $0["room_version"]), $0["joined"]) }
        }
    }
}

extension Database {
    /// Marks an event redacted by a redaction event (served redacted from then on; the original
    /// JSON stays, so hashes and signatures still check for federation).
    /// The redaction's JSON goes along, for clients' `unsigned.redacted_because`.
    public func markRedacted(_ eventID: String, by redaction: PDU) async throws {
        try await writer.write { db in
            try db.cachedStatement(sql: """
                UPDATE events SET redacted_by = ?, redacted_because = ? WHERE event_id = ? AND redacted_by IS NULL
                """).execute(arguments: [redaction.eventID, Data(redaction.json.encodedBytes()), eventID])
        }
    }
}

extension Database {
    public func forgetRoom(_ roomID: String, userID: String) async throws {
        try await writer.write { db in
            try db.cachedStatement(sql: "INSERT OR IGNORE INTO forgotten_rooms (user_id, room_id) VALUES (?, ?)").execute(arguments: [userID, roomID])
        }
    }

    /// Rejoining clears a forget.
    public func unforgetRoom(_ roomID: String, userID: String) async throws {
        try await writer.write { db in
            try db.cachedStatement(sql: "DELETE FROM forgotten_rooms WHERE user_id = ? AND room_id = ?").execute(arguments: [userID, roomID])
        }
    }

    public func forgottenRooms(of userID: String) async throws -> Set<String> {
        try await read { db in Set(try String.fetchAll(db.cachedStatement(sql: "SELECT room_id FROM forgotten_rooms WHERE user_id = ?"), arguments: [userID])) }
    }
}
