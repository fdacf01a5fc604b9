import Testing
@testable import MatrixProtocol

/// The auth events selection and the rules about an event's listed auth events.
@Suite struct AuthRulesAuthEventsTests {
    func keys(_ type: String, _ stateKey: String?, _ sender: String, _ content: JSONObject, _ v: String) -> [StateKey] {
        AuthRules.authEventKeys(for: type, stateKey: stateKey, sender: sender, content: content, version: RoomVersion.named(v)!)
    }

    @Test func selection() {
        #expect(keys("m.room.create", "", "@a:x", [:], "10").isEmpty)
        #expect(keys("m.room.message", nil, "@a:x", [:], "11") == [.create, .powerLevels, .member("@a:x")])
        #expect(keys("m.room.message", nil, "@a:x", [:], "12") == [.powerLevels, .member("@a:x")])
        #expect(keys("m.room.member", "@b:x", "@a:x", ["membership": "invite"], "10")
            == [.create, .powerLevels, .member("@a:x"), .member("@b:x"), .joinRules])
        #expect(keys("m.room.member", "@a:x", "@a:x", ["membership": "leave"], "10") == [.create, .powerLevels, .member("@a:x")])
        #expect(keys("m.room.member", "@a:x", "@a:x", ["membership": "knock"], "7") == [.create, .powerLevels, .member("@a:x"), .joinRules])
        let tpi: JSONObject = ["membership": "invite", "third_party_invite": ["signed": ["token": "tok", "mxid": "@b:x"]]]
        #expect(keys("m.room.member", "@b:x", "@a:x", tpi, "10").last == StateKey("m.room.third_party_invite", "tok"))
        let via: JSONObject = ["membership": "join", "join_authorised_via_users_server": "@c:x"]
        #expect(keys("m.room.member", "@a:x", "@a:x", via, "8").last == .member("@c:x"))
        #expect(!keys("m.room.member", "@a:x", "@a:x", via, "7").contains(.member("@c:x")))
    }

    func room(_ v: String) throws -> AuthTestRoom {
        var room = try AuthTestRoom(v, joinRule: "invite")
        try room.setMember("@bob:x", "invite", by: "@alice:x")
        return room
    }

    /// bob joins an invite-only room with the auth events the selection picks.
    func join(_ room: AuthTestRoom, authEvents: [PDU]) throws -> PDU {
        var json = try room.member("@bob:x", "join").json
        json["auth_events"] = JSONValue.array(authEvents.map { .string($0.eventID) })
        return try PDU(json: json, version: room.version, eventID: "$join:x")
    }

    func selected(_ room: AuthTestRoom) -> [PDU] {
        [.create, .powerLevels, .member("@bob:x"), .joinRules].compactMap { room.state[$0] }
            .filter { !(room.version.hashedRoomIDs && $0.type == "m.room.create") }
    }

    @Test func validAuthEvents() throws {
        for v in ["1", "10", "12"] {
            let room = try room(v)
            let auth = selected(room)
            let event = try join(room, authEvents: auth)
            try AuthRules.checkAuthEvents(event, authEvents: auth, version: room.version)
            try AuthRules.check(event, authEvents: auth, create: room.create, version: room.version)
        }
    }

    func failure(_ body: () throws(AuthFailure) -> Void) -> String? {
        do throws(AuthFailure) { try body(); return nil } catch { return error.reason }
    }

    @Test func rejectedAuthEvents() throws {
        let room = try room("10")
        let auth = selected(room)
        let event = try join(room, authEvents: auth)
        // 2.1: two events for one key.
        let otherRules = try room.event("m.room.join_rules", "", "@alice:x", ["join_rule": "public"], id: "$jr2:x")
        let twice = try join(room, authEvents: auth + [otherRules])
        #expect(failure { () throws(AuthFailure) in try AuthRules.checkAuthEvents(twice, authEvents: auth + [otherRules], version: room.version) }?
            .contains("two events for m.room.join_rules|") == true)
        // 2.2: a key the selection does not pick.
        let topic = try room.event("m.room.topic", "", "@alice:x", ["topic": "t"], id: "$topic:x")
        let extra = try join(room, authEvents: auth + [topic])
        #expect(failure { () throws(AuthFailure) in try AuthRules.checkAuthEvents(extra, authEvents: auth + [topic], version: room.version) }?
            .contains("is not one the auth events selection picks") == true)
        // 2.3: a rejected auth event.
        #expect(failure { () throws(AuthFailure) in
            try AuthRules.checkAuthEvents(event, authEvents: auth, version: room.version, rejected: [room.state[.joinRules]!.eventID])
        }?.contains("was rejected") == true)
        // 2.4: no create event (v1–v11).
        let noCreate = auth.filter { $0.type != "m.room.create" }
        let withoutCreate = try join(room, authEvents: noCreate)
        #expect(failure { () throws(AuthFailure) in try AuthRules.checkAuthEvents(withoutCreate, authEvents: noCreate, version: room.version) }?
            .contains("no m.room.create") == true)
        // 2.5: an auth event from another room.
        let foreign = try room.event("m.room.power_levels", "", "@alice:x", ["users": ["@alice:x": 100]], id: "$pl:x", roomID: "!else:x")
        let mixed = auth.filter { $0.type != "m.room.power_levels" } + [foreign]
        let fromElsewhere = try join(room, authEvents: mixed)
        #expect(failure { () throws(AuthFailure) in try AuthRules.checkAuthEvents(fromElsewhere, authEvents: mixed, version: room.version) }?
            .contains("belongs to room !else:x") == true)
        // The state rules see it too: state read from another room never authorises.
        var state = room.state
        state[.powerLevels] = foreign
        #expect(failure { () throws(AuthFailure) in try AuthRules.check(event, version: room.version) { state[$0] } }?
            .contains("belongs to room !else:x") == true)
        // Listed but not supplied.
        #expect(failure { () throws(AuthFailure) in try AuthRules.checkAuthEvents(event, authEvents: Array(auth.dropLast()), version: room.version) }?
            .contains("is unknown") == true)
        // The auth events decide, not the room's later state: without bob's invite he cannot join.
        let short = auth.filter { $0.stateKey != "@bob:x" }
        let uninvited = try join(room, authEvents: short)
        #expect(failure { () throws(AuthFailure) in try AuthRules.check(uninvited, authEvents: short, version: room.version) }?
            .contains("not invited") == true)
    }

    /// v12: the create event is implied by the room ID, never listed.
    @Test func v12CreateIsNeverAnAuthEvent() throws {
        let room = try room("12")
        let listed = selected(room) + [room.create]
        let event = try join(room, authEvents: listed)
        #expect(failure { () throws(AuthFailure) in try AuthRules.checkAuthEvents(event, authEvents: listed, version: room.version) }?
            .contains("m.room.create|") == true)
        let auth = selected(room)
        let ok = try join(room, authEvents: auth)
        #expect(failure { () throws(AuthFailure) in try AuthRules.check(ok, authEvents: auth, version: room.version) }?
            .contains("no m.room.create") == true, "the create event must be passed")
        #expect(failure { () throws(AuthFailure) in
            try AuthRules.check(ok, authEvents: auth, create: room.create, version: room.version, rejected: [room.create.eventID])
        }?.contains("was rejected") == true)
    }

    @Test func requiredSigningServers() throws {
        let v1 = try AuthTestRoom("1")
        let remoteID = try v1.event("m.room.message", nil, "@alice:x", ["body": "b"], id: "$m:y")
        #expect(AuthRules.requiredSigningServers(of: remoteID, version: v1.version) == ["x", "y"])
        let v3 = try AuthTestRoom("3")
        #expect(AuthRules.requiredSigningServers(of: try v3.event("m.room.message", nil, "@alice:x", [:], id: "$m:y"), version: v3.version) == ["x"])
        let via: JSONObject = ["join_authorised_via_users_server": "@admin:z"]
        for (v, expected) in [("7", ["x"]), ("8", ["x", "z"])] {
            let room = try AuthTestRoom(v, joinRule: "restricted")
            #expect(AuthRules.requiredSigningServers(of: try room.member("@bob:x", "join", via), version: room.version) == expected)
        }
    }
}
