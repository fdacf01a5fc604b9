import Foundation
import GRDB
import MatrixProtocol

extension Database {
    /// Where the sender stands in the event stream (0 at first).
    public func federationPosition(_ name: String) async throws -> Int64? {
        try await read { db in try Int64.fetchOne(db.cachedStatement(sql: "SELECT position FROM federation_positions WHERE name = ?"), arguments: [name]) }
    }

    /// Queues events for destinations and moves the sender's position, in one transaction, so a
    /// crash neither loses nor repeats the fan-out.
    public func enqueueOutbound(_ entries: [(destination: String, eventNID: Int64)], position: Int64) async throws {
        try await writer.write { db in
            for entry in entries {
                try db.cachedStatement(sql: "INSERT OR IGNORE INTO federation_outbox (destination, event_nid) VALUES (?, ?)").execute(arguments: [entry.destination, entry.eventNID])
            }
            try db.cachedStatement(sql: """
                INSERT INTO federation_positions (name, position) VALUES ('outbox', ?)
                ON CONFLICT (name) DO UPDATE SET position = excluded.position
                """).execute(arguments: [position])
        }
    }

    /// The oldest queued PDUs for a destination: (outbox seq, event JSON).
    public func outboundBatch(destination: String, limit: Int) async throws -> [(seq: Int64, json: [UInt8])] {
        try await read { db in
            try Row.fetchAll(db.cachedStatement(sql: """
                SELECT o.seq, e.json FROM federation_outbox o JOIN events e ON e.event_nid = o.event_nid
                WHERE o.destination = ? ORDER BY o.seq LIMIT ?
                """), arguments: [destination, limit]).map { ($0["seq"], [UInt8]($0["json"] as Data)) }
        }
    }

    public func removeOutbound(destination: String, upTo seq: Int64) async throws {
        try await writer.write { db in
            try db.cachedStatement(sql: "DELETE FROM federation_outbox WHERE destination = ? AND seq <= ?").execute(arguments: [destination, seq])
        }
    }

    /// Destinations with something queued (at start-up, to resume sending).
    public func outboundDestinations() async throws -> [String] {
        try await read { db in try String.fetchAll(db.cachedStatement(sql: "SELECT DISTINCT destination FROM federation_outbox")) }
    }

    /// Timeline events after a stream position, oldest first, with what the federation fan-out
    /// decides on: only member events carry their JSON (their target and membership matter), so
    /// the fan-out parses no message it has no server to send to.
    public func streamEvents(after position: Int64, limit: Int) async throws -> [StreamedEvent] {
        try await read { db in
            try Row.fetchAll(db.cachedStatement(sql: """
                SELECT e.event_nid, e.stream_ordering, e.room_nid, e.sender, k.state_key,
                       CASE WHEN e.type = 'm.room.member' THEN e.json END AS member_json
                FROM events e LEFT JOIN state_keys k ON k.state_key_nid = e.state_key_nid
                WHERE e.stream_ordering > ? ORDER BY e.stream_ordering LIMIT ?
                """), arguments: [position, limit]).map { row in
                StreamedEvent(nid: row["event_nid"], stream: row["stream_ordering"], roomNID: row["room_nid"],
                              sender: row["sender"], stateKey: row["state_key"],
                              memberJSON: (row["member_json"] as Data?).map { [UInt8]($0) })
            }
        }
    }

    /// Servers with at least one joined member in a room.
    public func joinedServers(roomNID: Int64) async throws -> Set<String> {
        try await read { db in
            Set(try String.fetchAll(db.cachedStatement(sql: "SELECT user_id FROM room_memberships WHERE room_nid = ? AND membership = 'join'"), arguments: [roomNID]).compactMap(MatrixIdentifier.server(of:)))
        }
    }

    /// The answer already given to an inbound transaction, if any.
    public func receivedTransaction(origin: String, txnID: String) async throws -> [UInt8]? {
        try await read { db in
            try Data.fetchOne(db.cachedStatement(sql: "SELECT response FROM federation_received_txns WHERE origin = ? AND txn_id = ?"), arguments: [origin, txnID]).map { [UInt8]($0) }
        }
    }

