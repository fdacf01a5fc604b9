/// The part of the room state the rules read for one event, fetched once: the create event and
/// the keys of the auth events selection (create, power levels, the sender's and target's
/// membership, join rules, the third-party invite, the authorising user's membership).
///
/// Fetching checks, for every event read, the auth events rule that each must belong to the
/// event's room (v12 rule 3.5; v1–v11 rule 2.5): state from another room never authorises.
struct AuthState {
    let create: PDU
    let powerLevels: PowerLevels
    private let events: [StateKey: PDU]

    init(for event: PDU, version: RoomVersion, lookup: (StateKey) -> PDU?) throws(AuthFailure) {
        guard let create = lookup(.create) else { throw AuthFailure("there is no m.room.create event in the room state") }
        if version.hashedRoomIDs {
            // v12 rule 2: the room ID is the create event's ID with `!` for `$`.
            guard event.roomID == "!" + create.eventID.dropFirst() else {
                throw AuthFailure("room_id \(event.roomID) is not the ID of the room's create event \(create.eventID)")
            }
        } else if create.roomID != event.roomID {
            throw AuthFailure("the m.room.create event \(create.eventID) belongs to room \(create.roomID), not \(event.roomID)")
        }
        var events: [StateKey: PDU] = [.create: create]
        let keys = AuthRules.authEventKeys(for: event.type, stateKey: event.stateKey, sender: event.sender,
                                           content: event.content, version: version)
        for key in keys where key != .create {
            guard let found = lookup(key) else { continue }
            guard found.roomID == event.roomID else {
                throw AuthFailure("the \(key) event \(found.eventID) belongs to room \(found.roomID), not \(event.roomID)")
            }
            events[key] = found
        }
        self.create = create
        self.events = events
        powerLevels = PowerLevels(event: events[.powerLevels], create: create, version: version)
    }

    subscript(key: StateKey) -> PDU? { events[key] }

    /// A user's current membership; nil when they have no member event (never in the room).
    func membership(of user: String) -> String? {
        events[.member(user)]?.content["membership"]?.stringValue
    }

    /// The current join rule. Without a join rules event the room is invite-only, as Synapse and
    /// ruma read it (the spec names no default; every `createRoom` preset sets one).
    var joinRule: String {
        events[.joinRules]?.content["join_rule"]?.stringValue ?? "invite"
    }
}
