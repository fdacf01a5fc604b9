extension StateResolution {
    /// A generated room with two conflicting forks, for tests and benchmarks.
    ///
    /// The base, one chain of `prev_events`: create, the creator's join, power levels, public join
    /// rules and `members` joins. Two forks branch from its last event. Fork A raises `@user0` to
    /// moderator with new power levels, sets a topic, bans the last member and changes the display
    /// names of the first `conflicts` members, all citing its new power levels. Fork B sets
    /// another topic, changes the same display names differently and the banned member's too,
    /// all citing the old power levels. Every event passes the auth rules against its own auth
    /// events.
    ///
    /// Under v2 and v2.1 the resolution of the two forks is exactly fork A: the ban is a power
    /// event that wins over the banned member's own change, and fork A's other events sit on a
    /// later mainline power levels event than fork B's.
    public struct SyntheticRoom: Sendable {
        public let version: RoomVersion
        public let roomID: String
        public let creator = "@creator:example.org"
        public private(set) var events: [String: PDU] = [:]
        public private(set) var forkA = StateMap()
        public private(set) var forkB = StateMap()
        /// The member fork A bans.
        public let bannedUser: String

        private var ts: Int64 = 0

        public init(members: Int, conflicts: Int, version: RoomVersion) throws(PDUError) {
            precondition(members >= 2, "a synthetic room needs at least two members")
            self.version = version
            // v12: the room ID is the create event's ID with `!`.
            roomID = version.hashedRoomIDs ? "!create" : "!synthetic:example.org"
            let last = members - 1
            bannedUser = Self.user(last)
            let conflicts = min(conflicts, last)
            let creator = creator
            var createContent: JSONObject = ["room_version": .string(version.id)]
            if !version.creatorIsSender { createContent["creator"] = .string(creator) }
            func levels(_ users: [(String, Int64)]) -> JSONObject {
                // v12 creators have infinite power and must not be listed.
                let all = version.infiniteCreatorPower ? users : [(creator, 100)] + users
                return ["users": .object(JSONObject(all.map { ($0.0, JSONValue.int($0.1)) }))]
            }
            let join: JSONObject = ["membership": "join"]

            var base = Fork()
            try add("$create", "m.room.create", "", creator, createContent, auth: [], to: &base)
            try add("$creator-join", "m.room.member", creator, creator, join, auth: ["$create"], to: &base)
            try add("$pl", "m.room.power_levels", "", creator, levels([]), auth: ["$create", "$creator-join"], to: &base)
            try add("$jr", "m.room.join_rules", "", creator, ["join_rule": "public"], auth: ["$create", "$creator-join", "$pl"],
                    to: &base)
            for i in 0..<members {
                try add("$join\(i)", "m.room.member", Self.user(i), Self.user(i), join, auth: ["$create", "$pl", "$jr"], to: &base)
            }

            var a = base, b = base
            try add("$plA", "m.room.power_levels", "", creator, levels([(Self.user(0), 50)]), auth: ["$create", "$creator-join", "$pl"],
                    to: &a)
            try add("$topicA", "m.room.topic", "", creator, ["topic": "A"], auth: ["$create", "$creator-join", "$plA"], to: &a)
            try add("$banA", "m.room.member", bannedUser, creator, ["membership": "ban"],
                    auth: ["$create", "$creator-join", "$plA", "$join\(last)"], to: &a)
            try add("$topicB", "m.room.topic", "", creator, ["topic": "B"], auth: ["$create", "$creator-join", "$pl"], to: &b)
            try add("$nameB\(last)", "m.room.member", bannedUser, bannedUser, ["membership": "join", "displayname": "B"],
                    auth: ["$create", "$pl", "$jr", "$join\(last)"], to: &b)
            for i in 0..<conflicts {
                let user = Self.user(i)
                try add("$nameA\(i)", "m.room.member", user, user, ["membership": "join", "displayname": .string("A \(i)")],
                        auth: ["$create", "$plA", "$jr", "$join\(i)"], to: &a)
                try add("$nameB\(i)", "m.room.member", user, user, ["membership": "join", "displayname": .string("B \(i)")],
                        auth: ["$create", "$pl", "$jr", "$join\(i)"], to: &b)
            }
            forkA = a.state
            forkB = b.state
        }

        public static func user(_ i: Int) -> String { "@user\(i):example.org" }

        /// A fork being built: its state and its last event.
        private struct Fork {
            var state = StateMap()
            var head: PDU?
        }

        /// Adds an event after the fork's last one (v12: without the create event in
        /// `auth_events`, which it implies).
        private mutating func add(_ id: String, _ type: String, _ key: String, _ sender: String, _ content: JSONObject,
                                  auth: [String], to fork: inout Fork) throws(PDUError) {
            ts += 1
            var json: JSONObject = [
                "type": .string(type), "state_key": .string(key), "sender": .string(sender), "content": .object(content),
                "auth_events": JSONValue(version.hashedRoomIDs ? auth.filter { $0 != "$create" } : auth),
                "prev_events": JSONValue(fork.head.map { [$0.eventID] } ?? []),
                "depth": .int((fork.head?.depth ?? 0) + 1), "origin_server_ts": .int(ts),
            ]
            if !(version.hashedRoomIDs && type == "m.room.create") { json["room_id"] = .string(roomID) }
            let pdu = try PDU(json: json, version: version, eventID: id)
            events[id] = pdu
            fork.state[StateKey(type, key)] = id
            fork.head = pdu
        }
    }
}
