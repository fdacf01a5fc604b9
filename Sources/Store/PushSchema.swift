import GRDB

/// Push rules, the notifications they produced, and pushers (spec "Push Notifications").
enum PushSchema {
    static func create(_ db: GRDB.Database) throws {
        try db.execute(sql: """
            -- User-defined rules; priority 0 is the most important of its kind.
            CREATE TABLE push_rules (
                user_id TEXT NOT NULL,
                kind TEXT NOT NULL,
                rule_id TEXT NOT NULL,
                priority INTEGER NOT NULL,
                rule BLOB NOT NULL,             -- {"actions", "conditions"?, "pattern"?}
                enabled INTEGER NOT NULL,
                PRIMARY KEY (user_id, kind, rule_id)
            ) WITHOUT ROWID;
            -- A user's changes to server-default rules (NULL: unchanged).
            CREATE TABLE push_rule_defaults (
                user_id TEXT NOT NULL,
                rule_id TEXT NOT NULL,
                enabled INTEGER,
                actions BLOB,
                PRIMARY KEY (user_id, rule_id)
            ) WITHOUT ROWID;
            -- One row per (local user, event) the user's rules said to notify about. Keyed by
            -- room and position, so the rows of one event are written side by side (a send in
            -- a big room touches a few pages, not one per member).
            CREATE TABLE event_push_actions (
                room_nid INTEGER NOT NULL,
                stream_ordering INTEGER NOT NULL,
                user_id TEXT NOT NULL,
                event_nid INTEGER NOT NULL,
                thread_id TEXT NOT NULL,        -- 'main' or the thread root's event ID
                highlight INTEGER NOT NULL,
                actions BLOB NOT NULL,
                ts INTEGER NOT NULL,
                PRIMARY KEY (room_nid, stream_ordering, user_id)
            ) WITHOUT ROWID;
            CREATE INDEX event_push_actions_highlights ON event_push_actions(user_id, stream_ordering) WHERE highlight = 1;
            -- Unread counts per (room, user, thread): raised with each notifying event, recounted
            -- from event_push_actions when the user's read position moves.
            CREATE TABLE push_unread (
                room_nid INTEGER NOT NULL,
                user_id TEXT NOT NULL,
                thread_id TEXT NOT NULL,
                notifications INTEGER NOT NULL,
                highlights INTEGER NOT NULL,
                PRIMARY KEY (room_nid, user_id, thread_id)
            ) WITHOUT ROWID;
            -- Sending an event marks its thread read up to it, like a receipt (spec "Marking
            -- notifications as read").
            CREATE TABLE push_own_events (
                user_id TEXT NOT NULL,
                room_nid INTEGER NOT NULL,
                thread_id TEXT NOT NULL,
                stream_ordering INTEGER NOT NULL,
                PRIMARY KEY (user_id, room_nid, thread_id)
            ) WITHOUT ROWID;
            CREATE TABLE pushers (
                user_id TEXT NOT NULL,
                app_id TEXT NOT NULL,
                pushkey TEXT NOT NULL,
                kind TEXT NOT NULL,
                app_display_name TEXT NOT NULL,
                device_display_name TEXT NOT NULL,
                profile_tag TEXT,
                lang TEXT NOT NULL,
                data BLOB NOT NULL,
                created_ts INTEGER NOT NULL,
                PRIMARY KEY (app_id, pushkey, user_id)
            ) WITHOUT ROWID;
            CREATE INDEX pushers_user ON pushers(user_id);
            """)
    }

    /// Delivery to push gateways: how far each pusher has been sent. Existing pushers start at
    /// the current position (nothing from before delivery existed is sent).
    static func addDelivery(_ db: GRDB.Database) throws {
        try db.execute(sql: """
            -- Notifications up to this stream position were sent to the gateway (or given up on).
            ALTER TABLE pushers ADD COLUMN last_stream_ordering INTEGER NOT NULL DEFAULT 0;
            UPDATE pushers SET last_stream_ordering = (SELECT COALESCE(MAX(stream_ordering), 0) FROM events);
            """)
    }

    /// The device that set each pusher, so logging the device out stops its pushes (as Synapse
    /// does); NULL for pushers set before.
    static func addDevice(_ db: GRDB.Database) throws {
        try db.execute(sql: "ALTER TABLE pushers ADD COLUMN device_id TEXT")
    }
}
