import Testing
@testable import MatrixProtocol

/// The per-version deltas of the auth rules (`room-versions.md`, "Authorisation rules: changes
/// between versions"): each rule is shown on the last version without it and the first with it.
@Suite struct AuthRulesVersionTests {
    // MARK: create (rule 1)

    @Test func createRules() throws {
        for v in ["1", "6", "10", "11"] {
            let room = try AuthTestRoom(v)
            #expect(room.allows(room.create), "v\(v)")
            var json = room.create.json
            json["prev_events"] = ["$a:x"]
            #expect(room.rejects(try PDU(json: json, version: room.version, eventID: "$c:x"), "prev_events"), "v\(v)")
            json = room.create.json
            json["room_id"] = "!room:elsewhere"
            #expect(room.rejects(try PDU(json: json, version: room.version, eventID: "$c:x"), "not on the sender's server"), "v\(v)")
            json = room.create.json
            json["content"] = ["creator": "@alice:x", "room_version": "999"]
            #expect(room.rejects(try PDU(json: json, version: room.version, eventID: "$c:x"), "not a known room version"), "v\(v)")
        }
    }

    /// v11: the creator is the create event's sender; `content.creator` is no longer required.
    @Test func creatorFieldRequiredUntilV10() throws {
        for (v, required) in [("10", true), ("11", false)] {
            let room = try AuthTestRoom(v)
            var json = room.create.json
            json["content"] = ["room_version": .string(v)]
            let create = try PDU(json: json, version: room.version, eventID: "$c:x")
            #expect(room.rejects(create, "no content.creator") == required, "v\(v)")
            #expect(room.allows(create) == !required, "v\(v)")
        }
    }

    /// v11 rule 5.3.1: the first-join shortcut compares the state key with the create sender;
    /// before, with `content.creator`.
    @Test func creatorFirstJoinFromSenderInV11() throws {
        for (v, creator, other) in [("10", "@carol:x", "@alice:x"), ("11", "@alice:x", "@carol:x")] {
            let room = try AuthTestRoom(v, hasPowerLevels: false, joinRule: nil, createContent: ["creator": "@carol:x"],
                                        creatorJoins: false)
            let prev = [room.create.eventID]
            #expect(room.allows(try room.member(creator, "join", prev: prev)), "v\(v): \(creator) is the creator")
            #expect(room.rejects(try room.member(other, "join", prev: prev), "not invited"), "v\(v): \(other) is not")
            // Without a power levels event the creator has 100, everyone else 0.
            let levels = PowerLevels(event: nil, create: room.create, version: room.version)
            #expect(levels.userLevel(creator) == .level(100))
            #expect(levels.userLevel(other) == .level(0))
        }
    }

    // MARK: aliases (v1–v5 rule 4)

    @Test func aliasesRuleUntilV5() throws {
        let v5 = try AuthTestRoom("5")
        // Any user of the server named by the state key, joined or not.
        #expect(v5.allows(try v5.event("m.room.aliases", "x", "@bob:x", ["aliases": []])))
        #expect(v5.rejects(try v5.event("m.room.aliases", "y", "@bob:x", ["aliases": []]), "not the sender's server"))
        #expect(v5.rejects(try v5.event("m.room.aliases", nil, "@bob:x", ["aliases": []]), "no state_key"))
        let v6 = try AuthTestRoom("6")
        #expect(v6.rejects(try v6.event("m.room.aliases", "x", "@bob:x", ["aliases": []]), "not joined"))
        #expect(v6.allows(try v6.event("m.room.aliases", "x", "@alice:x", ["aliases": []])))
    }

    // MARK: knocking (v7)

    @Test func knockingFromV7() throws {
        let v6 = try AuthTestRoom("6", joinRule: "knock")
        #expect(v6.rejects(try v6.member("@bob:x", "knock"), "unknown in room version 6"))
        var v7 = try AuthTestRoom("7", joinRule: "knock")
        #expect(v7.allows(try v7.member("@bob:x", "knock")))
        #expect(v7.rejects(try v7.member("@bob:x", "knock", by: "@carol:x"), "on behalf of"))
        let publicRoom = try AuthTestRoom("7", joinRule: "public")
        #expect(publicRoom.rejects(try publicRoom.member("@bob:x", "knock"), "does not allow knocking"))
        for membership in ["ban", "invite", "join"] {
            var room = v7
            try room.setMember("@bob:x", membership, by: "@alice:x")
            #expect(room.rejects(try room.member("@bob:x", "knock"), "membership is \(membership)"))
        }
        // A knocker may withdraw (leave) and, once invited, join under the knock rule.
        try v7.setMember("@bob:x", "knock")
        #expect(v7.allows(try v7.member("@bob:x", "leave")))
        #expect(v7.rejects(try v7.member("@bob:x", "join"), "not invited"))
        try v7.setMember("@bob:x", "invite", by: "@alice:x")
        #expect(v7.allows(try v7.member("@bob:x", "join")))
        // Before v7 a knock join rule admits nobody.
        var v6Invited = v6
        try v6Invited.setMember("@bob:x", "invite", by: "@alice:x")
        #expect(v6Invited.rejects(try v6Invited.member("@bob:x", "join"), "does not let"))
    }

