extension AuthRules {
    /// Keys holding a single level.
    static let powerLevelScalarKeys = ["users_default", "events_default", "state_default", "ban", "redact", "kick", "invite"]

    /// Rule 10: `m.room.power_levels` (v6–v11: rule 9).
    static func checkPowerLevels(_ event: PDU, version: RoomVersion, state: AuthState) throws(AuthFailure) {
        let content = event.content
        try checkPowerLevelShapes(content, version: version)
        let new = PowerLevels(content: content, creators: state.powerLevels.creators, version: version)
        // 10.4 (v12): creators' power is not the power levels event's to give or take.
        if new.creatorsHaveInfinitePower, let users = content["users"]?.objectValue,
           let creator = users.keys.first(where: new.creators.contains) {
            throw AuthFailure("power levels users lists \(creator), a room creator")
        }
        // 10.5: the room's first power levels event.
        let old = state.powerLevels
        guard old.exists else { return }
        let senderLevel = old.userLevel(event.sender)
        func read(_ value: JSONValue?) -> Int64? { value.flatMap { PowerLevels.parse($0, version: version) } }

        // 10.6: a changed threshold must be within the sender's power, before and after.
        for key in powerLevelScalarKeys {
            let before = read(old.content[key]), after = read(content[key])
            guard before != after else { continue }
            if let before, .level(before) > senderLevel {
                throw AuthFailure("\(event.sender) (power level \(senderLevel)) cannot change \(key) from \(before)")
            }
            if let after, .level(after) > senderLevel {
                throw AuthFailure("\(event.sender) (power level \(senderLevel)) cannot set \(key) to \(after)")
            }
        }
        // 10.7–10.8: the same for each `events` entry (and `notifications`, v6+).
        let maps = version.notificationsPowerLevels ? ["events", "notifications"] : ["events"]
        for map in maps {
            let before = old.content[map]?.objectValue ?? JSONObject(), after = content[map]?.objectValue ?? JSONObject()
            for name in Set(before.keys).union(after.keys).sorted() {
                let was = read(before[name]), will = read(after[name])
                guard was != will else { continue }
                if let was, .level(was) > senderLevel {
                    throw AuthFailure("\(event.sender) (power level \(senderLevel)) cannot change \(map).\(name) from \(was)")
                }
                if let will, .level(will) > senderLevel {
                    throw AuthFailure("\(event.sender) (power level \(senderLevel)) cannot set \(map).\(name) to \(will)")
                }
            }
        }
        // 10.9–10.10: users above or level with the sender keep their level; nobody is raised
        // above the sender. The sender may lower themselves.
        let before = old.content["users"]?.objectValue ?? JSONObject(), after = content["users"]?.objectValue ?? JSONObject()
        for user in Set(before.keys).union(after.keys).sorted() {
            let was = read(before[user]), will = read(after[user])
            guard was != will else { continue }
            if let was, user != event.sender, .level(was) >= senderLevel {
                throw AuthFailure("\(event.sender) (power level \(senderLevel)) cannot change the level of \(user), who has \(was)")
            }
            if let will, .level(will) > senderLevel {
                throw AuthFailure("\(event.sender) (power level \(senderLevel)) cannot give \(user) power level \(will)")
            }
        }
        // 10.11: allow.
    }

    /// Rules 10.1–10.3: every value a level of this version (integers v10+; integer strings
    /// before; floats v1–v5), `users` keyed by user IDs.
    ///
    /// v1–v9's rule text checks only `users`; the other keys are held to the same value grammar
    /// here, as Synapse, ruma and gomatrixserverlib do (they cannot compare a value they cannot
    /// read), so an unreadable threshold never enters the room state.
    static func checkPowerLevelShapes(_ content: JSONObject, version: RoomVersion) throws(AuthFailure) {
        let kind = version.integerPowerLevels ? "an integer" : version.floatPowerLevels
            ? "an integer, integer string or number" : "an integer or integer string"
        for key in powerLevelScalarKeys {
            if let v = content[key], PowerLevels.parse(v, version: version) == nil {
                throw AuthFailure("power levels \(key) is \(v.encodedString()), not \(kind)")
            }
        }
        for key in ["events", "notifications"] {
            guard let v = content[key] else { continue }
            guard let object = v.objectValue else { throw AuthFailure("power levels \(key) is not an object") }
            for (name, value) in object where PowerLevels.parse(value, version: version) == nil {
                throw AuthFailure("power levels \(key).\(name) is \(value.encodedString()), not \(kind)")
            }
        }
        if let users = content["users"] {
            guard let object = users.objectValue else { throw AuthFailure("power levels users is not an object") }
            for (user, value) in object {
                guard (try? UserID(user)) != nil else { throw AuthFailure("power levels users has \(user), which is not a valid user ID") }
                guard PowerLevels.parse(value, version: version) != nil else {
                    throw AuthFailure("power levels users.\(user) is \(value.encodedString()), not \(kind)")
                }
            }
        }
    }
}
