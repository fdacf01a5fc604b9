import GRDB

/// Tables of the media repository. The bytes live on disk, content-addressed by SHA-256
/// (`Services/Media/MediaFileStore.swift`); these rows say which media ID names which bytes.
/// A row with a NULL `sha256` is a pending upload (`POST /create`) that has no content yet.
enum MediaSchema {
    static func create(_ db: GRDB.Database) throws {
        try db.execute(sql: """
            CREATE TABLE local_media (
                media_id TEXT PRIMARY KEY NOT NULL,
                uploader TEXT NOT NULL,
                content_type TEXT,
                filename TEXT,
                size INTEGER,                       -- NULL while pending
                sha256 TEXT,                        -- hex; NULL while pending
                created_ts INTEGER NOT NULL,
                unused_expires_ts INTEGER,          -- pending IDs: when they lapse
                legacy_access INTEGER NOT NULL DEFAULT 0  -- served on the unauthenticated endpoints
            ) WITHOUT ROWID;
            CREATE INDEX local_media_pending ON local_media(uploader, unused_expires_ts) WHERE sha256 IS NULL;
            -- Media of other servers, fetched over federation and kept as a cache.
            CREATE TABLE remote_media_cache (
                origin TEXT NOT NULL,
                media_id TEXT NOT NULL,
                content_type TEXT,
                filename TEXT,
                size INTEGER NOT NULL,
                sha256 TEXT NOT NULL,
                fetched_ts INTEGER NOT NULL,
                last_access_ts INTEGER NOT NULL,
                legacy_access INTEGER NOT NULL DEFAULT 0,
                PRIMARY KEY (origin, media_id)
            ) WITHOUT ROWID;
            -- Thumbnails made once, of local (origin = our name) or cached remote media.
            CREATE TABLE media_thumbnails (
                origin TEXT NOT NULL,
                media_id TEXT NOT NULL,
                width INTEGER NOT NULL,             -- the size asked of the thumbnailer
                height INTEGER NOT NULL,
                method TEXT NOT NULL,               -- crop | scale
                content_type TEXT NOT NULL,
                size INTEGER NOT NULL,
                sha256 TEXT NOT NULL,
                created_ts INTEGER NOT NULL,
                PRIMARY KEY (origin, media_id, width, height, method)
            ) WITHOUT ROWID;
            """)
    }
}
