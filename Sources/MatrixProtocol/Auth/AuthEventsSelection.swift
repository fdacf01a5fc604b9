extension AuthRules {
    /// The state keys an event's `auth_events` are chosen from (server-server API, "Auth events
    /// selection"), in this order:
    /// - the create event, except in v12, where the room ID implies it;
    /// - the power levels event; the sender's member event;
    /// - for `m.room.member`: the target's member event; the join rules for `join`, `invite` and
    ///   `knock`; for an `invite` with `third_party_invite`, the `m.room.third_party_invite`
    ///   whose state key is `signed.token`; for a `join` with `join_authorised_via_users_server`
    ///   in a version with restricted rooms (v8+), that user's member event.
    ///
    /// Each is included "if any": pick the keys present in the state. The create event itself
    /// has no auth events.
    public static func authEventKeys(for type: String, stateKey: String?, sender: String, content: JSONObject,
                                     version: RoomVersion) -> [StateKey] {
        guard type != "m.room.create" else { return [] }
        var keys: [StateKey] = version.hashedRoomIDs ? [] : [.create]
        keys += [.powerLevels, .member(sender)]
        guard type == "m.room.member", let target = stateKey else { return keys }
        func add(_ key: StateKey) { if !keys.contains(key) { keys.append(key) } }
        add(.member(target))
        let membership = content["membership"]?.stringValue
        if membership == "join" || membership == "invite" || membership == "knock" { add(.joinRules) }
        if membership == "invite", let token = content["third_party_invite"]?["signed"]?["token"]?.stringValue {
            add(StateKey("m.room.third_party_invite", token))
        }
        if membership == "join", version.restrictedJoins,
           let via = content["join_authorised_via_users_server"]?.stringValue {
            add(.member(via))
        }
        return keys
    }
}
