import Sodium

/// Why the authorization rules rejected an event.
public struct AuthFailure: Error, Equatable, Sendable, CustomStringConvertible {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// The authorization rules of every room version (spec `content/rooms/v*.md`); the rule numbers
/// in comments are v12's, with the older versions' differences said where they apply.
public enum AuthRules {
    /// Checks `event` against the rules of `version`. `state` answers the state the rules read
    /// (the event's auth events, or the room state before it); for v12 it must answer the
    /// create event too, which is never listed in `auth_events`.
    public static func check(_ event: PDU, version: RoomVersion, state: (StateKey) -> PDU?) throws(AuthFailure) {
        // 1. Create.
        if event.type == "m.room.create" {
            try checkCreate(event, version: version)
            return
        }
        guard let create = state(.create) else { throw AuthFailure("no m.room.create event in the room state") }
        if version.hashedRoomIDs {
            // 2 (v12). The room ID names the create event.
            guard event.roomID == "!" + create.eventID.dropFirst() else {
                throw AuthFailure("room_id \(event.roomID) is not the ID of the room's create event")
            }
        } else if create.roomID != event.roomID {
            throw AuthFailure("the create event belongs to another room")
        }
        let senderDomain = domain(of: event.sender)
        // 4. m.federate.
        if create.content["m.federate"] == .bool(false), senderDomain != domain(of: create.sender) {
            throw AuthFailure("the room does not federate and \(event.sender) is from another server")
        }
        // Aliases (v1–v5).
        if version.aliasesAuthRule, event.type == "m.room.aliases" {
            guard let key = event.stateKey else { throw AuthFailure("m.room.aliases without a state_key") }
            guard key == senderDomain else { throw AuthFailure("m.room.aliases state_key must be the sender's server") }
            return
        }
        let levels = PowerLevels(event: state(.powerLevels), create: create, version: version)
        // 5. Membership.
        if event.type == "m.room.member" {
            try checkMember(event, version: version, create: create, levels: levels, state: state)
            return
        }
        // 6. The sender must be joined.
        guard membership(event.sender, state) == "join" else { throw AuthFailure("\(event.sender) is not joined to the room") }
        // 7. Third-party invites need the invite level.
        if event.type == "m.room.third_party_invite" {
            guard levels.userLevel(event.sender) >= .level(levels.invite) else {
                throw AuthFailure("\(event.sender) may not invite (power level below \(levels.invite))")
            }
            return
        }
        // 8. The event type's required level.
        let required = levels.eventLevel(type: event.type, isState: event.isState)
        guard levels.userLevel(event.sender) >= .level(required) else {
            throw AuthFailure("\(event.sender) has power level \(levels.userLevel(event.sender)), \(event.type) needs \(required)")
        }
        // 9. A state key naming a user belongs to that user.
        if let key = event.stateKey, key.hasPrefix("@"), key != event.sender {
            throw AuthFailure("state_key \(key) names another user than the sender")
        }
        // 10. Power levels.
        if event.type == "m.room.power_levels" {
            try checkPowerLevels(event, version: version, create: create, levels: levels)
            return
        }
        // v1–v2: redactions are an auth rule.
        if version.redactionAuthRule, event.type == "m.room.redaction" {
            // The rule compares the redacted event's ID, so a redaction must name one.
            guard let target = event.redacts, (try? EventID(target)) != nil else {
                throw AuthFailure("redaction without a valid redacts event ID")
            }
            if levels.userLevel(event.sender) >= .level(levels.redact) { return }
            if let target = event.redacts, domain(ofEventID: target) != nil, domain(ofEventID: target) == domain(ofEventID: event.eventID) {
                return
            }
            throw AuthFailure("\(event.sender) may not redact \(event.redacts ?? "?")")
        }
        // 11. Otherwise, allow.
    }

