import Testing
@testable import MatrixProtocol

/// `state_res_components.json`: the sub-steps of state resolution against the internal
/// functions, read at run time.
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
        return Resolver(version: v10, events: events)
    }

    func resolver(events list: JSONValue?, version: RoomVersion) throws -> Resolver {
        var events: [String: PDU] = [:]
        for e in try need(list?.arrayValue) {
            let pdu = try PDU(json: try need(e.objectValue), version: version)
            events[pdu.eventID] = pdu
        }
        return Resolver(version: version, events: events)
    }

    func strings(_ value: JSONValue?) throws -> [String] { try need(value?.arrayValue).map { try need($0.stringValue) } }

    func ids(_ nodes: NodeSet, _ r: Resolver) -> [String] { nodes.members.map { r.graph.id($0) }.sorted() }

    @Test func fullAuthChain() throws {
        for c in try components("full_auth_chain") {
            var r = try resolver(graph: c["auth_graph"])
            let starts = try strings(c["start_event_ids"]).map { r.graph.node($0) }
            let chain = try r.graph.authChain(of: starts)
            #expect(ids(chain, r) == (try strings(c["expected_auth_chain"])).sorted(), "\(c["name"]?.stringValue ?? "")")
        }
    }

    @Test func conflictedStateSubgraph() throws {
        for c in try components("conflicted_state_subgraph") {
            let name = c["name"]?.stringValue ?? ""
            var r = try resolver(graph: c["auth_graph"])
            let starts = try strings(c["start_event_ids"]).map { r.graph.node($0) }
            #expect(ids(try r.graph.authChain(of: starts), r) == (try strings(c["expected_auth_chain"])).sorted(), "\(name)")
            let subgraph = try r.graph.conflictedSubgraph(try strings(c["conflicted_event_ids"]).map { r.graph.node($0) })
            #expect(ids(subgraph, r) == (try strings(c["expected_conflicted_subgraph"])).sorted(), "\(name)")
        }
    }

    /// Both conventions: the spec's (a chain holds an event's auth ancestors, which Apus uses) and
    /// Synapse's upstream value (a set's chain also holds the set's own events).
    @Test func authDifference() throws {
        for c in try components("auth_difference") {
            let name = c["name"]?.stringValue ?? ""
            var r = try resolver(graph: c["auth_graph"])
            let sets = try need(c["state_set_event_ids"]?.arrayValue).map { try strings($0).map { r.graph.node($0) } }
            let spec = try strings(c["spec_convention_auth_difference"]).sorted()
            #expect(ids(try r.graph.authDifference(sets, common: []), r) == spec, "\(name)")
            // The same with the events every set shares passed as the common part.
            let shared = sets.dropFirst().reduce(Set(sets[0])) { $0.intersection($1) }
            let rest = sets.map { $0.filter { !shared.contains($0) } }
            #expect(ids(try r.graph.authDifference(rest, common: Array(shared)), r) == spec, "\(name) (common part)")

            var chains: [Set<String>] = []
            for set in sets { chains.append(Set(try r.graph.authChain(of: set).members.map { r.graph.id($0) } + set.map { r.graph.id($0) })) }
            let union = chains.reduce(into: Set<String>()) { $0.formUnion($1) }
            let intersection = chains.dropFirst().reduce(chains[0]) { $0.intersection($1) }
            #expect(union.subtracting(intersection).sorted() == (try strings(c["expected_auth_difference"])).sorted(), "\(name) (Synapse)")
        }
    }

    @Test func powerOrderingComparator() throws {
        for c in try components("power_ordering_comparator") {
            let items = try need(c["input"]?.arrayValue).map { i in
                (level: PowerLevel.level(try need(i["sender_power_level"]?.intValue)), ts: try need(i["origin_server_ts"]?.intValue),
                 id: try need(i["event_id"]?.stringValue))
            }
            let sorted = items.sorted(by: Resolver.powerOrderPrecedes).map(\.id)
            #expect(sorted == (try strings(c["expected_order"])))
        }
    }

    @Test func lexicographicTopologicalSort() throws {
        for c in try components("lexicographic_topological_sort") {
            let name = c["name"]?.stringValue ?? ""
            let edges = try need(c["graph_edges_node_to_dependencies"]?.objectValue)
            var deps: [String: [String]] = [:]
            for (node, list) in edges { deps[node] = try strings(list) }
            let expected = try strings(c["expected_order"])
            let order = MatrixProtocol.lexicographicTopologicalSort(Array(deps.keys), dependencies: { deps[$0] ?? [] },
                                                                    precedes: { $0.utf8.lexicographicallyPrecedes($1.utf8) })
            #expect(order == expected, "\(name)")
            // Through the power ordering: equal levels and timestamps leave the event ID to decide.
            var r = try resolver(graph: c["graph_edges_node_to_dependencies"])
            let nodes = deps.keys.map { r.graph.node($0) }
            #expect(try r.reverseTopologicalPowerOrder(nodes).map { r.graph.id($0) } == expected, "\(name) (power ordering)")
        }
    }

    @Test func reverseTopologicalPowerOrdering() throws {
        for c in try components("reverse_topological_power_ordering") {
            let version = try need(RoomVersion.named(try need(c["room_version"]?.stringValue)))
            var r = try resolver(events: c["events"], version: version)
            let nodes = try need(c["events"]?.arrayValue).map { r.graph.node(try need($0["event_id"]?.stringValue)) }
            #expect(try r.reverseTopologicalPowerOrder(nodes).map { r.graph.id($0) } == (try strings(c["expected_order"])))
        }
    }

    @Test func senderPowerLevel() throws {
        for c in try components("sender_power_level") {
            let name = c["name"]?.stringValue ?? ""
            let version = try need(RoomVersion.named(try need(c["room_version"]?.stringValue)))
            var r = try resolver(events: c["events"], version: version)
            let template = try need(c["probe_event_template"]?.objectValue)
            for probe in try need(c["cases"]?.arrayValue) {
                var json = template
                json["room_id"] = "!test:example.com"
                json["sender"] = probe["sender"] ?? .null
                json["content"] = [:]
                let full = try PDU(json: json, version: version, eventID: "$probe")
                #expect(r.senderPowerLevel(of: full, authEvents: r.graph.parents(of: full))
                        == .level(try need(probe["expected_power_level"]?.intValue)), "\(name)")
                json["auth_events"] = ["$create"]
                let onlyCreate = try PDU(json: json, version: version, eventID: "$probe2")
                #expect(r.senderPowerLevel(of: onlyCreate, authEvents: r.graph.parents(of: onlyCreate))
                        == .level(try need(probe["expected_power_level_if_only_create_known"]?.intValue)), "\(name)")
            }
        }
    }

    @Test func mainlineOrdering() throws {
        for c in try components("mainline_ordering") {
            let version = try need(RoomVersion.named(try need(c["room_version"]?.stringValue)))
            var r = try resolver(events: c["events"], version: version)
            let input = try strings(c["input"]).map { r.graph.node($0) }
            let pl = r.graph.node(try need(c["resolved_power_levels"]?.stringValue))
            #expect(try r.mainlineOrder(input, powerLevels: pl).map { r.graph.id($0) } == (try strings(c["expected_order"])))
        }
    }
}
