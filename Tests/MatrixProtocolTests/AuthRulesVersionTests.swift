import Testing
@testable import MatrixProtocol

/// The per-version deltas of the auth rules, each reject path with its reason.
@Suite struct AuthRulesVersionTests {
    /// A small room: create by alice (creator), alice joined, power levels, join rules.
    struct Room {
        let version: RoomVersion
        var state: [StateKey: PDU] = [:]
        var roomID: String
        var counter = 0

        init(_ v: String, joinRule: String = "public", powerLevels: JSONObject = ["users": ["@alice:x": 100]],
             additionalCreators: [String] = []) throws {
            version = RoomVersion.named(v)!
            var create: JSONObject = ["type": "m.room.create", "state_key": "", "sender": "@alice:x",
                                      "content": ["room_version": .string(v)], "prev_events": [], "auth_events": []]
            if !version.creatorIsSender { create["content"] = ["room_version": .string(v), "creator": "@alice:x"] }
            if !additionalCreators.isEmpty { create["content"] = ["room_version": .string(v), "additional_creators": JSONValue(additionalCreators)] }
            if version.hashedRoomIDs {
                let pdu = try PDU(json: create, version: version, eventID: "$create")
                roomID = pdu.roomID
                state[.create] = pdu
            } else {
                roomID = "!room:x"
                create["room_id"] = .string(roomID)
                state[.create] = try PDU(json: create, version: version, eventID: "$create")
            }
            try add("m.room.member", "@alice:x", "@alice:x", ["membership": "join"])
            try add("m.room.power_levels", "", "@alice:x", powerLevels)
            try add("m.room.join_rules", "", "@alice:x", ["join_rule": .string(joinRule)])
        }

        func event(_ type: String, _ stateKey: String?, _ sender: String, _ content: JSONObject, prev: [String] = ["$x"]) throws -> PDU {
            var json: JSONObject = ["type": .string(type), "room_id": .string(roomID), "sender": .string(sender),
                                    "content": .object(content), "prev_events": JSONValue(prev), "auth_events": []]
            if let stateKey { json["state_key"] = .string(stateKey) }
            return try PDU(json: json, version: version, eventID: "$e\(type)\(stateKey ?? "")\(sender)\(content.count)")
        }

        func check(_ e: PDU) -> String? {
            do { try AuthRules.check(e, version: version) { state[$0] }; return nil } catch { return error.reason }
        }

        mutating func add(_ type: String, _ stateKey: String, _ sender: String, _ content: JSONObject) throws {
            counter += 1
            let e = try event(type, stateKey, sender, content)
            state[StateKey(type, stateKey)] = e
        }
    }

    @Test func knockingFromV7() throws {
        let old = try Room("6", joinRule: "knock")
        #expect(old.check(try old.event("m.room.member", "@bob:x", "@bob:x", ["membership": "knock"]))?.contains("unknown membership") == true)
        var room = try Room("7", joinRule: "knock")
        #expect(room.check(try room.event("m.room.member", "@bob:x", "@bob:x", ["membership": "knock"])) == nil)
        #expect(room.check(try room.event("m.room.member", "@bob:x", "@carol:x", ["membership": "knock"]))?.contains("cannot knock for") == true)
        let publicRoom = try Room("7", joinRule: "public")
        #expect(publicRoom.check(try publicRoom.event("m.room.member", "@bob:x", "@bob:x", ["membership": "knock"]))?.contains("does not allow knocking") == true)
        try room.add("m.room.member", "@bob:x", "@alice:x", ["membership": "ban"])
        #expect(room.check(try room.event("m.room.member", "@bob:x", "@bob:x", ["membership": "knock"]))?.contains("cannot knock") == true)

    }