    static func checkCreate(_ event: PDU, version: RoomVersion) throws(AuthFailure) {
        // The event schema makes the create event a state event with an empty state key.
        guard event.stateKey == "" else { throw AuthFailure("the create event must have an empty state_key") }
        guard event.prevEvents.isEmpty else { throw AuthFailure("the create event has prev_events") }
        if version.hashedRoomIDs {
            guard event.json["room_id"] == nil else { throw AuthFailure("a v12 create event must not have a room_id") }
        } else {
            guard let room = try? RoomID(event.roomID), let server = room.server,
                  let sender = try? UserID(event.sender), sender.server == server else {
                throw AuthFailure("the room ID's server is not the sender's server")
            }
        }
        guard (try? UserID(event.sender)) != nil else { throw AuthFailure("sender \(event.sender) is not a valid user ID") }
        if let v = event.content["room_version"] {
            guard let id = v.stringValue, RoomVersion.named(id) != nil else { throw AuthFailure("unknown room_version \(v)") }
        }
        if !version.creatorIsSender {
            guard event.content["creator"]?.stringValue != nil else { throw AuthFailure("the create event has no creator") }
        }
        if version.hashedRoomIDs, let extra = event.content["additional_creators"] {
            guard let list = extra.arrayValue, list.allSatisfy({ $0.stringValue.flatMap { try? UserID($0) } != nil }) else {
                throw AuthFailure("additional_creators must be an array of user IDs")
            }
        }
    }

    static func checkMember(_ event: PDU, version: RoomVersion, create: PDU, levels: PowerLevels,
                            state: (StateKey) -> PDU?) throws(AuthFailure) {
        guard let target = event.stateKey else { throw AuthFailure("member event without a state_key") }
        guard let newMembership = event.content["membership"]?.stringValue else { throw AuthFailure("member event without membership") }
        let senderMembership = membership(event.sender, state)
        let targetMembership = membership(target, state)
        let joinRule = state(.joinRules)?.content["join_rule"]?.stringValue ?? "invite"
        let senderLevel = levels.userLevel(event.sender), targetLevel = levels.userLevel(target)

        switch newMembership {
        case "join":
            // 5.3.1: the creator's first join. As written in the spec (and as Synapse does), the
            // shortcut looks at the state_key only, not the sender.
            let creator = version.creatorIsSender ? create.sender : create.content["creator"]?.stringValue
            if event.prevEvents.count == 1, event.prevEvents[0] == create.eventID, target == creator {
                return
            }
            guard event.sender == target else { throw AuthFailure("\(event.sender) cannot join on behalf of \(target)") }
            guard senderMembership != "ban" else { throw AuthFailure("\(target) is banned") }
            let inviteRules = version.knocking ? ["invite", "knock"] : ["invite"]
            let restrictedRules = version.knockRestricted ? ["restricted", "knock_restricted"] : version.restrictedJoins ? ["restricted"] : []
            if inviteRules.contains(joinRule) {
                guard senderMembership == "invite" || senderMembership == "join" else {
                    throw AuthFailure("the room is invite-only and \(target) is not invited")
                }
                return
            }
            if restrictedRules.contains(joinRule) {
                if senderMembership == "invite" || senderMembership == "join" { return }
                guard let via = event.content["join_authorised_via_users_server"]?.stringValue else {
                    throw AuthFailure("restricted join without join_authorised_via_users_server")
                }
                guard membership(via, state) == "join", levels.userLevel(via) >= .level(levels.invite) else {
                    throw AuthFailure("\(via) cannot authorise joins (not joined, or below the invite level)")
                }
                return
            }
            guard joinRule == "public" else { throw AuthFailure("join rule \(joinRule) does not allow \(target) to join") }
        case "invite":
            if let tpi = event.content["third_party_invite"] {
                try checkThirdPartyInvite(event, tpi: tpi, target: target, targetMembership: targetMembership, state: state)
                return
            }
            guard senderMembership == "join" else { throw AuthFailure("\(event.sender) is not joined and cannot invite") }
            guard targetMembership != "join", targetMembership != "ban" else {
                throw AuthFailure("\(target) is \(targetMembership ?? "") and cannot be invited")
            }
            guard senderLevel >= .level(levels.invite) else {
                throw AuthFailure("\(event.sender) has power level \(senderLevel), inviting needs \(levels.invite)")
            }
        case "leave":
            if event.sender == target {
                let leavable = version.knocking ? ["invite", "join", "knock"] : ["invite", "join"]
                guard let m = senderMembership, leavable.contains(m) else { throw AuthFailure("\(target) is not in the room to leave it") }
                return
            }
            guard senderMembership == "join" else { throw AuthFailure("\(event.sender) is not joined") }
            if targetMembership == "ban", senderLevel < .level(levels.ban) {
                throw AuthFailure("\(event.sender) may not unban (power level below \(levels.ban))")
            }
            guard senderLevel >= .level(levels.kick), targetLevel < senderLevel else {
                throw AuthFailure("\(event.sender) may not kick \(target)")
            }
        case "ban":
            guard senderMembership == "join" else { throw AuthFailure("\(event.sender) is not joined") }
            guard senderLevel >= .level(levels.ban), targetLevel < senderLevel else {
                throw AuthFailure("\(event.sender) may not ban \(target)")
            }
        case "knock" where version.knocking:
            let knockRules = version.knockRestricted ? ["knock", "knock_restricted"] : ["knock"]
            guard knockRules.contains(joinRule) else { throw AuthFailure("join rule \(joinRule) does not allow knocking") }
            guard event.sender == target else { throw AuthFailure("\(event.sender) cannot knock for \(target)") }
            guard senderMembership != "ban", senderMembership != "invite", senderMembership != "join" else {
                throw AuthFailure("\(target) is \(senderMembership ?? "") and cannot knock")
            }
        default:
            throw AuthFailure("unknown membership \(newMembership)")
        }
    }

