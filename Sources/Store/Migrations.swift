import GRDB

/// The numbered schema migrations. Append only: a shipped migration is never edited, because
/// databases in the field have already run it.
enum Migrations {
    static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("0001_initial", migrate: initial)
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
}
