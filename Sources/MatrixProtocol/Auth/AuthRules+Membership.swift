extension AuthRules {
    /// Rule 5: `m.room.member` events (v6–v11: rule 4).
    static func checkMember(_ event: PDU, version: RoomVersion, state: AuthState) throws(AuthFailure) {
        // 5.1: a target and a membership.
        guard let target = event.stateKey else { throw AuthFailure("m.room.member has no state_key") }
        guard let membership = event.content["membership"] else { throw AuthFailure("m.room.member has no content.membership") }
        // 5.2 (v8+): a join_authorised_via_users_server join must be signed by that user's
        // server. That is a signature check, done with the other signatures before auth
        // (`requiredSigningServers(of:version:)` lists the server).
        switch membership.stringValue {
        case "join": try checkJoin(event, target: target, version: version, state: state)
        case "invite": try checkInvite(event, target: target, version: version, state: state)
        case "leave": try checkLeave(event, target: target, version: version, state: state)
        case "ban": try checkBan(event, target: target, state: state)
        case "knock" where version.knocking: try checkKnock(event, target: target, version: version, state: state)
        default:
            // 5.8: unknown (and `knock` before v7).
            throw AuthFailure("membership \(membership.encodedString()) is unknown in room version \(version)")
        }
    }

    /// 5.3: `join`.
    static func checkJoin(_ event: PDU, target: String, version: RoomVersion, state: AuthState) throws(AuthFailure) {
        // 5.3.1: the creator's first join, right after the create event. v1–v10 name the creator
        // in content.creator, v11+ it is the create event's sender. The rule looks at the state
        // key alone (as Synapse does), not at the sender.
        let creator = version.creatorIsSender ? state.create.sender : state.create.content["creator"]?.stringValue
        if event.prevEvents == [state.create.eventID], target == creator { return }
        // 5.3.2: only yourself.
        guard event.sender == target else { throw AuthFailure("\(event.sender) cannot join the room on behalf of \(target)") }
        let current = state.membership(of: target)
        // 5.3.3
        guard current != "ban" else { throw AuthFailure("\(target) is banned from the room") }
        let rule = state.joinRule
        // 5.3.4: invite-only rooms (and, from v7, knock rooms) need an invite, or a join already.
        if rule == "invite" || (version.knocking && rule == "knock") {
            guard current == "invite" || current == "join" else {
                throw AuthFailure("the join rule is \(rule) and \(target) is not invited")
            }
            return
        }
        // 5.3.5: restricted rooms (v8+; knock_restricted v10+) accept members and invitees, or a
        // join authorised by a joined user who may invite.
        if (version.restrictedJoins && rule == "restricted") || (version.knockRestricted && rule == "knock_restricted") {
            if current == "join" || current == "invite" { return }
            guard let via = event.content["join_authorised_via_users_server"]?.stringValue else {
                throw AuthFailure("the join rule is \(rule), \(target) is not invited and the join has no join_authorised_via_users_server")
            }
            guard state.membership(of: via) == "join" else {
                throw AuthFailure("\(via) cannot authorise joins: not joined to the room")
            }
            guard state.powerLevels.canInvite(via) else {
                throw AuthFailure("\(via) cannot authorise joins: power level \(state.powerLevels.userLevel(via)) is below the invite level \(state.powerLevels.invite)")
            }
            return
        }
        // 5.3.6–5.3.7
        guard rule == "public" else { throw AuthFailure("the join rule \(rule) does not let \(target) join in room version \(version)") }
    }

    /// 5.4: `invite`.
    static func checkInvite(_ event: PDU, target: String, version: RoomVersion, state: AuthState) throws(AuthFailure) {
        let current = state.membership(of: target)
        // 5.4.1: an invite for a third-party identifier.
        if let invite = event.content["third_party_invite"] {
            try checkThirdPartyInvite(event, invite: invite, target: target, version: version, state: state)
            return
        }
        // 5.4.2
        guard state.membership(of: event.sender) == "join" else {
            throw AuthFailure("\(event.sender) is not joined to the room and cannot invite")
        }
        // 5.4.3
        guard current != "join", current != "ban" else {
            throw AuthFailure("\(target) is \(current == "join" ? "already joined" : "banned") and cannot be invited")
        }
        // 5.4.4–5.4.5
        guard state.powerLevels.canInvite(event.sender) else {
            throw AuthFailure("\(event.sender) has power level \(state.powerLevels.userLevel(event.sender)); inviting needs \(state.powerLevels.invite)")
        }
    }

    /// 5.5: `leave` (leaving, rejecting an invite, retracting a knock, kicking, unbanning).
    static func checkLeave(_ event: PDU, target: String, version: RoomVersion, state: AuthState) throws(AuthFailure) {
        let current = state.membership(of: target)
        // 5.5.1: yourself, from invite or join (and knock, v7+).
        if event.sender == target {
            guard current == "invite" || current == "join" || (version.knocking && current == "knock") else {
                throw AuthFailure("\(target) cannot leave: membership is \(current ?? "none")")
            }
            return
        }
        // 5.5.2
        guard state.membership(of: event.sender) == "join" else {
            throw AuthFailure("\(event.sender) is not joined to the room and cannot kick or unban")
        }
        let levels = state.powerLevels
        let senderLevel = levels.userLevel(event.sender), targetLevel = levels.userLevel(target)
        // 5.5.3: unbanning needs the ban level.
        if current == "ban", senderLevel < .level(levels.ban) {
            throw AuthFailure("\(event.sender) has power level \(senderLevel); unbanning needs the ban level \(levels.ban)")
        }
        // 5.5.4–5.5.5
        guard senderLevel >= .level(levels.kick) else {
            throw AuthFailure("\(event.sender) has power level \(senderLevel); kicking needs \(levels.kick)")
        }
        guard targetLevel < senderLevel else {
            throw AuthFailure("\(event.sender) (power level \(senderLevel)) cannot remove \(target) (power level \(targetLevel))")
        }
    }

    /// 5.6: `ban`.
    static func checkBan(_ event: PDU, target: String, state: AuthState) throws(AuthFailure) {
        // 5.6.1
        guard state.membership(of: event.sender) == "join" else {
            throw AuthFailure("\(event.sender) is not joined to the room and cannot ban")
        }
        // 5.6.2–5.6.3
        let levels = state.powerLevels
        let senderLevel = levels.userLevel(event.sender), targetLevel = levels.userLevel(target)
        guard senderLevel >= .level(levels.ban) else {
            throw AuthFailure("\(event.sender) has power level \(senderLevel); banning needs \(levels.ban)")
        }
        guard targetLevel < senderLevel else {
            throw AuthFailure("\(event.sender) (power level \(senderLevel)) cannot ban \(target) (power level \(targetLevel))")
        }
    }

    /// 5.7 (v7+): `knock`.
    static func checkKnock(_ event: PDU, target: String, version: RoomVersion, state: AuthState) throws(AuthFailure) {
        // 5.7.1: knock rooms (and knock_restricted, v10+).
        let rule = state.joinRule
        guard rule == "knock" || (version.knockRestricted && rule == "knock_restricted") else {
            throw AuthFailure("the join rule \(rule) does not allow knocking in room version \(version)")
        }
        // 5.7.2
        guard event.sender == target else { throw AuthFailure("\(event.sender) cannot knock on behalf of \(target)") }
        // 5.7.3–5.7.4
        let current = state.membership(of: target)
        guard current != "ban", current != "invite", current != "join" else {
            throw AuthFailure("\(target) cannot knock: membership is \(current ?? "none")")
        }
    }
}