    static func checkThirdPartyInvite(_ event: PDU, tpi: JSONValue, target: String, targetMembership: String?,
                                      state: (StateKey) -> PDU?) throws(AuthFailure) {
        guard targetMembership != "ban" else { throw AuthFailure("\(target) is banned") }
        guard let signed = tpi["signed"]?.objectValue else { throw AuthFailure("third_party_invite has no signed object") }
        guard let mxid = signed["mxid"]?.stringValue, let token = signed["token"]?.stringValue else {
            throw AuthFailure("third_party_invite.signed lacks mxid or token")
        }
        guard mxid == target else { throw AuthFailure("third_party_invite mxid does not match the state_key") }
        guard let invite = state(StateKey("m.room.third_party_invite", token)) else {
            throw AuthFailure("no m.room.third_party_invite with token \(token)")
        }
        guard invite.sender == event.sender else { throw AuthFailure("the third-party invite was sent by someone else") }
        var keys: [String] = []
        if let k = invite.content["public_key"]?.stringValue { keys.append(k) }
        for entry in invite.content["public_keys"]?.arrayValue ?? [] {
            if let k = entry["public_key"]?.stringValue { keys.append(k) }
        }
        for (server, byKey) in signed["signatures"]?.objectValue ?? [:] {
            for keyID in byKey.objectValue?.keys ?? [] {
                for key in keys {
                    guard let bytes = Base64.decode(key) else { continue }
                    if (try? JSONSigning.verify(signed, entity: server, keyID: keyID, publicKey: bytes)) != nil { return }
                }
            }
        }
        throw AuthFailure("no signature in third_party_invite.signed matches the invite's public keys")
    }

    static func checkPowerLevels(_ event: PDU, version: RoomVersion, create: PDU, levels: PowerLevels) throws(AuthFailure) {
        let content = event.content
        let scalarKeys = ["users_default", "events_default", "state_default", "ban", "redact", "kick", "invite"]
        // 10.1–10.3: value shapes (integers from v10; stringy/floaty values parse before).
        for key in scalarKeys {
            if let v = content[key], PowerLevels.parse(v, version: version) == nil {
                throw AuthFailure("power level \(key) is not an integer")
            }
        }
        for key in ["events", "notifications"] {
            guard let v = content[key] else { continue }
            guard let object = v.objectValue, object.allSatisfy({ PowerLevels.parse($0.value, version: version) != nil }) else {
                throw AuthFailure("power levels \(key) must map to integers")
            }
        }
        if let users = content["users"] {
            guard let object = users.objectValue else { throw AuthFailure("power levels users must be an object") }
            for (user, value) in object {
                guard (try? UserID(user)) != nil else { throw AuthFailure("power levels users has an invalid user ID \(user)") }
                guard PowerLevels.parse(value, version: version) != nil else { throw AuthFailure("power level of \(user) is not an integer") }
            }
        }
        let new = PowerLevels(event: event, create: create, version: version)
        // 10.4 (v12): creators cannot appear in users.
        if version.hashedRoomIDs, let users = content["users"]?.objectValue, users.keys.contains(where: new.creators.contains) {
            throw AuthFailure("power levels users may not list a room creator")
        }
        // 10.5: the first power levels event is allowed.
        guard levels.exists else { return }
        let senderLevel = levels.userLevel(event.sender)
        // 10.6
        for key in scalarKeys {
            let old = levels.content[key].flatMap { PowerLevels.parse($0, version: version) }
            let updated = content[key].flatMap { PowerLevels.parse($0, version: version) }
            guard old != updated else { continue }
            if let old, .level(old) > senderLevel { throw AuthFailure("\(key) was \(old), above the sender's \(senderLevel)") }
            if let updated, .level(updated) > senderLevel { throw AuthFailure("\(key) would be \(updated), above the sender's \(senderLevel)") }
        }
        // 10.7–10.8
        let maps = version.notificationsPowerLevels ? ["events", "notifications"] : ["events"]
        for key in maps {
            let old = levels.content[key]?.objectValue ?? [:], updated = content[key]?.objectValue ?? [:]
            for name in Set(old.keys).union(updated.keys) {
                let o = old[name].flatMap { PowerLevels.parse($0, version: version) }
                let n = updated[name].flatMap { PowerLevels.parse($0, version: version) }
                guard o != n else { continue }
                if let o, .level(o) > senderLevel { throw AuthFailure("\(key).\(name) was \(o), above the sender's \(senderLevel)") }
                if let n, .level(n) > senderLevel { throw AuthFailure("\(key).\(name) would be \(n), above the sender's \(senderLevel)") }
            }
        }
        // 10.9–10.10
        let oldUsers = levels.content["users"]?.objectValue ?? [:], newUsers = content["users"]?.objectValue ?? [:]
        for user in Set(oldUsers.keys).union(newUsers.keys) {
            let o = oldUsers[user].flatMap { PowerLevels.parse($0, version: version) }
            let n = newUsers[user].flatMap { PowerLevels.parse($0, version: version) }
            guard o != n else { continue }
            if let o, user != event.sender, .level(o) >= senderLevel {
                throw AuthFailure("\(user) has power level \(o), not below the sender's \(senderLevel)")
            }
            if let n, .level(n) > senderLevel { throw AuthFailure("\(user) would get \(n), above the sender's \(senderLevel)") }
        }
    }

