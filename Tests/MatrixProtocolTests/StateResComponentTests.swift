import Testing
@testable import MatrixProtocol

/// `state_res_components.json`: the sub-steps of state resolution, read at run time.
@Suite struct StateResComponentTests {
    let v10 = RoomVersion.named("10")!

    func components(_ kind: String) throws -> [JSONValue] {
        let all = try JSONParser.parse(Array(try String(contentsOfFile: Vectors.directory.appendingPathComponent("state_res_components.json").path,
                                                         encoding: .utf8).utf8))
        let list = try need(all.arrayValue).filter { $0["kind"]?.stringValue == kind }
        #expect(!list.isEmpty, "no \(kind) vectors")
        return list
    }

    /// A resolver over a bare auth graph: each node becomes a message event whose auth events
    /// are its listed dependencies.
    func resolver(graph: JSONValue?) throws -> Resolver {
        var events: [String: PDU] = [:]
        for (id, deps) in try need(graph?.objectValue) {
            let json: JSONObject = ["type": "m.room.message", "room_id": "!r:x", "sender": "@a:x", "content": [:],
                                    "auth_events": .array(try need(deps.arrayValue)), "origin_server_ts": 0]
            events[id] = try PDU(json: json, version: v10, eventID: id)
        }
        return Resolver(version: v10) { events[$0] }
    }

    func resolver(events list: JSONValue?, version: RoomVersion) throws -> Resolver {
        var events: [String: PDU] = [:]
        for e in try need(list?.arrayValue) {
            let pdu = try PDU(json: try need(e.objectValue), version: version)
            events[pdu.eventID] = pdu
        }
        return Resolver(version: version) { events[$0] }
    }

    func strings(_ value: JSONValue?) throws -> [String] { try need(value?.arrayValue).map { try need($0.stringValue) } }

    @Test func fullAuthChain() throws {
        for c in try components("full_auth_chain") {
            var r = try resolver(graph: c["auth_graph"])
            var chain: Set<String> = []
            for start in try strings(c["start_event_ids"]) { chain.formUnion(try r.authChain(start)) }
            #expect(chain.sorted() == (try strings(c["expected_auth_chain"])).sorted(), "\(c["name"]?.stringValue ?? "")")
        }
    }

    @Test func conflictedStateSubgraph() throws {
        for c in try components("conflicted_state_subgraph") {
            var r = try resolver(graph: c["auth_graph"])
            let subgraph = try r.conflictedSubgraph(Set(try strings(c["conflicted_event_ids"])))
            #expect(subgraph.sorted() == (try strings(c["expected_conflicted_subgraph"])).sorted(), "\(c["name"]?.stringValue ?? "")")
        }
    }

    @Test func authDifference() throws {
        for c in try components("auth_difference") {
            var r = try resolver(graph: c["auth_graph"])
            var chains: [Set<String>] = []
            for set in try need(c["state_set_event_ids"]?.arrayValue) {
                var chain: Set<String> = []
                for id in try strings(set) { chain.formUnion(try r.authChain(id)) }
                chains.append(chain)
            }
            let union = chains.reduce(into: Set<String>()) { $0.formUnion($1) }
            let intersection = chains.dropFirst().reduce(chains[0]) { $0.intersection($1) }
            // Apus uses the spec's convention: a chain holds the auth ancestors, not the event.
            #expect(union.subtracting(intersection).sorted() == (try strings(c["spec_convention_auth_difference"])).sorted(),
                    "\(c["name"]?.stringValue ?? "")")
        }
    }

    @Test func powerOrderingComparator() throws {
        for c in try components("power_ordering_comparator") {
            let items = try need(c["input"]?.arrayValue).map { i in
                (PowerLevel.level(try need(i["sender_power_level"]?.intValue)), try need(i["origin_server_ts"]?.intValue),
                 try need(i["event_id"]?.stringValue))
            }
            let sorted = items.sorted(by: Resolver.powerOrderPrecedes).map(\.2)
            #expect(sorted == (try strings(c["expected_order"])))
        }
    }

    @Test func lexicographicTopologicalSort() throws {
        for c in try components("lexicographic_topological_sort") {
            var r = try resolver(graph: c["graph_edges_node_to_dependencies"])
            let nodes = Set(try need(c["graph_edges_node_to_dependencies"]?.objectValue).keys)
            #expect(try r.reverseTopologicalPowerOrder(nodes) == (try strings(c["expected_order"])), "\(c["name"]?.stringValue ?? "")")
        }
    }

    @Test func reverseTopologicalPowerOrdering() throws {
        for c in try components("reverse_topological_power_ordering") {
            let version = try need(RoomVersion.named(try need(c["room_version"]?.stringValue)))
            var r = try resolver(events: c["events"], version: version)
            let ids = try need(c["events"]?.arrayValue).map { try need($0["event_id"]?.stringValue) }
            #expect(try r.reverseTopologicalPowerOrder(Set(ids)) == (try strings(c["expected_order"])))
        }
    }

    @Test func senderPowerLevel() throws {
        for c in try components("sender_power_level") {
            let version = try need(RoomVersion.named(try need(c["room_version"]?.stringValue)))
            var r = try resolver(events: c["events"], version: version)
            let template = try need(c["probe_event_template"]?.objectValue)
            for probe in try need(c["cases"]?.arrayValue) {
                var json = template
                json["room_id"] = "!test:example.com"
                json["sender"] = probe["sender"] ?? .null
                json["content"] = [:]
                let full = try PDU(json: json, version: version, eventID: "$probe")
                #expect(r.senderPowerLevel(full) == .level(try need(probe["expected_power_level"]?.intValue)), "\(c["name"]?.stringValue ?? "")")
                json["auth_events"] = ["$create"]
                let onlyCreate = try PDU(json: json, version: version, eventID: "$probe2")
                #expect(r.senderPowerLevel(onlyCreate) == .level(try need(probe["expected_power_level_if_only_create_known"]?.intValue)))
            }
        }
    }

    @Test func mainlineOrdering() throws {
        for c in try components("mainline_ordering") {
            let version = try need(RoomVersion.named(try need(c["room_version"]?.stringValue)))
            var r = try resolver(events: c["events"], version: version)
            let order = try r.mainlineOrder(try strings(c["input"]), powerLevels: try need(c["resolved_power_levels"]?.stringValue))
            #expect(order == (try strings(c["expected_order"])))
        }
    }
}

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
}
