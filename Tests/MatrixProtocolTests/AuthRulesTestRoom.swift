import Testing
@testable import MatrixProtocol

/// A room to test the auth rules in: `@alice:x` creates it and joins, then power levels and join
/// rules as asked. Events are built directly, never checked on the way in, so a test can set up
/// any state (a ban, a knock) in one line.
struct AuthTestRoom {
    let version: RoomVersion
    let roomID: String
    var state: [StateKey: PDU] = [:]
    var create: PDU { state[.create]! }

    /// - Parameters:
    ///   - powerLevels: the power levels content. The default gives alice 100 (v1–v11) or lists
    ///     nobody (v12, where alice is a creator with infinite power).
    ///   - hasPowerLevels: false for a room without a power levels event.
    ///   - joinRule: nil for no join rules event.
    ///   - createContent: extra content of the create event.
    init(_ v: String, powerLevels: JSONObject? = nil, hasPowerLevels: Bool = true, joinRule: String? = "public",
         createContent: JSONObject = [:], creatorJoins: Bool = true) throws {
        version = try #require(RoomVersion.named(v))
        var content = createContent
        content["room_version"] = .string(v)
        if !version.creatorIsSender, content["creator"] == nil { content["creator"] = "@alice:x" }
        var json: JSONObject = ["type": "m.room.create", "state_key": "", "sender": "@alice:x", "content": .object(content),
                                "prev_events": [], "auth_events": [], "depth": 1, "origin_server_ts": 0]
        if !version.hashedRoomIDs { json["room_id"] = "!room:x" }
        let create = try PDU(json: json, version: version, eventID: version.hashedRoomIDs ? nil : "$create:x")
        roomID = create.roomID
        state[.create] = create
        if creatorJoins { try set("m.room.member", "@alice:x", "@alice:x", ["membership": "join"]) }
        if hasPowerLevels {
            let levels = powerLevels ?? (version.hashedRoomIDs ? ["users": [:]] : ["users": ["@alice:x": 100]])
            try set("m.room.power_levels", "", "@alice:x", levels)
        }
        if let joinRule { try set("m.room.join_rules", "", "@alice:x", ["join_rule": .string(joinRule)]) }
    }

    /// An event in this room (not added to the state).
    func event(_ type: String, _ stateKey: String?, _ sender: String, _ content: JSONObject,
               id: String? = nil, prev: [String] = ["$prev:x"], roomID: String? = nil) throws -> PDU {
        var json: JSONObject = ["type": .string(type), "room_id": .string(roomID ?? self.roomID), "sender": .string(sender),
                                "content": .object(content), "prev_events": JSONValue.array(prev.map { .string($0) }),
                                "auth_events": [], "depth": 2, "origin_server_ts": 1]
        if let stateKey { json["state_key"] = .string(stateKey) }
        let eventID = id ?? "$\(type)|\(stateKey ?? "-")|\(sender)|\(content.count):x"
        return try PDU(json: json, version: version, eventID: eventID)
    }

    func member(_ target: String, _ membership: String, by sender: String? = nil, _ extra: JSONObject = [:],
                prev: [String] = ["$prev:x"]) throws -> PDU {
        var content = extra
        content["membership"] = .string(membership)
        return try event("m.room.member", target, sender ?? target, content, prev: prev)
    }

    /// nil when the rules allow `event`, else the reason they give.
    func check(_ event: PDU) -> String? {
        do throws(AuthFailure) {
            try AuthRules.check(event, version: version) { state[$0] }
            return nil
        } catch {
            return error.reason
        }
    }

    func allows(_ event: PDU) -> Bool { check(event) == nil }

    /// True when the rules reject `event` with a reason that contains `fragment`.
    func rejects(_ event: PDU, _ fragment: String) -> Bool {
        check(event)?.contains(fragment) == true
    }

    /// Puts an event into the state without checking it.
    mutating func set(_ type: String, _ stateKey: String, _ sender: String, _ content: JSONObject) throws {
        state[StateKey(type, stateKey)] = try event(type, stateKey, sender, content)
    }

    mutating func setMember(_ user: String, _ membership: String, by sender: String? = nil) throws {
        try set("m.room.member", user, sender ?? user, ["membership": .string(membership)])
    }
}
