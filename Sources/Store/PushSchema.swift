import Foundation
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

    /// Notifications stored per (event, outcome) with their members as bits of per-room slots,
    /// instead of a row per member: a send into a room of N members wrote N rows and N counts.
    /// Counts are folded into `push_unread` every few events (`rooms.push_folded_upto`); the
    /// existing rows are converted, and the existing counts cover everything so far.
    static func groupNotifications(_ db: GRDB.Database) throws {
        try db.execute(sql: """
            -- A local user's number in a room, given when they are first notified there.
            CREATE TABLE push_member_slots (
                room_nid INTEGER NOT NULL,
                user_id TEXT NOT NULL,
                slot INTEGER NOT NULL,
                PRIMARY KEY (room_nid, user_id)
            ) WITHOUT ROWID;
            CREATE INDEX push_member_slots_user ON push_member_slots(user_id);
            -- The members an event notified with the same actions, as a bitmap of their slots
            -- (bit slot % 8 of byte slot / 8).
            CREATE TABLE event_push_groups (
                room_nid INTEGER NOT NULL,
                stream_ordering INTEGER NOT NULL,
                group_no INTEGER NOT NULL,
                event_nid INTEGER NOT NULL,
                thread_id TEXT NOT NULL,        -- 'main' or the thread root's event ID
                highlight INTEGER NOT NULL,
                actions BLOB NOT NULL,
                ts INTEGER NOT NULL,
                members BLOB NOT NULL,
                PRIMARY KEY (room_nid, stream_ordering, group_no)
            ) WITHOUT ROWID;
            -- push_unread counts the notifications up to here; later ones are counted when read.
            ALTER TABLE rooms ADD COLUMN push_folded_upto INTEGER NOT NULL DEFAULT 0;
            -- How many slots the room has given (they are numbered from 0).
            ALTER TABLE rooms ADD COLUMN push_slot_count INTEGER NOT NULL DEFAULT 0;
            UPDATE rooms SET push_folded_upto = COALESCE((SELECT MAX(stream_ordering) FROM events WHERE events.room_nid = rooms.room_nid), 0);
            -- A fold reads every member's own latest event in the room.
            CREATE INDEX push_own_events_room ON push_own_events(room_nid);
            """)
        let rows = try Row.fetchCursor(db, sql: """
            SELECT room_nid, stream_ordering, user_id, event_nid, thread_id, highlight, actions, ts FROM event_push_actions
            ORDER BY room_nid, stream_ordering
            """)
        var slots: [Int64: [String: Int]] = [:]
        var event: (room: Int64, stream: Int64, nid: Int64, thread: String, ts: Int64)?
        var groups: [(highlight: Bool, actions: Data, slots: [Int])] = []
        func flush() throws {
            guard let event else { return }
            for (number, group) in groups.enumerated() {
                let bytes = SlotBitmap.make(group.slots)
                try db.execute(sql: """
                    INSERT INTO event_push_groups (room_nid, stream_ordering, group_no, event_nid, thread_id, highlight, actions, ts, members)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [event.room, event.stream, number, event.nid, event.thread, group.highlight, group.actions, event.ts, Data(bytes)])
            }
            groups = []
        }
        while let row = try rows.next() {
            let room: Int64 = row[0], stream: Int64 = row[1], user: String = row[2]
            if event?.room != room || event?.stream != stream {
                try flush()
                event = (room, stream, row[3], row[4], row[7])
            }
            let slot: Int
            if let known = slots[room]?[user] {
                slot = known
            } else {
                slot = slots[room]?.count ?? 0
                slots[room, default: [:]][user] = slot
                try db.execute(sql: "INSERT INTO push_member_slots (room_nid, user_id, slot) VALUES (?, ?, ?)", arguments: [room, user, slot])
            }
            let highlight: Bool = row[5], actions: Data = row[6]
            if let index = groups.firstIndex(where: { $0.highlight == highlight && $0.actions == actions }) {
                groups[index].slots.append(slot)
            } else {
                groups.append((highlight, actions, [slot]))
            }
        }
        try flush()
        try db.execute(sql: """
            UPDATE rooms SET push_slot_count = (SELECT COUNT(*) FROM push_member_slots WHERE push_member_slots.room_nid = rooms.room_nid);
            DROP TABLE event_push_actions;
            """)
    }
}