    // MARK: restricted joins (v8), knock_restricted (v10)

    @Test func restrictedJoinsFromV8() throws {
        let via: JSONObject = ["join_authorised_via_users_server": "@alice:x"]
        var v8 = try AuthTestRoom("8", powerLevels: ["users": ["@alice:x": 100], "invite": 50], joinRule: "restricted")
        #expect(v8.allows(try v8.member("@bob:x", "join", via)))
        #expect(v8.rejects(try v8.member("@bob:x", "join"), "no join_authorised_via_users_server"))
        #expect(v8.rejects(try v8.member("@bob:x", "join", ["join_authorised_via_users_server": "@carol:x"]), "not joined"))
        try v8.setMember("@carol:x", "join")
        #expect(v8.rejects(try v8.member("@bob:x", "join", ["join_authorised_via_users_server": "@carol:x"]), "below the invite level"))
        // Invitees and members need no authoriser.
        try v8.setMember("@bob:x", "invite", by: "@alice:x")
        #expect(v8.allows(try v8.member("@bob:x", "join")))
        let v7 = try AuthTestRoom("7", joinRule: "restricted")
        #expect(v7.rejects(try v7.member("@bob:x", "join", via), "does not let"))
    }

    @Test func knockRestrictedFromV10() throws {
        let via: JSONObject = ["join_authorised_via_users_server": "@alice:x"]
        let v9 = try AuthTestRoom("9", joinRule: "knock_restricted")
        #expect(v9.rejects(try v9.member("@bob:x", "join", via), "does not let"))
        #expect(v9.rejects(try v9.member("@bob:x", "knock"), "does not allow knocking"))
        let v10 = try AuthTestRoom("10", joinRule: "knock_restricted")
        #expect(v10.allows(try v10.member("@bob:x", "join", via)))
        #expect(v10.allows(try v10.member("@bob:x", "knock")))
        #expect(v10.rejects(try v10.member("@bob:x", "join"), "no join_authorised_via_users_server"))
    }

    // MARK: power levels (rule 10)

