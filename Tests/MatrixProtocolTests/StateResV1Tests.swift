import Testing
@testable import MatrixProtocol

/// Room version 1's algorithm, which the shared vectors do not cover.
@Suite struct StateResV1Tests {
    let v1 = RoomVersion.named("1")!

    func room() throws -> [String: PDU] {
        func e(_ id: String, _ type: String, _ key: String, _ sender: String, _ content: JSONObject, auth: [String], depth: Int64) throws -> PDU {
            try PDU(json: ["event_id": .string(id), "room_id": "!r:x", "type": .string(type), "state_key": .string(key),
                           "sender": .string(sender), "content": .object(content), "auth_events": JSONValue(auth),
                           "prev_events": [], "depth": .int(depth)], version: v1)
        }
        let list = [
            try e("$create:x", "m.room.create", "", "@alice:x", ["creator": "@alice:x"], auth: [], depth: 1),
            try e("$alice:x", "m.room.member", "@alice:x", "@alice:x", ["membership": "join"], auth: ["$create:x"], depth: 2),
            try e("$pl:x", "m.room.power_levels", "", "@alice:x", ["users": ["@alice:x": 100, "@bob:x": 50]], auth: ["$create:x", "$alice:x"], depth: 3),
            try e("$jr:x", "m.room.join_rules", "", "@alice:x", ["join_rule": "public"], auth: ["$create:x", "$alice:x", "$pl:x"], depth: 4),
            try e("$bob:x", "m.room.member", "@bob:x", "@bob:x", ["membership": "join"], auth: ["$create:x", "$jr:x", "$pl:x"], depth: 5),
            // Two topics on two forks: the deeper one wins when both pass auth.
            try e("$topicA:x", "m.room.topic", "", "@alice:x", ["topic": "A"], auth: ["$create:x", "$alice:x", "$pl:x"], depth: 6),
            try e("$topicB:x", "m.room.topic", "", "@bob:x", ["topic": "B"], auth: ["$create:x", "$bob:x", "$pl:x"], depth: 7),
            // Bob, on his fork, demotes alice: not allowed, so the first power levels stay.
            try e("$plB:x", "m.room.power_levels", "", "@bob:x", ["users": ["@alice:x": 0, "@bob:x": 50]], auth: ["$create:x", "$bob:x", "$pl:x"], depth: 8),
            // A topic from someone not in the room never passes.
            try e("$topicE:x", "m.room.topic", "", "@eve:x", ["topic": "E"], auth: ["$create:x", "$pl:x"], depth: 9),
            try e("$topicF:x", "m.room.topic", "", "@frank:x", ["topic": "F"], auth: ["$create:x", "$pl:x"], depth: 10),
        ]
        return Dictionary(uniqueKeysWithValues: list.map { ($0.eventID, $0) })
    }

    @Test func conflictsResolveByDepthAndAuth() throws {
        let events = try room()
        let base: StateMap = [.create: "$create:x", .member("@alice:x"): "$alice:x", .powerLevels: "$pl:x", .joinRules: "$jr:x",
                              .member("@bob:x"): "$bob:x"]
        var a = base, b = base
        a[StateKey("m.room.topic", "")] = "$topicA:x"
        b[StateKey("m.room.topic", "")] = "$topicB:x"
        b[.powerLevels] = "$plB:x"
        let (state, steps) = try StateResolution.resolveExplained([a, b], version: v1) { events[$0] }
        // Power levels: sorted by ascending depth, the first is taken; $plB (demoting a higher
        // user) is not allowed on top of it.
        #expect(state[.powerLevels] == "$pl:x")
        #expect(state[StateKey("m.room.topic", "")] == "$topicB:x")
        #expect(steps.first { $0.key == .powerLevels }?.rejected["$plB:x"] != nil)
        // Keys missing from one set are not conflicts in v1.
        var c = base
        c[StateKey("m.room.name", "")] = nil
        var d = base
        d[StateKey("m.room.topic", "")] = "$topicE:x"
        let other = try StateResolution.resolve([c, d], version: v1) { events[$0] }
        #expect(other[StateKey("m.room.topic", "")] == "$topicE:x")  // unconflicted: only one set has it
        var e1 = base, e2 = base
        e1[StateKey("m.room.topic", "")] = "$topicA:x"
        e2[StateKey("m.room.topic", "")] = "$topicE:x"
        let third = try StateResolution.resolve([e1, e2], version: v1) { events[$0] }
        #expect(third[StateKey("m.room.topic", "")] == "$topicA:x")  // the deeper $topicE fails auth
    }

    /// The spec names no winner when every candidate fails; like Synapse, the last in order
    /// (the lowest depth) stays, rather than the key vanishing.
    @Test func whenNoCandidatePassesTheLowestDepthStays() throws {
        let events = try room()
        let base: StateMap = [.create: "$create:x", .member("@alice:x"): "$alice:x", .powerLevels: "$pl:x"]
        var a = base, b = base
        a[StateKey("m.room.topic", "")] = "$topicE:x"
        b[StateKey("m.room.topic", "")] = "$topicF:x"
        let (state, steps) = try StateResolution.resolveExplained([a, b], version: v1, events: events)
        #expect(state[StateKey("m.room.topic", "")] == "$topicE:x")
        let topic = try #require(steps.first)
        #expect(topic.decision == .applied(.v1Fallback) && topic.rejected.count == 2)
        #expect(topic.checks.map(\.eventID) == ["$topicF:x", "$topicE:x", "$topicE:x"])
    }
}