    @Test func restrictedJoinsFromV8() throws {
        let room = try Room("8", joinRule: "restricted")
        let join = try room.event("m.room.member", "@bob:x", "@bob:x", ["membership": "join", "join_authorised_via_users_server": "@alice:x"])
        #expect(room.check(join) == nil)
        let noVia = try room.event("m.room.member", "@bob:x", "@bob:x", ["membership": "join"])
        #expect(room.check(noVia)?.contains("join_authorised_via_users_server") == true)
        let badVia = try room.event("m.room.member", "@bob:x", "@bob:x", ["membership": "join", "join_authorised_via_users_server": "@carol:x"])
        #expect(room.check(badVia)?.contains("cannot authorise") == true)
        let v7 = try Room("7", joinRule: "restricted")
        #expect(v7.check(join)?.contains("does not allow") == true)

        let v9 = try Room("9", joinRule: "knock_restricted")
        #expect(v9.check(join)?.contains("does not allow") == true)  // knock_restricted only from v10
        let v10 = try Room("10", joinRule: "knock_restricted")
        #expect(v10.check(join) == nil)
        #expect(v10.check(try v10.event("m.room.member", "@bob:x", "@bob:x", ["membership": "knock"])) == nil)
    }

    @Test func integerPowerLevelsFromV10() throws {
        let stringy: JSONObject = ["users": ["@alice:x": 100], "ban": "50"]
        let v9 = try Room("9")
        #expect(v9.check(try v9.event("m.room.power_levels", "", "@alice:x", stringy)) == nil)
        let v10 = try Room("10")
        #expect(v10.check(try v10.event("m.room.power_levels", "", "@alice:x", stringy))?.contains("not an integer") == true)
        let float: JSONObject = ["users": ["@alice:x": 100], "kick": 50.5]
        let v5 = try Room("5")
        #expect(v5.check(try v5.event("m.room.power_levels", "", "@alice:x", float)) == nil)
        let v6 = try Room("6")
        #expect(v6.check(try v6.event("m.room.power_levels", "", "@alice:x", float))?.contains("not an integer") == true)
        #expect(PowerLevels.parse(" +0042 ", version: v9.version) == 42)
        #expect(PowerLevels.parse("-7", version: v9.version) == -7)
        #expect(PowerLevels.parse("4 2", version: v9.version) == nil)
        #expect(PowerLevels.parse(.double(5.114698e4), version: v5.version) == 51146)
        #expect(PowerLevels.parse("42", version: v10.version) == nil)
    }

    @Test func powerLevelChangesNeedPower() throws {
        var room = try Room("10", powerLevels: ["users": ["@alice:x": 100, "@mod:x": 50]])
        try room.add("m.room.member", "@mod:x", "@mod:x", ["membership": "join"])
        let raiseSelf = try room.event("m.room.power_levels", "", "@mod:x", ["users": ["@alice:x": 100, "@mod:x": 100]])
        #expect(room.check(raiseSelf)?.contains("above the sender's") == true)
        let demoteAdmin = try room.event("m.room.power_levels", "", "@mod:x", ["users": ["@alice:x": 0, "@mod:x": 50]])
        #expect(room.check(demoteAdmin)?.contains("not below the sender's") == true)
        let badUser = try room.event("m.room.power_levels", "", "@alice:x", ["users": ["not-a-user": 10]])
        #expect(room.check(badUser)?.contains("invalid user ID") == true)
        let topic = try room.event("m.room.topic", "", "@mod:x", ["topic": "x"])
        #expect(room.check(topic) == nil)
        let name = try room.event("m.room.power_levels", "", "@alice:x", ["users": ["@alice:x": 100], "events": ["m.room.name": "x"]])
        #expect(room.check(name)?.contains("must map to integers") == true)
    }

    @Test func creatorIsSenderFromV11() throws {
        let v10 = try Room("10")
        var create = v10.state[.create]!.json
        create["content"] = ["room_version": "10"]
        #expect(v10.check(try PDU(json: create, version: v10.version, eventID: "$c2"))?.contains("no creator") == true)
        let v11 = try Room("11")
        var create11 = v11.state[.create]!.json
        create11["content"] = ["room_version": "11"]
        #expect(v11.check(try PDU(json: create11, version: v11.version, eventID: "$c3")) == nil)
    }

