extension AuthRules {
    /// The rules about an event's listed `auth_events` themselves (v12 rule 3; v1–v11 rule 2),
    /// which need no room state:
    /// - every listed event is supplied (an unknown auth event cannot authorise anything) and
    ///   nothing else is;
    /// - no two share a `(type, state_key)` (3.1);
    /// - each is a key the auth events selection picks for this event (3.2), so never the
    ///   create event in v12;
    /// - none was rejected (3.3): `rejected` holds the IDs of rejected events;
    /// - v1–v11 (2.4): one of them is the create event;
    /// - all are in the event's room (3.5).
    public static func checkAuthEvents(_ event: PDU, authEvents: [PDU], version: RoomVersion,
                                       rejected: Set<String> = []) throws(AuthFailure) {
        // Rule 1 decides the create event before these rules apply.
        guard event.type != "m.room.create" else { return }
        // A handful of entries each: arrays searched in place cost less than sets built per event
        // (a join's answer checks tens of thousands).
        if let missing = event.authEvents.first(where: { id in !authEvents.contains { $0.eventID == id } }) {
            throw AuthFailure("auth event \(missing) is unknown")
        }
        let listed = event.authEvents
        let selected = authEventKeys(for: event.type, stateKey: event.stateKey, sender: event.sender,
                                     content: event.content, version: version)
        var seen: [StateKey] = []
        seen.reserveCapacity(authEvents.count)
        for auth in authEvents {
            guard listed.contains(auth.eventID) else { throw AuthFailure("\(auth.eventID) is not among the event's auth_events") }
            guard let key = auth.stateKeyPair else { throw AuthFailure("auth event \(auth.eventID) is not a state event") }
            guard !seen.contains(key) else { throw AuthFailure("auth_events holds two events for \(key)") }
            seen.append(key)
            guard selected.contains(key) else {
                throw AuthFailure("auth event \(auth.eventID) (\(key)) is not one the auth events selection picks for this event")
            }
            guard !rejected.contains(auth.eventID) else { throw AuthFailure("auth event \(auth.eventID) was rejected") }
            guard auth.roomID == event.roomID else {
                throw AuthFailure("auth event \(auth.eventID) belongs to room \(auth.roomID), not \(event.roomID)")
            }
        }
        if !version.hashedRoomIDs, !seen.contains(.create) { throw AuthFailure("auth_events holds no m.room.create event") }
    }

    /// Authorises an event against its own `auth_events` (the second check on receipt of a PDU):
    /// ``checkAuthEvents(_:authEvents:version:rejected:)``, then the state rules with the auth
    /// events as the state.
    ///
    /// - Parameter create: v12 only, the create event the room ID names (never an auth event).
    public static func check(_ event: PDU, authEvents: [PDU], create: PDU? = nil, version: RoomVersion,
                             rejected: Set<String> = []) throws(AuthFailure) {
        try checkAuthEvents(event, authEvents: authEvents, version: version, rejected: rejected)
        // Keys are distinct (checked above); the create event of v12 is not among them.
        var state: [(key: StateKey, event: PDU)] = []
        state.reserveCapacity(authEvents.count + 1)
        for auth in authEvents {
            if let key = auth.stateKeyPair { state.append((key, auth)) }
        }
        if version.hashedRoomIDs, let create {
            guard !rejected.contains(create.eventID) else { throw AuthFailure("the m.room.create event \(create.eventID) was rejected") }
            state.removeAll { $0.key == .create }
            state.append((.create, create))
        }
        try check(event, version: version) { key in state.last { $0.key == key }?.event }
    }
}
