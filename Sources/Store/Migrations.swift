import GRDB

/// The numbered schema migrations. Append only: a shipped migration is never edited, because
/// databases in the field have already run it.
enum Migrations {
    static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("0001_initial", migrate: initial)
        migrator.registerMigration("0002_accounts", migrate: accounts)
        migrator.registerMigration("0003_rooms", migrate: RoomSchema.create)
        migrator.registerMigration("0004_push", migrate: PushSchema.create)
        migrator.registerMigration("0005_e2ee", migrate: E2EESchema.create)
        migrator.registerMigration("0006_media", migrate: MediaSchema.create)
        migrator.registerMigration("0007_federation", migrate: FederationSchema.create)
        migrator.registerMigration("0008_url_previews", migrate: URLPreviewSchema.create)
        migrator.registerMigration("0009_push_delivery", migrate: PushSchema.addDelivery)
        migrator.registerMigration("0010_openid", migrate: OpenIDSchema.create)
        migrator.registerMigration("0011_state_event_index", migrate: RoomSchema.addStateEventIndex)
        migrator.registerMigration("0012_pusher_device", migrate: PushSchema.addDevice)
        migrator.registerMigration("0013_push_groups", migrate: PushSchema.groupNotifications)
        migrator.registerMigration("0014_event_rows", migrate: RoomSchema.keepEventFactsInTheirRows)
        return migrator
    }()

    /// Number of migrations this binary knows.
    static var count: Int { migrator.migrations.count }

    private static func initial(_ db: GRDB.Database) throws {
        // Our own Ed25519 keys, current and past, so `old_verify_keys` can be served after a
        // key rotation. Keys are stored unpadded-base64 as they appear on the wire.
        try db.execute(sql: """
            CREATE TABLE local_signing_keys (
                key_id TEXT PRIMARY KEY NOT NULL,
                public_key TEXT NOT NULL,
                created_ts INTEGER NOT NULL,
                expired_ts INTEGER
            )
            """)
    }

    /// Users, their devices and sessions. Tokens are stored as SHA-256 hashes: a copy of the
    /// database does not hand out working credentials.
    private static func accounts(_ db: GRDB.Database) throws {
        try db.execute(sql: """
            CREATE TABLE users (
                user_id TEXT PRIMARY KEY NOT NULL,
                localpart TEXT NOT NULL UNIQUE,
                password_hash TEXT,
                is_admin INTEGER NOT NULL DEFAULT 0,
                is_guest INTEGER NOT NULL DEFAULT 0,
                deactivated INTEGER NOT NULL DEFAULT 0,
                created_ts INTEGER NOT NULL,
                displayname TEXT,
                avatar_url TEXT
            );
            CREATE TABLE devices (
                user_id TEXT NOT NULL REFERENCES users(user_id),
                device_id TEXT NOT NULL,
                display_name TEXT,
                created_ts INTEGER NOT NULL,
                last_seen_ts INTEGER,
                last_seen_ip TEXT,
                PRIMARY KEY (user_id, device_id)
            );
            CREATE TABLE access_tokens (
                token_hash BLOB PRIMARY KEY NOT NULL,
                user_id TEXT NOT NULL,
                device_id TEXT NOT NULL,
                created_ts INTEGER NOT NULL,
                expires_ts INTEGER,
                FOREIGN KEY (user_id, device_id) REFERENCES devices(user_id, device_id) ON DELETE CASCADE
            );
            CREATE INDEX access_tokens_device ON access_tokens(user_id, device_id);
            CREATE TABLE refresh_tokens (
                token_hash BLOB PRIMARY KEY NOT NULL,
                user_id TEXT NOT NULL,
                device_id TEXT NOT NULL,
                created_ts INTEGER NOT NULL,
                FOREIGN KEY (user_id, device_id) REFERENCES devices(user_id, device_id) ON DELETE CASCADE
            );
            CREATE INDEX refresh_tokens_device ON refresh_tokens(user_id, device_id);
            CREATE TABLE registration_tokens (
                token TEXT PRIMARY KEY NOT NULL,
                uses_allowed INTEGER,
                completed INTEGER NOT NULL DEFAULT 0,
                expiry_time INTEGER
            );
            """)
    }
}
