import GRDB

/// End-to-end encryption: what the server stores and routes for clients without ever reading it —
/// device and one-time keys, cross-signing keys and signatures, to-device messages, the stream of
/// device-list changes, and server-side key backups. Keys are kept as the JSON the client signed.
enum E2EESchema {
    static func create(_ db: GRDB.Database) throws {
        try db.execute(sql: """
            -- The signed device_keys object of each device (one per device; a device's keys never change).
            CREATE TABLE e2e_device_keys (
                user_id TEXT NOT NULL,
                device_id TEXT NOT NULL,
                json BLOB NOT NULL,
                PRIMARY KEY (user_id, device_id)
            ) WITHOUT ROWID;
            -- Unclaimed one-time keys; `id` keeps upload order, since claims hand out the oldest.
            CREATE TABLE e2e_one_time_keys (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                user_id TEXT NOT NULL,
                device_id TEXT NOT NULL,
                algorithm TEXT NOT NULL,
                key_id TEXT NOT NULL,
                json BLOB NOT NULL,
                UNIQUE (user_id, device_id, algorithm, key_id)
            );
            CREATE INDEX e2e_one_time_keys_claim ON e2e_one_time_keys(user_id, device_id, algorithm, id);
            -- At most one fallback key per algorithm; `used` once it was handed out by a claim.
            CREATE TABLE e2e_fallback_keys (
                user_id TEXT NOT NULL,
                device_id TEXT NOT NULL,
                algorithm TEXT NOT NULL,
                key_id TEXT NOT NULL,
                json BLOB NOT NULL,
                used INTEGER NOT NULL DEFAULT 0,
                PRIMARY KEY (user_id, device_id, algorithm)
            ) WITHOUT ROWID;
            -- The current master, self-signing and user-signing key of each user.
            CREATE TABLE e2e_cross_signing_keys (
                user_id TEXT NOT NULL,
                key_type TEXT NOT NULL,          -- master | self_signing | user_signing
                public_key TEXT NOT NULL,        -- unpadded base64, also the key's ID
                json BLOB NOT NULL,
                PRIMARY KEY (user_id, key_type)
            ) WITHOUT ROWID;
            -- Signatures added by /keys/signatures/upload: on a device (target_key_id = device ID)
            -- or on a master key (target_key_id = its public key).
            CREATE TABLE e2e_signatures (
                target_user_id TEXT NOT NULL,
                target_key_id TEXT NOT NULL,
                signer_user_id TEXT NOT NULL,
                signing_key_id TEXT NOT NULL,    -- ed25519:<key>
                signature TEXT NOT NULL,
                PRIMARY KEY (target_user_id, target_key_id, signer_user_id, signing_key_id)
            ) WITHOUT ROWID;
            -- Pending to-device messages; the id is the to-device stream position (AUTOINCREMENT:
            -- positions are never reused after delivered messages are deleted).
            CREATE TABLE to_device_inbox (
                stream_id INTEGER PRIMARY KEY AUTOINCREMENT,
                user_id TEXT NOT NULL,
                device_id TEXT NOT NULL,
                sender TEXT NOT NULL,
                type TEXT NOT NULL,
                content BLOB NOT NULL
            );
            CREATE INDEX to_device_inbox_device ON to_device_inbox(user_id, device_id, stream_id);
            -- Transaction IDs of /sendToDevice already answered, for idempotence.
            CREATE TABLE to_device_txns (
                user_id TEXT NOT NULL,
                device_id TEXT NOT NULL,
                txn_id TEXT NOT NULL,
                created_ts INTEGER NOT NULL,
                PRIMARY KEY (user_id, device_id, txn_id)
            ) WITHOUT ROWID;
            -- One row each time a user's devices, device keys or cross-signing keys change: the
            -- device-list stream /sync and /keys/changes read.
            CREATE TABLE device_list_changes (
                stream_id INTEGER PRIMARY KEY AUTOINCREMENT,
                user_id TEXT NOT NULL
            );
            CREATE INDEX device_list_changes_user ON device_list_changes(user_id, stream_id);
            -- Key backup versions; deleted ones stay (flagged) so a version is never reused.
            CREATE TABLE e2e_room_key_versions (
                user_id TEXT NOT NULL,
                version INTEGER NOT NULL,
                algorithm TEXT NOT NULL,
                auth_data BLOB NOT NULL,
                etag INTEGER NOT NULL DEFAULT 0,
                deleted INTEGER NOT NULL DEFAULT 0,
                PRIMARY KEY (user_id, version)
            ) WITHOUT ROWID;
            CREATE TABLE e2e_room_keys (
                user_id TEXT NOT NULL,
                version INTEGER NOT NULL,
                room_id TEXT NOT NULL,
                session_id TEXT NOT NULL,
                first_message_index INTEGER NOT NULL,
                forwarded_count INTEGER NOT NULL,
                is_verified INTEGER NOT NULL,
                session_data BLOB NOT NULL,
                PRIMARY KEY (user_id, version, room_id, session_id)
            ) WITHOUT ROWID;
            """)
    }
}
