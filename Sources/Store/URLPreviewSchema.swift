import GRDB

/// The URL preview cache (`/preview_url`): one answer per URL and hour, so repeated requests
/// (every client in a room renders the same link) do not fetch the page again. Images of
/// previews are ordinary local media (`local_media`).
enum URLPreviewSchema {
    static func create(_ db: GRDB.Database) throws {
        try db.execute(sql: """
            CREATE TABLE url_previews (
                url TEXT NOT NULL,                  -- as normalised by the previewer
                bucket INTEGER NOT NULL,            -- fetch time in ms / bucket length
                og BLOB NOT NULL,                   -- the answer, JSON
                created_ts INTEGER NOT NULL,
                PRIMARY KEY (url, bucket)
            ) WITHOUT ROWID;
            CREATE INDEX url_previews_created ON url_previews(created_ts);
            """)
    }
}
