import Testing
@testable import MatrixProtocol

/// `state_res_cases.json`, all three modes, read at run time.
@Suite struct StateResVectorTests {
    static func key(_ text: String) -> StateKey {
        let bar = text.firstIndex(of: "|")!
        return StateKey(String(text[..<bar]), String(text[text.index(after: bar)...]))
    }

    static func stateMap(_ value: JSONValue?) throws -> StateMap {
        var map = StateMap()
        for (k, v) in try need(value?.objectValue) { map[key(k)] = try need(v.stringValue) }
        return map
    }

    @Test func allCases() throws {
        let cases = try need(Vectors.load("state_res_cases.json")["cases"]?.arrayValue)
        #expect(cases.count >= 17)
        var modes: Set<String> = []
        for c in cases {
            let name = try need(c["name"]?.stringValue)
            let version = try need(RoomVersion.named(try need(c["room_version"]?.stringValue)))
            let mode = try need(c["mode"]?.stringValue)
            modes.insert(mode)
            var events: [String: PDU] = [:]
            var order: [PDU] = []
            let raw = try c["events"]?.arrayValue ?? need(c["batches"]?.arrayValue).flatMap { try need($0.arrayValue) }
            for e in raw {
                let pdu = try PDU(json: try need(e.objectValue), version: version)
                events[pdu.eventID] = pdu
                order.append(pdu)
            }
            let resolveAllWays = { (sets: [StateMap]) throws -> StateMap in
                try Self.resolveAllWays(sets, version: version, events: events, name: name)
            }
            let expected = try Self.stateMap(c["expected_state"])
            let got: StateMap
            switch mode {
            case "resolve":
                let sets = try need(c["state_sets"]?.arrayValue).map { try Self.stateMap($0) }
                got = try resolveAllWays(sets)
            case "dag_walk_unchecked":
                var after: [String: StateMap] = [:]
                for idValue in try need(c["walk_order"]?.arrayValue) {
                    let e = try need(events[try need(idValue.stringValue)])
                    var state: StateMap = switch e.prevEvents.count {
                    case 0: [:]
                    case 1: try need(after[e.prevEvents[0]])
                    default: try resolveAllWays(e.prevEvents.map { try need(after[$0]) })
                    }
                    if let k = e.stateKeyPair { state[k] = e.eventID }
                    after[e.eventID] = state
                }
                got = try need(after[try need(c["end_event"]?.stringValue)])
            case "pdu_batches":
                var after: [String: StateMap] = [:]
                var hasChild: Set<String> = []
                for e in order {
                    let before = e.prevEvents.isEmpty ? [:]
                        : try resolveAllWays(e.prevEvents.map { try need(after[$0]) })
                    var with = before
                    if let k = e.stateKeyPair { with[k] = e.eventID }
                    after[e.eventID] = e.prevEvents.isEmpty ? with : try resolveAllWays([before, with])
                    hasChild.formUnion(e.prevEvents)
                }
                got = try resolveAllWays(order.filter { !hasChild.contains($0.eventID) }.map { after[$0.eventID]! })
                // Resolving every PDU at once, one single-event state per PDU, agrees.
                let singles = order.compactMap { e in e.stateKeyPair.map { [$0: e.eventID] } }
                let allAtOnce = try resolveAllWays(singles)
                #expect(allAtOnce == expected, "\(name): resolving all PDUs at once")
            default:
                Issue.record("\(name): unknown mode \(mode)")
                continue
            }
            #expect(got == expected, "\(name) (\(mode), room v\(version.id)): differs at \(Set(got.keys).union(expected.keys).filter { got[$0] != expected[$0] }.sorted())")
        }
        #expect(modes == ["resolve", "dag_walk_unchecked", "pdu_batches"])
    }

    /// Resolves with the closure API, in explain mode, and with a provider of precomputed auth
    /// chains; all three must agree.
    static func resolveAllWays(_ sets: [StateMap], version: RoomVersion, events: [String: PDU], name: String) throws -> StateMap {
        let plain = try StateResolution.resolve(sets, version: version) { events[$0] }
        let explained = try StateResolution.resolveExplained(sets, version: version, events: events)
        #expect(explained.state == plain, "\(name): explain mode differs")
        let chained = try StateResolution.resolve(sets, version: version, events: ChainIndexedEvents(events: events, version: version))
        #expect(chained == plain, "\(name): precomputed auth chains differ")
        return plain
    }

    @Test func explainNamesTheDecidingStep() throws {
        let cases = try need(Vectors.load("state_res_cases.json")["cases"]?.arrayValue)
        let c = try need(cases.first { $0["name"]?.stringValue == "ruma/msc4297_problem_a_state_res_v2_0" })
        let version = try need(RoomVersion.named("11"))
        var events: [String: PDU] = [:]
        for e in try need(c["events"]?.arrayValue) {
            let pdu = try PDU(json: try need(e.objectValue), version: version)
            events[pdu.eventID] = pdu
        }
        let sets = try need(c["state_sets"]?.arrayValue).map { try Self.stateMap($0) }
        let (_, steps) = try StateResolution.resolveExplained(sets, version: version) { events[$0] }
        let joinRules = try need(steps.first { $0.key == .joinRules })
        #expect(joinRules.winner == nil && joinRules.candidates.count == 2 && joinRules.decision == .rejectedByAuth)
        #expect(joinRules.candidates.allSatisfy { joinRules.rejected[$0] != nil })
        let bob = try need(steps.first { $0.key == .member("@bob:example.com") })
        #expect(bob.winner == "$01-m-room-member-change-display-name-bob")
        #expect(bob.decision == .applied(.mainlineOrdering) && bob.decidedBy.contains("mainline"))
        #expect(steps.map(\.key) == steps.map(\.key).sorted())
    }

    @Test func unknownEventsAreAnError() throws {
        let version = try need(RoomVersion.named("10"))
        let error = #expect(throws: StateResolutionError.self) {
            try StateResolution.resolve([[.create: "$a"], [.create: "$b"]], version: version) { _ in nil }
        }
        #expect(error?.eventID == "$a" || error?.eventID == "$b")
    }
}