    public func recordReceivedTransaction(origin: String, txnID: String, response: [UInt8], now: Int64) async throws {
        try await writer.write { db in
            try db.cachedStatement(sql: "INSERT OR REPLACE INTO federation_received_txns (origin, txn_id, response, received_ts) VALUES (?, ?, ?, ?)").execute(arguments: [origin, txnID, Data(response), now])
        }
    }
}

extension Database {
    /// Records an invite of a local user to a room this server may have no state of: the room
    /// (created if unknown), the invite event, the membership, and the stripped state to show.
    public func recordRemoteInvite(roomID: String, version: String, invite: (pdu: PDUEventRow, json: [UInt8]),
                                   strippedState: [UInt8], now: Int64, membership: String = "invite") async throws -> Int64 {
        try await writer.write { db in
            var room = try Self.room(db, roomID)
            if room == nil {
                try db.cachedStatement(sql: "INSERT INTO rooms (room_id, room_version, created_ts) VALUES (?, ?, ?)").execute(arguments: [roomID, version, now])
                room = RoomRecord(nid: db.lastInsertedRowID, roomID: roomID, version: version)
            }
            guard let room else { throw StoreError.notFound(roomID) }
            let stream = (try Int64.fetchOne(db.cachedStatement(sql: "SELECT MAX(stream_ordering) FROM events")) ?? 0) + 1
            let keyNID = try Self.internStateKey(db, .init("m.room.member", invite.pdu.stateKey))
            var nid = try Int64.fetchOne(db.cachedStatement(sql: "SELECT event_nid FROM events WHERE event_id = ?"), arguments: [invite.pdu.eventID])
            if nid == nil {
                // An outlier with a stream position: not part of the room's graph here, but /sync must see it.
                try db.cachedStatement(sql: """
                    INSERT INTO events (event_id, room_nid, type, state_key_nid, sender, depth, origin_server_ts, json, outlier, stream_ordering)
                    VALUES (?, ?, 'm.room.member', ?, ?, ?, ?, ?, 1, ?)
                    """).execute(arguments: [invite.pdu.eventID, room.nid, keyNID, invite.pdu.sender, invite.pdu.depth,
                                     invite.pdu.originServerTS, Data(invite.json), stream])
                nid = db.lastInsertedRowID
            }
            try db.cachedStatement(sql: "INSERT OR REPLACE INTO room_memberships (room_nid, user_id, membership, event_nid) VALUES (?, ?, ?, ?)").execute(arguments: [room.nid, invite.pdu.stateKey, membership, nid])
            try db.cachedStatement(sql: "INSERT OR REPLACE INTO invite_stripped_state (room_nid, user_id, json) VALUES (?, ?, ?)").execute(arguments: [room.nid, invite.pdu.stateKey, Data(strippedState)])
            return stream
        }
    }

    /// The stripped state a remote invite came with, if any.
    public func inviteStrippedState(room: RoomRecord, userID: String) async throws -> [UInt8]? {
        try await read { db in
            try Data.fetchOne(db.cachedStatement(sql: "SELECT json FROM invite_stripped_state WHERE room_nid = ? AND user_id = ?"), arguments: [room.nid, userID]).map { [UInt8]($0) }
        }
    }
}

/// The fields of an invite event the store needs (keeps MatrixProtocol's PDU out of the signature).
public struct PDUEventRow: Sendable {
    public let eventID: String
    public let sender: String
    public let stateKey: String
    public let depth: Int64
    public let originServerTS: Int64

    public init(eventID: String, sender: String, stateKey: String, depth: Int64, originServerTS: Int64) {
        self.eventID = eventID
        self.sender = sender
        self.stateKey = stateKey
        self.depth = depth
        self.originServerTS = originServerTS
    }
}

