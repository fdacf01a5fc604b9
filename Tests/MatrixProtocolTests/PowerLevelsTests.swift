import Testing
@testable import MatrixProtocol

/// Reading `m.room.power_levels`: value grammars per version, defaults, creators.
@Suite struct PowerLevelsTests {
    static let versions = RoomVersion.all

    func parse(_ value: JSONValue, _ v: String) -> Int64? { PowerLevels.parse(value, version: RoomVersion.named(v)!) }

    /// `fragments/v1-stringy-power-levels.md`, v1–v9.
    @Test func stringyValues() {
        let good: [(String, Int64)] = [("100", 100), ("000100", 100), ("+100", 100), ("-100", -100), (" 100 ", 100),
                                       (" 00100 ", 100), (" +100 ", 100), (" -100 ", -100), ("\t42\n", 42), ("0", 0), ("-0", 0),
                                       ("9223372036854775807", .max), ("-9223372036854775808", .min),
                                       ("99999999999999999999999", .max), ("-99999999999999999999999", .min)]
        let bad = ["", " ", "+", "-", "+-1", "--1", "4 2", "1.5", "1e3", "0x10", "ten", "１０", "١٠", "1_000", "50%"]
        for version in Self.versions {
            let allowed = !version.integerPowerLevels
            for (text, value) in good {
                #expect(PowerLevels.parse(.string(text), version: version) == (allowed ? value : nil), "v\(version) \"\(text)\"")
            }
            for text in bad {
                #expect(PowerLevels.parse(.string(text), version: version) == nil, "v\(version) \"\(text)\"")
            }
        }
        #expect(parse("50", "9") == 50)
        #expect(parse("50", "10") == nil)
    }

    /// `fragments/v1-floaty-power-levels.md`, v1–v5.
    @Test func floatValues() {
        let cases: [(Double, Int64)] = [(51146.98, 51146), (5.114698e4, 51146), (50.57, 50), (-50.9, -50), (0.5, 0),
                                        (1e300, .max), (-1e300, .min)]
        for version in Self.versions {
            for (d, value) in cases {
                #expect(PowerLevels.parse(.double(d), version: version) == (version.floatPowerLevels ? value : nil), "v\(version) \(d)")
            }
            for d in [Double.infinity, -.infinity, .nan] {
                #expect(PowerLevels.parse(.double(d), version: version) == nil)
            }
        }
        #expect(parse(.double(50.5), "5") == 50)
        #expect(parse(.double(50.5), "6") == nil)
    }

    @Test func integersAndOtherTypes() {
        for version in Self.versions {
            #expect(PowerLevels.parse(.int(-7), version: version) == -7)
            #expect(PowerLevels.parse(.int(9_007_199_254_740_991), version: version) == 9_007_199_254_740_991)
            for value: JSONValue in [.null, .bool(true), .array([.int(1)]), .object(["a": 1])] {
                #expect(PowerLevels.parse(value, version: version) == nil)
            }
        }
    }

    /// The spec's examples: both give `@bob:localhost` and `@alice:localhost` 50.
    @Test func specExamples() throws {
        let stringy: JSONObject = ["ban": "50", "events": ["m.room.power_levels": "100"], "events_default": "0",
                                   "state_default": "50", "users": ["@example:localhost": "100"], "users_default": "0"]
        let levels = PowerLevels(content: stringy, creators: [], version: RoomVersion.named("9")!)
        #expect(levels.userLevel("@example:localhost") == .level(100))
        #expect(levels.eventLevel(type: "m.room.power_levels", isState: true) == 100)
        #expect(levels.ban == 50)
        let floaty: JSONObject = ["ban": 50, "events": ["m.room.power_levels": 100], "events_default": 0, "state_default": 50,
                                  "users": ["@example:example.org": 100, "@alice:localhost": 50, "@bob:localhost": 50.57],
                                  "users_default": 0]
        let f = PowerLevels(content: floaty, creators: [], version: RoomVersion.named("1")!)
        #expect(f.userLevel("@bob:localhost") == f.userLevel("@alice:localhost"))
        #expect(f.userLevel("@bob:localhost") == .level(50))
    }