    @Test func v12CreatorsAndRoomIDs() throws {
        let room = try Room("12", powerLevels: ["users": [:]], additionalCreators: ["@bob:x"])
        #expect(!room.roomID.contains(":"))
        // Creators have infinite power without being listed.
        let name = try room.event("m.room.name", "", "@alice:x", ["name": "n"])
        #expect(room.check(name) == nil)
        let listsCreator = try room.event("m.room.power_levels", "", "@alice:x", ["users": ["@bob:x": 100]])
        #expect(room.check(listsCreator)?.contains("may not list a room creator") == true)
        var wrongRoom = name.json
        wrongRoom["room_id"] = "!other"
        #expect(room.check(try PDU(json: wrongRoom, version: room.version, eventID: "$w"))?.contains("is not the ID of the room's create event") == true)
        var create = room.state[.create]!.json
        create["room_id"] = .string(room.roomID)
        #expect(room.check(try PDU(json: create, version: room.version, eventID: "$c"))?.contains("must not have a room_id") == true)
        create["room_id"] = nil
        create["content"] = ["room_version": "12", "additional_creators": ["bad"]]
        #expect(room.check(try PDU(json: create, version: room.version, eventID: "$c4"))?.contains("additional_creators") == true)
        let keys = AuthRules.authEventKeys(for: "m.room.message", stateKey: nil, sender: "@a:x", content: [:], version: room.version)
        #expect(!keys.contains(.create))
        let keys11 = AuthRules.authEventKeys(for: "m.room.message", stateKey: nil, sender: "@a:x", content: [:], version: RoomVersion.named("11")!)
        #expect(keys11.contains(.create))
    }

    @Test func membershipRejections() throws {
        var room = try Room("10", joinRule: "invite")
        #expect(room.check(try room.event("m.room.member", "@bob:x", "@bob:x", ["membership": "join"]))?.contains("invite-only") == true)
        #expect(room.check(try room.event("m.room.member", "@bob:x", "@carol:x", ["membership": "join"]))?.contains("on behalf of") == true)
        #expect(room.check(try room.event("m.room.member", "@bob:x", "@carol:x", ["membership": "invite"]))?.contains("not joined") == true)
        #expect(room.check(try room.event("m.room.member", "@bob:x", "@bob:x", ["membership": "leave"]))?.contains("not in the room") == true)
        #expect(room.check(try room.event("m.room.member", "@bob:x", "@bob:x", ["membership": "dance"]))?.contains("unknown membership") == true)
        #expect(room.check(try room.event("m.room.member", nil, "@bob:x", ["membership": "join"]))?.contains("state_key") == true)
        try room.add("m.room.member", "@bob:x", "@alice:x", ["membership": "invite"])
        #expect(room.check(try room.event("m.room.member", "@bob:x", "@bob:x", ["membership": "join"])) == nil)
        try room.add("m.room.member", "@bob:x", "@bob:x", ["membership": "join"])
        #expect(room.check(try room.event("m.room.member", "@alice:x", "@bob:x", ["membership": "ban"]))?.contains("may not ban") == true)
        #expect(room.check(try room.event("m.room.message", nil, "@carol:x", ["body": "hi"]))?.contains("not joined") == true)
        #expect(room.check(try room.event("m.room.topic", "@bob:x", "@alice:x", ["topic": "t"]))?.contains("names another user") == true)
        var federate = try Room("10")
        var create = federate.state[.create]!.json
        create["content"] = ["creator": "@alice:x", "m.federate": false]
        federate.state[.create] = try PDU(json: create, version: federate.version, eventID: "$create")
        #expect(federate.check(try federate.event("m.room.member", "@eve:y", "@eve:y", ["membership": "join"]))?.contains("does not federate") == true)
    }

    @Test func aliasesRuleUntilV5() throws {
        let v5 = try Room("5")
        #expect(v5.check(try v5.event("m.room.aliases", "x", "@bob:x", ["aliases": []])) == nil)  // no membership needed
        #expect(v5.check(try v5.event("m.room.aliases", "y", "@bob:x", ["aliases": []]))?.contains("sender's server") == true)
        let v6 = try Room("6")
        #expect(v6.check(try v6.event("m.room.aliases", "x", "@bob:x", ["aliases": []]))?.contains("not joined") == true)
    }
}
