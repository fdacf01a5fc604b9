import GRDB
@testable import Store
import Testing

/// A room's notified members as slots: lists of members map to bitmaps of their slots, slots
/// are given on first use and kept, and a recurring list's bitmap is remembered.
@Suite struct MemberSlotsTests {
    private func withRoom(_ body: (GRDB.Database) throws -> Void) throws {
        let queue = try DatabaseQueue()
        try Migrations.migrator.migrate(queue)
        try queue.write { db in
            try db.execute(sql: "INSERT INTO rooms (room_nid, room_id, room_version, created_ts) VALUES (1, '!r:x', '11', 0)")
            try body(db)
        }
    }

    @Test func listsMapToTheirMembersSlotsAsSlotsAreAdded() throws {
        try withRoom { db in
            var slots = try MemberSlots.load(db, room: 1)
            let everyone = PushMembers(["@a:x", "@b:x", "@c:x"], recurring: true)
            let first = try slots.bitmap(of: everyone, db, room: 1)
            #expect(slots.users(in: first) == ["@a:x", "@b:x", "@c:x"])
            #expect(slots.memoChanged)

            // A one-off list with a newcomer: the newcomer gets the next slot, the others keep theirs.
            let once = PushMembers(["@d:x", "@b:x"])
            let second = try slots.bitmap(of: once, db, room: 1)
            #expect(slots.users(in: second) == ["@b:x", "@d:x"])
            #expect(slots.slotOf["@d:x"] == 3)
            // The recurring list, after a slot was added: the same members.
            let again = try slots.bitmap(of: everyone, db, room: 1)
            #expect(slots.users(in: again) == ["@a:x", "@b:x", "@c:x"])

            // The slots are in the database: a reload gives the same ones.
            let reloaded = try MemberSlots.load(db, room: 1)
            #expect(reloaded.users == ["@a:x", "@b:x", "@c:x", "@d:x"])
            #expect(try Int64.fetchOne(db, sql: "SELECT push_slot_count FROM rooms WHERE room_nid = 1") == 4)
        }
    }

    @Test func onlyRecurringListsAreRemembered() throws {
        try withRoom { db in
            var slots = try MemberSlots.load(db, room: 1)
            _ = try slots.bitmap(of: PushMembers(["@a:x"]), db, room: 1)
            #expect(!slots.memoChanged)
            let recurring = PushMembers(["@a:x", "@b:x"], recurring: true)
            let bitmap = try slots.bitmap(of: recurring, db, room: 1)
            #expect(slots.memoChanged)
            // Kept by the cache with the flag cleared; the next event's lookup changes nothing.
            let cache = MemberSlotCache()
            cache.keep(slots, room: 1)
            var kept = try cache.slots(db, room: 1, count: 2)
            #expect(!kept.memoChanged)
            #expect(try kept.bitmap(of: recurring, db, room: 1) == bitmap)
            #expect(!kept.memoChanged)
            // A cache entry of another size than the room's count is read again from the database.
            #expect(try cache.slots(db, room: 1, count: 3).users == ["@a:x", "@b:x"])
        }
    }

    @Test func bitmapsLoseAndGainMembers() {
        var bitmap = SlotBitmap.make([1, 9])
        SlotBitmap.remove(9, from: &bitmap)
        #expect(bitmap == SlotBitmap.make([1]))
        SlotBitmap.remove(40, from: &bitmap)  // not in it: unchanged
        #expect(bitmap == SlotBitmap.make([1]))
        SlotBitmap.add(SlotBitmap.make([0, 17]), to: &bitmap)
        #expect(bitmap == SlotBitmap.make([0, 1, 17]))
    }
}