    @Test func stringyPowerLevelsUntilV9() throws {
        for content: JSONObject in [["users": ["@alice:x": 100], "ban": "50"],
                                    ["users": ["@alice:x": "100"]],
                                    ["users": ["@alice:x": 100], "events": ["m.room.name": " +050 "]]] {
            let v9 = try AuthTestRoom("9")
            #expect(v9.allows(try v9.event("m.room.power_levels", "", "@alice:x", content)), "\(content)")
            let v10 = try AuthTestRoom("10")
            #expect(v10.rejects(try v10.event("m.room.power_levels", "", "@alice:x", content), "not an integer"), "\(content)")
        }
        let v9 = try AuthTestRoom("9")
        #expect(v9.rejects(try v9.event("m.room.power_levels", "", "@alice:x", ["users": ["@alice:x": 100], "kick": "5O"]),
                           "not an integer or integer string"))
    }

    @Test func floatPowerLevelsUntilV5() throws {
        let content: JSONObject = ["users": ["@alice:x": 100, "@bob:x": 50.57], "kick": 50.5]
        let v5 = try AuthTestRoom("5")
        #expect(v5.allows(try v5.event("m.room.power_levels", "", "@alice:x", content)))
        let v6 = try AuthTestRoom("6")
        #expect(v6.rejects(try v6.event("m.room.power_levels", "", "@alice:x", content), "not an integer or integer string"))
    }

    /// v6: rules 10.7–10.8 cover `notifications` as well as `events`.
    @Test func notificationsGuardedFromV6() throws {
        let levels: JSONObject = ["users": ["@alice:x": 100, "@mod:x": 50], "notifications": ["room": 100]]
        for (v, guarded) in [("5", false), ("6", true)] {
            var room = try AuthTestRoom(v, powerLevels: levels)
            try room.setMember("@mod:x", "join")
            var lowered = levels
            lowered["notifications"] = ["room": 0]
            let change = try room.event("m.room.power_levels", "", "@mod:x", lowered)
            #expect(room.rejects(change, "cannot change notifications.room from 100") == guarded, "v\(v)")
            #expect(room.allows(change) == !guarded, "v\(v)")
        }
    }

    @Test func powerLevelChangesNeedPower() throws {
        for v in ["1", "10", "11"] {
            var room = try AuthTestRoom(v, powerLevels: ["users": ["@alice:x": 100, "@mod:x": 50, "@bob:x": 10]])
            try room.setMember("@mod:x", "join")
            func change(_ content: JSONObject, by sender: String = "@mod:x") throws -> PDU {
                try room.event("m.room.power_levels", "", sender, content)
            }
            let base: JSONObject = ["@alice:x": 100, "@mod:x": 50, "@bob:x": 10]
            var users = base
            users["@mod:x"] = 100
            #expect(room.rejects(try change(["users": .object(users)]), "cannot give @mod:x power level 100"), "v\(v)")
            users = base
            users["@alice:x"] = 0
            #expect(room.rejects(try change(["users": .object(users)]), "cannot change the level of @alice:x"), "v\(v)")
            users = base
            users["@bob:x"] = 50
            #expect(room.allows(try change(["users": .object(users)])), "v\(v): up to the sender's own level")
            users = base
            users["@mod:x"] = 0
            #expect(room.allows(try change(["users": .object(users)])), "v\(v): lowering oneself")
            #expect(room.rejects(try change(["users": .object(base), "ban": 60]), "cannot set ban to 60"), "v\(v)")
            #expect(room.allows(try change(["users": .object(base), "state_default": 40])), "v\(v): adding a value within reach")
            #expect(room.rejects(try change(["users": .object(base), "events": ["m.room.name": 70]]), "cannot set events.m.room.name to 70"), "v\(v)")
            #expect(room.allows(try change(["users": .object(base), "events": ["m.room.name": 40]])), "v\(v)")
            #expect(room.rejects(try change(["users": ["not-a-user": 10]], by: "@alice:x"), "not a valid user ID"), "v\(v)")
            #expect(room.rejects(try change(["users": .object(base), "events": ["m.room.name": "x"]], by: "@alice:x"), "events.m.room.name"), "v\(v)")
            #expect(room.rejects(try change(["users": "all"], by: "@alice:x"), "users is not an object"), "v\(v)")
        }
        // Removing a threshold above the sender counts as changing it (10.6.1).
        var high = try AuthTestRoom("10", powerLevels: ["users": ["@alice:x": 100, "@mod:x": 50], "kick": 75])
        try high.setMember("@mod:x", "join")
        let removal = try high.event("m.room.power_levels", "", "@mod:x", ["users": ["@alice:x": 100, "@mod:x": 50]])
        #expect(high.rejects(removal, "cannot change kick from 75"))
        // The first power levels event is free (10.5), beyond the value checks.
        let fresh = try AuthTestRoom("10", hasPowerLevels: false)
        #expect(fresh.allows(try fresh.event("m.room.power_levels", "", "@alice:x", ["users": ["@alice:x": 1000]])))
    }

    // MARK: v12

    @Test func v12CreatorsHaveInfinitePower() throws {
        var room = try AuthTestRoom("12", powerLevels: ["users": ["@mod:x": 100]],
                                    createContent: ["additional_creators": ["@bob:x"]])
        #expect(!room.roomID.contains(":"))
        try room.setMember("@bob:x", "join")
        try room.setMember("@mod:x", "join")
        let levels = PowerLevels(event: room.state[.powerLevels], create: room.create, version: room.version)
        #expect(levels.creators == ["@alice:x", "@bob:x"])
        #expect(levels.userLevel("@bob:x") == .infinite)
        #expect(levels.userLevel("@mod:x") == .level(100))
        // Unlisted creators may do anything, including setting levels as high as they like.
        #expect(room.allows(try room.event("m.room.power_levels", "", "@bob:x", ["users": ["@mod:x": 1_000_000]])))
        // Nobody, not even another creator, may kick, ban or list a creator.
        #expect(room.rejects(try room.member("@bob:x", "ban", by: "@mod:x"), "cannot ban @bob:x (power level infinite)"))
        #expect(room.rejects(try room.member("@bob:x", "leave", by: "@alice:x"), "cannot remove @bob:x"))
        #expect(room.rejects(try room.event("m.room.power_levels", "", "@alice:x", ["users": ["@bob:x": 100]]), "a room creator"))
        #expect(room.allows(try room.member("@mod:x", "ban", by: "@bob:x")))
        // Without a power levels event, creators are still infinite and others 0.
        let bare = PowerLevels(event: nil, create: room.create, version: room.version)
        #expect(bare.userLevel("@alice:x") == .infinite)
        #expect(bare.userLevel("@mod:x") == .level(0))
        // v11 has a single creator with ordinary power.
        let v11 = try AuthTestRoom("11", createContent: ["additional_creators": ["@bob:x"]])
        #expect(PowerLevels(event: v11.state[.powerLevels], create: v11.create, version: v11.version).creators == ["@alice:x"])
        #expect(v11.allows(try v11.event("m.room.power_levels", "", "@alice:x", ["users": ["@alice:x": 100]])))
    }

    @Test func v12RoomIDs() throws {
        let room = try AuthTestRoom("12")
        #expect(room.roomID == "!" + room.create.eventID.dropFirst())
        #expect(room.allows(room.create))
        // The create event has no room_id; additional_creators must be user IDs.
        var json = room.create.json
        json["room_id"] = .string(room.roomID)
        #expect(room.rejects(try PDU(json: json, version: room.version), "must not have a room_id"))
        json["room_id"] = nil
        json["content"] = ["room_version": "12", "additional_creators": ["@ok:x", "bad"]]
        #expect(room.rejects(try PDU(json: json, version: room.version), "additional_creators"))
        json["content"] = ["room_version": "12", "additional_creators": "@ok:x"]
        #expect(room.rejects(try PDU(json: json, version: room.version), "not an array"))
        // Every other event's room_id names the create event.
        let message = try room.event("m.room.message", nil, "@alice:x", ["body": "hi"])
        #expect(room.allows(message))
        let elsewhere = try room.event("m.room.message", nil, "@alice:x", ["body": "hi"], roomID: "!other")
        #expect(room.rejects(elsewhere, "is not the ID of the room's create event"))
        // v11 keeps room IDs with a server and their create rule.
        let v11 = try AuthTestRoom("11")
        var create11 = v11.create.json
        create11["room_id"] = "!room:x"
        #expect(v11.allows(try PDU(json: create11, version: v11.version, eventID: "$c:x")))
    }

    // MARK: redaction (v1–v2 rule 11)

    @Test func redactionIsAnAuthRuleOnlyInV1AndV2() throws {
        for v in ["1", "2", "3"] {
            var room = try AuthTestRoom(v)
            try room.setMember("@bob:x", "join")
            try room.setMember("@eve:y", "join")
            func redaction(_ sender: String, _ target: String, id: String) throws -> PDU {
                var json = try room.event("m.room.redaction", nil, sender, [:], id: id).json
                json["redacts"] = .string(target)
                return try PDU(json: json, version: room.version, eventID: id)
            }
            let ruled = room.version.redactionAuthRule
            // Same server as the redacted event: allowed at any level.
            #expect(room.allows(try redaction("@bob:x", "$msg:x", id: "$r1:x")), "v\(v)")
            // Another server's event: needs the redact level (50) in v1–v2.
            #expect(room.rejects(try redaction("@eve:y", "$msg:x", id: "$r2:y"), "below the redact level 50") == ruled, "v\(v)")
            #expect(room.allows(try redaction("@alice:x", "$msg:y", id: "$r3:x")), "v\(v)")
        }
        // From v3 only the `events` level for m.room.redaction counts.
        var v3 = try AuthTestRoom("3", powerLevels: ["users": ["@alice:x": 100], "events": ["m.room.redaction": 10]])
        try v3.setMember("@bob:x", "join")
        #expect(v3.rejects(try v3.event("m.room.redaction", nil, "@bob:x", [:]), "m.room.redaction needs 10"))
    }

    // MARK: m.federate (rule 4)

    @Test func federateFalseKeepsOtherServersOut() throws {
        for v in ["1", "10", "12"] {
            let room = try AuthTestRoom(v, createContent: ["m.federate": false])
            #expect(room.rejects(try room.member("@eve:y", "join"), "does not federate"), "v\(v)")
            #expect(room.allows(try room.member("@bob:x", "join")), "v\(v)")
        }
        let federating = try AuthTestRoom("10", createContent: ["m.federate": true])
        #expect(federating.allows(try federating.member("@eve:y", "join")))
    }
}
