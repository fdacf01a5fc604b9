import GRDB
import Synchronization

/// Each local user who was ever notified in a room gets a small number there, its slot, so
/// that what an event's push rules decided is stored as one bit per member (`event_push_groups`)
/// instead of a row per member: a send into a big room writes a row or two, not hundreds.
/// Slots are never reused or freed; `rooms.push_slot_count` says how many a room has.
struct MemberSlots: Sendable {
    private(set) var slotOf: [String: Int] = [:]
    /// Users by slot.
    private(set) var users: [String] = []
    /// Bitmaps of recurring member lists seen lately (`PushMembers`), by identity: the lists are kept
    /// alive here, so an identity is not reused while it is a key. Valid while no slot is added.
    private var memo: [ObjectIdentifier: (members: PushMembers, bitmap: [UInt8])] = [:]
    /// Whether `memo` gained an entry since the slots were loaded or kept.
    private(set) var memoChanged = false
    /// Member lists remembered at most per room (a room's members mostly share one).
    static let memoCapacity = 8

    var count: Int { users.count }

    /// The room's slots as they are.
    static func load(_ db: GRDB.Database, room: Int64) throws -> MemberSlots {
        var loaded: [(slot: Int, user: String)] = []
        let rows = try Row.fetchCursor(db.cachedStatement(sql: "SELECT slot, user_id FROM push_member_slots WHERE room_nid = ?"),
                                       arguments: [room])
        while let row = try rows.next() { loaded.append((row[0], row[1])) }
        loaded.sort { $0.slot < $1.slot }
        var slots = MemberSlots()
        slots.users = loaded.map(\.user)
        slots.slotOf = Dictionary(loaded.map { ($0.user, $0.slot) }, uniquingKeysWith: { first, _ in first })
        return slots
    }

    /// The slot of one user, if they have one.
    static func slot(_ db: GRDB.Database, room: Int64, userID: String) throws -> Int? {
        try Int.fetchOne(db.cachedStatement(sql: "SELECT slot FROM push_member_slots WHERE room_nid = ? AND user_id = ?"),
                         arguments: [room, userID])
    }

    /// The user's slot, given one now if they had none.
    mutating func slot(for userID: String, _ db: GRDB.Database, room: Int64) throws -> Int {
        if let slot = slotOf[userID] { return slot }
        let slot = users.count
        try db.cachedStatement(sql: "INSERT INTO push_member_slots (room_nid, user_id, slot) VALUES (?, ?, ?)")
            .execute(arguments: [room, userID, slot])
        try db.cachedStatement(sql: "UPDATE rooms SET push_slot_count = ? WHERE room_nid = ?").execute(arguments: [slot + 1, room])
        slotOf[userID] = slot
        users.append(userID)
        memo.removeAll()
        return slot
    }

    /// The slots of `members` as a bitmap, given slots now where they had none.
    mutating func bitmap(of members: PushMembers, _ db: GRDB.Database, room: Int64) throws -> [UInt8] {
        if let known = memo[ObjectIdentifier(members)] { return known.bitmap }
        var slots: [Int] = []
        slots.reserveCapacity(members.userIDs.count)
        for userID in members.userIDs { slots.append(try slot(for: userID, db, room: room)) }
        let bitmap = SlotBitmap.make(slots)
        guard members.recurring else { return bitmap }
        if memo.count >= Self.memoCapacity { memo.removeAll() }
        memo[ObjectIdentifier(members)] = (members, bitmap)
        memoChanged = true
        return bitmap
    }

    /// The same slots, with `memoChanged` cleared: what the cache keeps.
    func kept() -> MemberSlots {
        var copy = self
        copy.memoChanged = false
        return copy
    }

    /// The users whose bits are set.
    func users(in bitmap: [UInt8]) -> [String] {
        var found: [String] = []
        SlotBitmap.forEach(in: bitmap) { slot in if slot < users.count { found.append(users[slot]) } }
        return found
    }
}

/// The rooms' slots kept in memory by the writer, so a send does not read a row per member.
/// An entry is used only while its size matches `rooms.push_slot_count` as the transaction
/// sees it: slots are only ever appended, so a stale entry (one a rolled-back transaction grew)
/// has a different size and is read again.
final class MemberSlotCache: Sendable {
    private let rooms = Mutex<[Int64: MemberSlots]>([:])

    /// The room's slots, from memory when they are current.
    func slots(_ db: GRDB.Database, room: Int64, count: Int) throws -> MemberSlots {
        if let cached = rooms.withLock({ $0[room] }), cached.count == count { return cached }
        let loaded = try MemberSlots.load(db, room: room)
        rooms.withLock { $0[room] = loaded }
        return loaded
    }

    func keep(_ slots: MemberSlots, room: Int64) {
        let kept = slots.kept()
        rooms.withLock { $0[room] = kept }
    }
}

/// A set of slots as bytes, bit `slot % 8` of byte `slot / 8`.
enum SlotBitmap {
    static func make(_ slots: [Int]) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: (slots.max() ?? 0) / 8 + 1)
        for slot in slots { bytes[slot / 8] |= 1 << UInt8(slot % 8) }
        return bytes
    }

    static func remove(_ slot: Int, from bitmap: inout [UInt8]) {
        guard slot / 8 < bitmap.count else { return }
        bitmap[slot / 8] &= ~(1 << UInt8(slot % 8))
        while bitmap.count > 1, bitmap.last == 0 { bitmap.removeLast() }
    }

    static func add(_ other: [UInt8], to bitmap: inout [UInt8]) {
        if other.count > bitmap.count { bitmap += repeatElement(0, count: other.count - bitmap.count) }
        for (index, byte) in other.enumerated() { bitmap[index] |= byte }
    }

    static func contains(_ bitmap: [UInt8], _ slot: Int) -> Bool {
        slot / 8 < bitmap.count && bitmap[slot / 8] & (1 << UInt8(slot % 8)) != 0
    }

    /// Calls `body` with each slot in the set, in order.
    static func forEach(in bitmap: [UInt8], _ body: (Int) -> Void) {
        for (index, byte) in bitmap.enumerated() where byte != 0 {
            var bits = byte
            while bits != 0 {
                body(index * 8 + bits.trailingZeroBitCount)
                bits &= bits - 1
            }
        }
    }
}
