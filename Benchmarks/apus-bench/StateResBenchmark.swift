import Foundation
import MatrixProtocol

/// Resolving two conflicting forks of a room with N joined members: both forks change the
/// same `conflicts` member events (display names) differently, set different topics, and one
/// raises a moderator's power level.
enum StateResBenchmark {
    static func run(_ arguments: [String]) async throws {
        let options = try Options(arguments, allowed: ["members", "conflicts", "runs", "version"])
        let sizes = try options.intList("members", default: [1_000, 10_000, 100_000])
        let conflicts = try options.int("conflicts", default: 300)
        let runs = try options.int("runs", default: 3)
        let versionID = options.string("version", default: "10")
        guard let version = RoomVersion.named(versionID) else { throw Options.Invalid(description: "unknown room version \(versionID)") }
        print("room v\(versionID), \(conflicts) conflicted member keys + topic + power levels, median of \(runs)\n")
        print("| members | state entries | conflicted keys | resolve ms |")
        print("| ---: | ---: | ---: | ---: |")
        for members in sizes {
            let room = try SyntheticRoom(members: members, conflicts: min(conflicts, members), version: version)
            var times: [Double] = []
            var result = StateMap()
            for _ in 0..<runs {
                let start = ContinuousClock.now
                result = try StateResolution.resolve([room.forkA, room.forkB], version: version) { room.events[$0] }
                let d = ContinuousClock.now - start
                times.append((Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18) * 1000)
            }
            guard result.count == room.forkA.count else { throw Options.Invalid(description: "unexpected resolved state size \(result.count)") }
            let conflicted = room.forkA.filter { room.forkB[$0.key] != $0.value }.count
            print("| \(members) | \(room.forkA.count) | \(conflicted) | \(String(format: "%.1f", times.sorted()[runs / 2])) |")
        }
    }
}

/// A generated room: create, the creator's join, power levels, public join rules, N member
/// joins; then two forks.
struct SyntheticRoom {
    var events: [String: PDU] = [:]
    var forkA = StateMap()
    var forkB = StateMap()
    let version: RoomVersion
    let roomID = "!bench:example.org"

    init(members: Int, conflicts: Int, version: RoomVersion) throws {
        self.version = version
        let creator = "@creator:example.org"
        var base = StateMap()
        var ts: Int64 = 0
        func add(_ id: String, _ type: String, _ key: String, _ sender: String, _ content: JSONObject, auth: [String],
                 prev: [String], into state: inout StateMap) throws {
            ts += 1
            var json: JSONObject = ["type": .string(type), "state_key": .string(key), "sender": .string(sender), "content": .object(content),
                                    "auth_events": JSONValue(auth), "prev_events": JSONValue(prev), "origin_server_ts": .int(ts),
                                    "depth": .int(ts)]
            if !(version.hashedRoomIDs && type == "m.room.create") { json["room_id"] = .string(roomID) }
            let pdu = try PDU(json: json, version: version, eventID: id)
            events[id] = pdu
            state[StateKey(type, key)] = id
        }
        try add("$create", "m.room.create", "", creator, ["creator": .string(creator), "room_version": .string(version.id)],
                auth: [], prev: [], into: &base)
        try add("$creator-join", "m.room.member", creator, creator, ["membership": "join"], auth: ["$create"], prev: ["$create"], into: &base)
        try add("$pl", "m.room.power_levels", "", creator, ["users": [creator: 100]], auth: ["$create", "$creator-join"],
                prev: ["$creator-join"], into: &base)
        try add("$jr", "m.room.join_rules", "", creator, ["join_rule": "public"], auth: ["$create", "$creator-join", "$pl"],
                prev: ["$pl"], into: &base)
        for i in 0..<members {
            let user = "@user\(i):example.org"
            try add("$join\(i)", "m.room.member", user, user, ["membership": "join"], auth: ["$create", "$pl", "$jr"], prev: ["$jr"], into: &base)
        }
        forkA = base
        forkB = base
        // Fork A raises a moderator and sets a topic; fork B sets another topic.
        try add("$plA", "m.room.power_levels", "", creator, ["users": [creator: 100, "@user0:example.org": 50]],
                auth: ["$create", "$creator-join", "$pl"], prev: ["$jr"], into: &forkA)
        try add("$topicA", "m.room.topic", "", creator, ["topic": "A"], auth: ["$create", "$creator-join", "$plA"], prev: ["$plA"], into: &forkA)
        try add("$topicB", "m.room.topic", "", creator, ["topic": "B"], auth: ["$create", "$creator-join", "$pl"], prev: ["$jr"], into: &forkB)
        for i in 0..<conflicts {
            let user = "@user\(i):example.org"
            try add("$nameA\(i)", "m.room.member", user, user, ["membership": "join", "displayname": .string("A \(i)")],
                    auth: ["$create", "$plA", "$jr", "$join\(i)"], prev: ["$topicA"], into: &forkA)
            try add("$nameB\(i)", "m.room.member", user, user, ["membership": "join", "displayname": .string("B \(i)")],
                    auth: ["$create", "$pl", "$jr", "$join\(i)"], prev: ["$topicB"], into: &forkB)
        }
    }
}