    @Test func defaults() throws {
        let v10 = RoomVersion.named("10")!
        // An event without any keys.
        let empty = PowerLevels(content: [:], creators: ["@alice:x"], version: v10)
        #expect((empty.usersDefault, empty.eventsDefault, empty.stateDefault) == (0, 0, 50))
        #expect((empty.ban, empty.kick, empty.redact, empty.invite) == (50, 50, 50, 0))
        #expect(empty.notificationLevel("room") == 50)
        #expect(empty.userLevel("@alice:x") == .level(0), "a power levels event exists, so the creator has no implicit 100")
        #expect(empty.eventLevel(type: "m.room.name", isState: true) == 50)
        #expect(empty.eventLevel(type: "m.room.message", isState: false) == 0)
        // No event at all: the creator has 100 (v1–v11), state still needs 50.
        let none = PowerLevels(content: nil, creators: ["@alice:x"], version: v10)
        #expect(!none.exists)
        #expect(none.userLevel("@alice:x") == .level(100))
        #expect(none.userLevel("@bob:x") == .level(0))
        #expect(none.stateDefault == 50)
        #expect(!none.canSend(type: "m.room.name", isState: true, user: "@bob:x"))
        #expect(none.canSend(type: "m.room.message", isState: false, user: "@bob:x"))
        // Values from the event.
        let set = PowerLevels(content: ["users": ["@mod:x": 50], "users_default": 5, "events": ["m.room.name": 20],
                                        "notifications": ["room": 20], "kick": 40, "ban": 60, "invite": 10, "redact": 30],
                              creators: [], version: v10)
        #expect(set.userLevel("@mod:x") == .level(50))
        #expect(set.userLevel("@bob:x") == .level(5))
        #expect(set.eventLevel(type: "m.room.name", isState: true) == 20)
        #expect(set.canNotify("room", user: "@mod:x"))
        #expect(!set.canNotify("room", user: "@bob:x"))
        #expect(set.canInvite("@bob:x") == false && set.canInvite("@mod:x"))
        #expect(set.canRedact("@mod:x") && !set.canRedact("@bob:x"))
        #expect(set.canKick("@mod:x", target: "@bob:x") && !set.canKick("@bob:x", target: "@mod:x"))
        #expect(!set.canBan("@mod:x", target: "@bob:x"), "ban needs 60")
        #expect(!set.canUnban("@mod:x", target: "@bob:x"))
    }

    @Test func creators() throws {
        func create(_ v: String, _ content: JSONObject) throws -> PDU {
            var json: JSONObject = ["type": "m.room.create", "state_key": "", "sender": "@alice:x", "content": .object(content)]
            if v != "12" { json["room_id"] = "!r:x" }
            return try PDU(json: json, version: RoomVersion.named(v)!, eventID: "$c:x")
        }
        let content: JSONObject = ["creator": "@carol:x", "additional_creators": ["@bob:x"]]
        #expect(PowerLevels.creators(of: try create("10", content), version: RoomVersion.named("10")!) == ["@carol:x"])
        #expect(PowerLevels.creators(of: try create("11", content), version: RoomVersion.named("11")!) == ["@alice:x"])
        #expect(PowerLevels.creators(of: try create("12", content), version: RoomVersion.named("12")!) == ["@alice:x", "@bob:x"])
        // v12: infinite, whatever `users` says, with or without an event.
        let v12 = RoomVersion.named("12")!
        for levels in [PowerLevels(content: ["users": ["@alice:x": 0]], creators: ["@alice:x"], version: v12),
                       PowerLevels(content: nil, creators: ["@alice:x"], version: v12)] {
            #expect(levels.userLevel("@alice:x") == .infinite)
            #expect(levels.canBan("@alice:x", target: "@bob:x"))
            #expect(!levels.canBan("@bob:x", target: "@alice:x"))
        }
    }

    @Test func infiniteComparesAboveEveryLevel() {
        #expect(PowerLevel.level(.max) < .infinite)
        #expect(!(PowerLevel.infinite < .infinite))
        #expect(PowerLevel.infinite == .infinite)
        #expect(PowerLevel.infinite >= .level(100))
        #expect(PowerLevel.level(-5) < .level(3))
        #expect([PowerLevel.infinite, .level(3), .level(-1)].sorted() == [.level(-1), .level(3), .infinite])
        #expect(PowerLevel.infinite.description == "infinite")
    }
}
