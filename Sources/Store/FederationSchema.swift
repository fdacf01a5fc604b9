import GRDB

/// Tables of the Server-Server API: other servers' keys, the outbound queue per destination,
/// inbound transaction IDs (a retried transaction is answered, not processed twice), and the
/// stripped state of invites to rooms this server has no state of.
enum FederationSchema {
    static func create(_ db: GRDB.Database) throws {
        try db.execute(sql: """
            CREATE TABLE server_keys (
                server_name TEXT NOT NULL,
                key_id TEXT NOT NULL,
                public_key TEXT NOT NULL,
                valid_until_ts INTEGER NOT NULL,
                expired_ts INTEGER,                -- set for old_verify_keys
                fetched_ts INTEGER NOT NULL,
                PRIMARY KEY (server_name, key_id)
            ) WITHOUT ROWID;
            -- The latest self-signed key response of each server, as served to notary clients.
            CREATE TABLE server_key_responses (
                server_name TEXT PRIMARY KEY NOT NULL,
                json BLOB NOT NULL,
                valid_until_ts INTEGER NOT NULL
            );
            -- PDUs waiting to be sent to a destination, in order; a row goes once the
            -- destination acknowledged the transaction that carried it.
            CREATE TABLE federation_outbox (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                destination TEXT NOT NULL,
                event_nid INTEGER NOT NULL,
                UNIQUE (destination, event_nid)
            );
            CREATE INDEX federation_outbox_destination ON federation_outbox(destination, seq);
            -- How far the sender has fanned the event stream out into the outbox.
            CREATE TABLE federation_positions (
                name TEXT PRIMARY KEY NOT NULL,
                position INTEGER NOT NULL
            );
            CREATE TABLE federation_received_txns (
                origin TEXT NOT NULL,
                txn_id TEXT NOT NULL,
                response BLOB NOT NULL,
                received_ts INTEGER NOT NULL,
                PRIMARY KEY (origin, txn_id)
            ) WITHOUT ROWID;
            CREATE TABLE invite_stripped_state (
                room_nid INTEGER NOT NULL REFERENCES rooms(room_nid),
                user_id TEXT NOT NULL,
                json BLOB NOT NULL,
                PRIMARY KEY (room_nid, user_id)
            ) WITHOUT ROWID;
            """)
    }
}