    static func membership(_ user: String, _ state: (StateKey) -> PDU?) -> String? {
        state(.member(user))?.content["membership"]?.stringValue
    }

    static func domain(of userID: String) -> String? {
        userID.firstIndex(of: ":").map { String(userID[userID.index(after: $0)...]) }
    }

    static func domain(ofEventID id: String) -> String? {
        id.firstIndex(of: ":").map { String(id[id.index(after: $0)...]) }
    }

    /// The state keys an event's auth events are chosen from (server-server API "Auth events
    /// selection"); the create event is implied from v12.
    public static func authEventKeys(for type: String, stateKey: String?, sender: String, content: JSONObject,
                                     version: RoomVersion) -> [StateKey] {
        guard type != "m.room.create" else { return [] }
        var keys: [StateKey] = version.hashedRoomIDs ? [] : [.create]
        keys += [.powerLevels, .member(sender)]
        if type == "m.room.member", let target = stateKey {
            if target != sender { keys.append(.member(target)) }
            let membership = content["membership"]?.stringValue
            if membership == "join" || membership == "invite" || membership == "knock" { keys.append(.joinRules) }
            if membership == "invite", let token = content["third_party_invite"]?["signed"]?["token"]?.stringValue {
                keys.append(StateKey("m.room.third_party_invite", token))
            }
            if membership == "join", version.restrictedJoins,
               let via = content["join_authorised_via_users_server"]?.stringValue, via != sender {
                keys.append(.member(via))
            }
        }
        return keys
    }

    /// State-independent checks of an event's listed auth events (rule 3): no duplicate keys,
    /// only keys the selection allows, a create event (before v12), all from the same room.
    public static func checkAuthEvents(_ event: PDU, authEvents: [PDU], version: RoomVersion) throws(AuthFailure) {
        guard event.type != "m.room.create" else { return }
        let allowed = Set(authEventKeys(for: event.type, stateKey: event.stateKey, sender: event.sender,
                                        content: event.content, version: version))
        var seen: Set<StateKey> = []
        for auth in authEvents {
            guard let key = auth.stateKeyPair else { throw AuthFailure("auth event \(auth.eventID) is not a state event") }
            guard seen.insert(key).inserted else { throw AuthFailure("duplicate auth event for \(key)") }
            guard allowed.contains(key) else { throw AuthFailure("auth event \(auth.eventID) (\(key)) is not one the rules select") }
            guard auth.roomID == event.roomID else { throw AuthFailure("auth event \(auth.eventID) is from another room") }
        }
        if !version.hashedRoomIDs, !seen.contains(.create) { throw AuthFailure("no m.room.create among the auth events") }
    }
}