extension Database {
    /// Records a membership of a local user in a room we have no state of (a rejected remote
    /// invite): the event as an outlier with a stream position, so /sync reports the change.
    public func recordRemoteMembership(_ membership: String, roomID: String, event: (pdu: PDUEventRow, json: [UInt8])) async throws -> Int64 {
        try await writer.write { db in
            guard let room = try Self.room(db, roomID) else { throw StoreError.notFound(roomID) }
            let stream = (try Int64.fetchOne(db.cachedStatement(sql: "SELECT MAX(stream_ordering) FROM events")) ?? 0) + 1
            let keyNID = try Self.internStateKey(db, .init("m.room.member", event.pdu.stateKey))
            try db.cachedStatement(sql: """
                INSERT OR IGNORE INTO events (event_id, room_nid, type, state_key_nid, sender, depth, origin_server_ts, json, outlier, stream_ordering)
                VALUES (?, ?, 'm.room.member', ?, ?, ?, ?, ?, 1, ?)
                """).execute(arguments: [event.pdu.eventID, room.nid, keyNID, event.pdu.sender, event.pdu.depth, event.pdu.originServerTS,
                                 Data(event.json), stream])
            let nid = try Int64.fetchOne(db.cachedStatement(sql: "SELECT event_nid FROM events WHERE event_id = ?"), arguments: [event.pdu.eventID])
            try db.cachedStatement(sql: "INSERT OR REPLACE INTO room_memberships (room_nid, user_id, membership, event_nid) VALUES (?, ?, ?, ?)").execute(arguments: [room.nid, event.pdu.stateKey, membership, nid])
            return stream
        }
    }
}

extension Database {
    /// The event behind a user's current membership in a room.
    public func membershipEvent(of userID: String, in room: RoomRecord) async throws -> StoredEvent? {
        try await read { db in
            try Row.fetchOne(db.cachedStatement(sql: """
                SELECT e.* FROM room_memberships m JOIN events e ON e.event_nid = m.event_nid WHERE m.room_nid = ? AND m.user_id = ?
                """), arguments: [room.nid, userID]).map(StoredEvent.init)
        }
    }
}

extension Database {
    public func room(byNID nid: Int64) async throws -> RoomRecord? {
        try await read { db in try Self.room(db, nid: nid) }
    }

    /// Breadth-first over prev_events from `from` (included), newest depth first, skipping
    /// `stopAt`, outliers and rejected events; at most `limit`.
    public func walkBackwards(from: [String], room: RoomRecord, limit: Int, stopAt: Set<String>) async throws -> [StoredEvent] {
        try await read { db in
            var seen = stopAt
            var frontier = from.filter { !stopAt.contains($0) }
            var out: [StoredEvent] = []
            while !frontier.isEmpty, out.count < limit {
                var next: [StoredEvent] = []
                for id in frontier where seen.insert(id).inserted {
                    if let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM events WHERE event_id = ? AND room_nid = ? AND outlier = 0"), arguments: [id, room.nid]) {
                        next.append(StoredEvent(row: row))
                    }
                }
                next.sort { ($0.streamOrdering ?? 0) > ($1.streamOrdering ?? 0) }
                var prevs: [String] = []
                for event in next where out.count < limit {
                    out.append(event)
                    prevs += try String.fetchAll(db.cachedStatement(sql: """
                        SELECT p.event_id FROM event_edges ed JOIN events p ON p.event_nid = ed.prev_nid WHERE ed.event_nid = ?1
                        UNION ALL SELECT prev_event_id FROM event_gaps WHERE event_nid = ?1
                        """), arguments: [event.nid])
                }
                frontier = prevs.filter { !seen.contains($0) }
            }
            return out
        }
    }
}

extension Database {
    /// PDUs queued per destination (metrics).
    public func outboxDepths() async throws -> [(destination: String, count: Int)] {
        try await read { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT destination, COUNT(*) AS n FROM federation_outbox GROUP BY destination ORDER BY destination"))
                .map { ($0["destination"], $0["n"]) }
        }
    }
}

extension Database {
    /// Once we hold a room's state, the outlier markers of remote invites and leaves leave the
    /// timeline: they have no state of their own to show a client. They keep their stream
    /// positions (positions are never reused) and are hidden the way soft-failed events are.
    public func retireMembershipMarkers(room: RoomRecord) async throws {
        try await writer.write { db in
            try db.cachedStatement(sql: "UPDATE events SET soft_failed = 1 WHERE room_nid = ? AND outlier = 1 AND stream_ordering IS NOT NULL").execute(arguments: [room.nid])
        }
    }
}

/// An event of the stream as the federation fan-out sees it (`streamEvents`).
public struct StreamedEvent: Sendable {
    public let nid: Int64
    public let stream: Int64
    public let roomNID: Int64
    public let sender: String
    /// Nil for a non-state event.
    public let stateKey: String?
    /// The event's JSON when it is an `m.room.member` event.
    public let memberJSON: [UInt8]?
}
