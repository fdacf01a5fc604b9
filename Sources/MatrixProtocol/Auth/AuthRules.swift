/// The authorisation rules of every room version (spec `content/rooms/v*.md` and the
/// `fragments/v*-auth-rules.md` they include).
///
/// Rule numbers in comments are v12's, sub-rules included. Versions before 12 lack its rule 2
/// (room ID from the create event), so their auth events and `m.federate` rules are 2 and 3;
/// v1–v5 then have the aliases rule as 4 and share v12's numbers from rule 5 on; v6–v11, without
/// the aliases rule, number the rest one lower (member rules are 4.x there). Member sub-rules
/// before v8 lack 5.2 (the authorising server's signature), so v1's join rules are 5.2.x.
public enum AuthRules {
    /// Checks `event` against the rules of `version`.
    ///
    /// `state` answers the state the rules read: the room state before the event, or the event's
    /// own auth events (see ``check(_:authEvents:create:version:rejected:)``). It is asked only
    /// for the create event and the keys of ``authEventKeys(for:stateKey:sender:content:version:)``.
    /// In v12 it must answer the create event too, which `auth_events` never lists.
    ///
    /// The rules that need more than state are the caller's: the listed auth events' own checks
    /// (``checkAuthEvents(_:authEvents:version:rejected:)``), and signatures (v8+ rule 5.2: see
    /// ``requiredSigningServers(of:version:)``).
    public static func check(_ event: PDU, version: RoomVersion, state: (StateKey) -> PDU?) throws(AuthFailure) {
        // 1. The create event stands alone.
        if event.type == "m.room.create" {
            try checkCreate(event, version: version)
            return
        }
        // 2 (v12): room_id names the create event; 3.5: everything read is from this room.
        let state = try AuthState(for: event, version: version, lookup: state)
        let levels = state.powerLevels

        // 4. m.federate: false keeps other servers out.
        if state.create.content["m.federate"] == .bool(false), serverName(event.sender) != serverName(state.create.sender) {
            throw AuthFailure("the room does not federate and \(event.sender) is from another server than its creator")
        }

        // v1–v5 rule 4: m.room.aliases is the sending server's business alone.
        if version.aliasesAuthRule, event.type == "m.room.aliases" {
            guard let key = event.stateKey else { throw AuthFailure("m.room.aliases has no state_key") }
            guard key == serverName(event.sender) else {
                throw AuthFailure("m.room.aliases state_key \(key) is not the sender's server \(serverName(event.sender) ?? "?")")
            }
            return
        }

        // 5. Membership has rules of its own.
        if event.type == "m.room.member" {
            try checkMember(event, version: version, state: state)
            return
        }

        // 6. Everything else needs a joined sender.
        guard state.membership(of: event.sender) == "join" else {
            throw AuthFailure("\(event.sender) is not joined to the room")
        }

        // 7. Third-party invites need the invite level.
        if event.type == "m.room.third_party_invite" {
            guard levels.canInvite(event.sender) else {
                throw AuthFailure("\(event.sender) has power level \(levels.userLevel(event.sender)); m.room.third_party_invite needs the invite level \(levels.invite)")
            }
            return
        }

        // 8. The event type's required power level.
        let required = levels.eventLevel(type: event.type, isState: event.isState)
        guard levels.userLevel(event.sender) >= .level(required) else {
            throw AuthFailure("\(event.sender) has power level \(levels.userLevel(event.sender)); \(event.type) needs \(required)")
        }

        // 9. A state key naming a user belongs to that user.
        if let key = event.stateKey, key.hasPrefix("@"), key != event.sender {
            throw AuthFailure("state_key \(key) starts with '@' and is not the sender \(event.sender)")
        }

        // 10. Power levels changes.
        if event.type == "m.room.power_levels" {
            try checkPowerLevels(event, version: version, state: state)
            return
        }

        // v1–v2 rule 11: redaction is an auth rule.
        if version.redactionAuthRule, event.type == "m.room.redaction" {
            try checkRedaction(event, levels: levels)
        }
        // 11. Otherwise, allow.
    }

    /// The server part of a user ID (after the first `:`), or nil when it has none.
    static func serverName(_ id: String) -> String? {
        id.firstIndex(of: ":").map { String(id[id.index(after: $0)...]) }
    }
}
