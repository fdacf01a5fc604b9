import GRDB

/// The event graph and room state. Long identifiers are interned to integers (`room_nid`,
/// `event_nid`, `state_key_nid`) so graph and state tables hold small rows and join on integers.
enum RoomSchema {
    static func create(_ db: GRDB.Database) throws {
        try db.execute(sql: """
            CREATE TABLE rooms (
                room_nid INTEGER PRIMARY KEY,
                room_id TEXT NOT NULL UNIQUE,
                room_version TEXT NOT NULL,
                created_ts INTEGER NOT NULL,
                -- The snapshot of the current state, parent of the next local state event's.
                current_snapshot INTEGER,
                -- Listed in the public room directory.
                published INTEGER NOT NULL DEFAULT 0
            );
            CREATE TABLE room_aliases (
                alias TEXT PRIMARY KEY NOT NULL,
                room_id TEXT NOT NULL,
                creator TEXT NOT NULL
            );
            CREATE INDEX room_aliases_room ON room_aliases(room_id);
            -- Per-user data with its own stream positions, so /sync can tell what changed.
            CREATE TABLE account_data (
                user_id TEXT NOT NULL,
                room_id TEXT NOT NULL,          -- '' for global account data
                type TEXT NOT NULL,
                content BLOB NOT NULL,
                stream_id INTEGER NOT NULL,
                PRIMARY KEY (user_id, room_id, type)
            ) WITHOUT ROWID;
            CREATE INDEX account_data_stream ON account_data(user_id, stream_id);
            CREATE TABLE receipts (
                room_id TEXT NOT NULL,
                receipt_type TEXT NOT NULL,
                user_id TEXT NOT NULL,
                thread_id TEXT NOT NULL,        -- '' for unthreaded receipts
                event_id TEXT NOT NULL,
                ts INTEGER NOT NULL,
                stream_id INTEGER NOT NULL,
                PRIMARY KEY (room_id, receipt_type, user_id, thread_id)
            ) WITHOUT ROWID;
            CREATE INDEX receipts_stream ON receipts(room_id, stream_id);
            CREATE TABLE forgotten_rooms (
                user_id TEXT NOT NULL,
                room_id TEXT NOT NULL,
                PRIMARY KEY (user_id, room_id)
            ) WITHOUT ROWID;
            CREATE TABLE filters (
                user_id TEXT NOT NULL,
                filter_id INTEGER NOT NULL,
                json BLOB NOT NULL,
                PRIMARY KEY (user_id, filter_id)
            ) WITHOUT ROWID;
            CREATE TABLE state_keys (
                state_key_nid INTEGER PRIMARY KEY,
                type TEXT NOT NULL,
                state_key TEXT NOT NULL,
                UNIQUE (type, state_key)
            );
            -- One row per event, kept as the JSON it arrived as. stream_ordering orders the
            -- timeline of every room together (NULL for outliers, which are not in any timeline).
            CREATE TABLE events (
                event_nid INTEGER PRIMARY KEY,
                event_id TEXT NOT NULL UNIQUE,
                room_nid INTEGER NOT NULL REFERENCES rooms(room_nid),
                type TEXT NOT NULL,
                state_key_nid INTEGER REFERENCES state_keys(state_key_nid),
                sender TEXT NOT NULL,
                depth INTEGER NOT NULL,
                origin_server_ts INTEGER NOT NULL,
                stream_ordering INTEGER UNIQUE,
                json BLOB NOT NULL,
                outlier INTEGER NOT NULL DEFAULT 0,
                rejected_reason TEXT,
                soft_failed INTEGER NOT NULL DEFAULT 0,
                redacted_by TEXT,
                state_before INTEGER,
                state_after INTEGER
            );
            CREATE INDEX events_room_stream ON events(room_nid, stream_ordering);
            CREATE TABLE event_edges (
                event_nid INTEGER NOT NULL REFERENCES events(event_nid),
                prev_event_id TEXT NOT NULL,
                PRIMARY KEY (event_nid, prev_event_id)
            ) WITHOUT ROWID;
            CREATE INDEX event_edges_prev ON event_edges(prev_event_id);
            -- `content.m.relates_to` of each event, for /relations and /threads.
            CREATE TABLE event_relations (
                event_nid INTEGER PRIMARY KEY REFERENCES events(event_nid),
                relates_to_id TEXT NOT NULL,
                rel_type TEXT NOT NULL
            );
            CREATE INDEX event_relations_target ON event_relations(relates_to_id, rel_type);
            CREATE TABLE event_auth (
                event_nid INTEGER NOT NULL REFERENCES events(event_nid),
                auth_event_id TEXT NOT NULL,
                PRIMARY KEY (event_nid, auth_event_id)
            ) WITHOUT ROWID;
            -- Immutable state snapshots: a delta from a parent, or a full checkpoint
            -- (parent NULL). A delta entry with NULL event_nid removes the key.
            CREATE TABLE state_snapshots (
                snapshot_nid INTEGER PRIMARY KEY,
                room_nid INTEGER NOT NULL REFERENCES rooms(room_nid),
                parent_nid INTEGER REFERENCES state_snapshots(snapshot_nid),
                chain_length INTEGER NOT NULL
            );
            CREATE TABLE state_snapshot_entries (
                snapshot_nid INTEGER NOT NULL REFERENCES state_snapshots(snapshot_nid),
                state_key_nid INTEGER NOT NULL,
                event_nid INTEGER,
                PRIMARY KEY (snapshot_nid, state_key_nid)
            ) WITHOUT ROWID;
            CREATE TABLE current_state (
                room_nid INTEGER NOT NULL REFERENCES rooms(room_nid),
                state_key_nid INTEGER NOT NULL,
                event_nid INTEGER NOT NULL,
                PRIMARY KEY (room_nid, state_key_nid)
            ) WITHOUT ROWID;
            CREATE TABLE room_memberships (
                room_nid INTEGER NOT NULL REFERENCES rooms(room_nid),
                user_id TEXT NOT NULL,
                membership TEXT NOT NULL,
                event_nid INTEGER NOT NULL,
                PRIMARY KEY (room_nid, user_id)
            ) WITHOUT ROWID;
            CREATE INDEX room_memberships_user ON room_memberships(user_id, membership);
            CREATE TABLE forward_extremities (
                room_nid INTEGER NOT NULL REFERENCES rooms(room_nid),
                event_nid INTEGER NOT NULL REFERENCES events(event_nid),
                PRIMARY KEY (room_nid, event_nid)
            ) WITHOUT ROWID;
            CREATE TABLE event_txn_ids (
                user_id TEXT NOT NULL,
                device_id TEXT NOT NULL,
                txn_id TEXT NOT NULL,
                event_id TEXT NOT NULL,
                created_ts INTEGER NOT NULL,
                PRIMARY KEY (user_id, device_id, txn_id)
            ) WITHOUT ROWID;
            """)
    }

    /// Facts only ever read with their event move into its row, or are read from its JSON: a
    /// table of their own cost every message a b-tree page per commit (random keys there).
    /// - the sending device and its transaction ID (`txn_device`, `txn_id`), for idempotent sends
    ///   (`ClientTransactions`) and `unsigned.transaction_id`;
    /// - `auth_events`, which the event's JSON holds (`event_auth` was read only by `authChain`).
    /// - the redaction that redacted it (`redacted_because`: its JSON, for clients' `unsigned`).
    /// Prev-event edges go by event number (`event_edges.prev_nid`, indexed in arrival order);
    /// those to events not stored yet wait in `event_gaps` by ID until the event comes.
    static func keepEventFactsInTheirRows(_ db: GRDB.Database) throws {
        try db.execute(sql: """
            ALTER TABLE events ADD COLUMN txn_device TEXT;
            ALTER TABLE events ADD COLUMN txn_id TEXT;
            ALTER TABLE events ADD COLUMN redacted_because BLOB;
            UPDATE events SET redacted_because = (SELECT r.json FROM events r WHERE r.event_id = events.redacted_by)
            WHERE redacted_by IS NOT NULL;
            UPDATE events SET txn_device = t.device_id, txn_id = t.txn_id
            FROM event_txn_ids t WHERE t.event_id = events.event_id;
            DROP TABLE event_txn_ids;
            DROP TABLE event_auth;
            CREATE TABLE event_gaps (
                event_nid INTEGER NOT NULL REFERENCES events(event_nid),
                prev_event_id TEXT NOT NULL,
                PRIMARY KEY (event_nid, prev_event_id)
            ) WITHOUT ROWID;
            CREATE INDEX event_gaps_prev ON event_gaps(prev_event_id);
            CREATE TABLE event_edges_by_nid (
                event_nid INTEGER NOT NULL REFERENCES events(event_nid),
                -- Not a foreign key: purged history leaves its successors' edges, read as a gap.
                prev_nid INTEGER NOT NULL,
                PRIMARY KEY (event_nid, prev_nid)
            ) WITHOUT ROWID;
            INSERT OR IGNORE INTO event_edges_by_nid (event_nid, prev_nid)
            SELECT ed.event_nid, p.event_nid FROM event_edges ed JOIN events p ON p.event_id = ed.prev_event_id;
            INSERT OR IGNORE INTO event_gaps (event_nid, prev_event_id)
            SELECT event_nid, prev_event_id FROM event_edges ed
            WHERE NOT EXISTS (SELECT 1 FROM events p WHERE p.event_id = ed.prev_event_id);
            DROP TABLE event_edges;
            ALTER TABLE event_edges_by_nid RENAME TO event_edges;
            CREATE INDEX event_edges_prev ON event_edges(prev_nid);
            """)
    }

    /// A room's events of one state key in stream order (a user's membership history, the history
    /// visibility changes) without reading every event of the room: /sync asks on every call.
    /// Partial: message events, most of a room, have no state key.
    static func addStateEventIndex(_ db: GRDB.Database) throws {
        try db.execute(sql: """
            CREATE INDEX events_room_state ON events(room_nid, state_key_nid, stream_ordering) WHERE state_key_nid IS NOT NULL
            """)
    }
}
