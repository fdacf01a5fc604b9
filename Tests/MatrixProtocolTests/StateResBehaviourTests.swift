import Sodium
import Testing
@testable import MatrixProtocol

/// Properties of the resolver beyond the shared vectors: the synthetic two-fork room, the
/// provider seam (rejected events, precomputed chains), and the graph walks against their
/// definitions on random DAGs.
@Suite struct StateResBehaviourTests {
    func hex(_ bytes: [UInt8]) -> String { bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined() }

    /// FIPS 180-2 known answers: v1 orders events by sha1(event_id).
    @Test func sha1KnownAnswers() {
        #expect(hex(SHA1.hash(Array("abc".utf8))) == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(hex(SHA1.hash([UInt8]())) == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        #expect(hex(SHA1.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)))
                == "84983e441c3bd26ebaae4aa1f95129e5e54670f1")
    }

    @Test(arguments: ["2", "6", "10", "11", "12"])
    func syntheticForksResolveToForkA(versionID: String) throws {
        let version = try #require(RoomVersion.named(versionID))
        let room = try StateResolution.SyntheticRoom(members: 50, conflicts: 10, version: version)
        let (state, steps) = try StateResolution.resolveExplained([room.forkA, room.forkB], version: version, events: room.events)
        #expect(state == room.forkA)
        #expect(try StateResolution.resolve([room.forkB, room.forkA], version: version, events: room.events) == room.forkA)
        let chained = ChainIndexedEvents(events: room.events, version: version)
        #expect(try StateResolution.resolve([room.forkA, room.forkB], version: version, events: chained) == room.forkA)

        let ban = try #require(steps.first { $0.key == .member(room.bannedUser) })
        #expect(ban.winner == "$banA" && ban.decision == .applied(.powerOrdering))
        #expect(ban.rejected["$nameB49"] != nil)
        let topic = try #require(steps.first { $0.key == StateKey("m.room.topic", "") })
        #expect(topic.winner == "$topicA" && topic.decision == .applied(.mainlineOrdering))
        #expect(topic.checks.map(\.eventID) == ["$topicB", "$topicA"])
        #expect(steps.count == 13)  // power levels, topic, the ban, 10 display names
    }

    /// The generator's promise: each event passes the auth rules against its own auth events.
    @Test(arguments: ["1", "10", "12"])
    func syntheticEventsAreAuthorised(versionID: String) throws {
        let version = try #require(RoomVersion.named(versionID))
        let room = try StateResolution.SyntheticRoom(members: 5, conflicts: 3, version: version)
        for e in room.events.values {
            var auth: [StateKey: PDU] = [:]
            for id in e.authEvents + (version.hashedRoomIDs ? ["$create"] : []) {
                let a = try #require(room.events[id])
                auth[try #require(a.stateKeyPair)] = a
            }
            #expect(throws: Never.self, "\(e.eventID)") { try AuthRules.check(e, version: version) { auth[$0] } }
        }
    }

    @Test func syntheticForksInRoomV1() throws {
        let version = try #require(RoomVersion.named("1"))
        let room = try StateResolution.SyntheticRoom(members: 20, conflicts: 5, version: version)
        let (state, steps) = try StateResolution.resolveExplained([room.forkA, room.forkB], version: version, events: room.events)
        #expect(state.count == room.forkA.count)
        #expect(state[.powerLevels] == "$plA")  // lower depth first, then the raise is allowed
        #expect(state[.member(room.bannedUser)] == "$banA")  // the banned member's change is refused
        #expect(steps.allSatisfy { $0.checks.allSatisfy { $0.phase == .v1DepthOrder } })
    }

    /// A provider's rejected flag keeps an event out of the state and out of the auth events
    /// of the others.
    @Test func rejectedEventsNeverEnter() throws {
        let version = try #require(RoomVersion.named("10"))
        let room = try StateResolution.SyntheticRoom(members: 10, conflicts: 3, version: version)
        var provider = ChainIndexedEvents(events: room.events, version: version)
        provider.rejectedIDs = ["$plA", "$banA"]
        let (state, steps) = try StateResolution.resolveExplained([room.forkA, room.forkB], version: version, events: provider)
        #expect(state[.powerLevels] == "$pl")
        #expect(state[.member(room.bannedUser)] == "$nameB9")
        #expect(steps.first { $0.key == .powerLevels }?.rejected["$plA"] == "rejected when it was received")
    }

    @Test func oneSetAndNoSets() throws {
        let version = try #require(RoomVersion.named("12"))
        let room = try StateResolution.SyntheticRoom(members: 3, conflicts: 1, version: version)
        #expect(try StateResolution.resolve([room.forkB], version: version, events: room.events) == room.forkB)
        #expect(try StateResolution.resolve([], version: version, events: room.events).isEmpty)
    }

    /// A random DAG over nodes 0..<n, each node's parents drawn from lower numbers.
    func randomGraph(_ n: Int, seed: UInt64) throws -> (Resolver, [[Int]]) {
        var rng = SeededRandom(state: seed)
        let v10 = try #require(RoomVersion.named("10"))
        var parents: [[Int]] = []
        var events: [String: PDU] = [:]
        for i in 0..<n {
            let count = i == 0 ? 0 : Int.random(in: 0...min(3, i), using: &rng)
            let ps = Array(Set((0..<count).map { _ in Int.random(in: 0..<i, using: &rng) })).sorted()
            parents.append(ps)
            let json: JSONObject = ["type": "m.room.message", "room_id": "!r:x", "sender": "@a:x", "content": [:],
                                    "auth_events": JSONValue(ps.map { "$\($0)" })]
            events["$\(i)"] = try PDU(json: json, version: v10, eventID: "$\(i)")
        }
        var r = Resolver(version: v10, events: events)
        for i in 0..<n { _ = r.graph.node("$\(i)") }  // node i is event $i
        return (r, parents)
    }

    func ancestors(_ i: Int, _ parents: [[Int]]) -> Set<Int> {
        var seen: Set<Int> = []
        var stack = parents[i]
        while let p = stack.popLast() { if seen.insert(p).inserted { stack += parents[p] } }
        return seen
    }

    @Test(arguments: 1...20)
    func conflictedSubgraphMatchesItsDefinition(seed: Int) throws {
        var (r, parents) = try randomGraph(40, seed: UInt64(seed))
        var rng = SeededRandom(state: UInt64(seed) * 7919)
        let conflicted = Array(Set((0..<5).map { _ in Int.random(in: 0..<40, using: &rng) }))
        // By definition: m is on a path c1 →* m →* c2 between two different conflicted events.
        let anc = (0..<40).map { ancestors($0, parents) }
        var expected: Set<Int> = []
        for c1 in conflicted {
            for c2 in conflicted where c1 != c2 && anc[c1].contains(c2) {
                expected.insert(c1)
                expected.insert(c2)
                for m in anc[c1] where anc[m].contains(c2) { expected.insert(m) }
            }
        }
        #expect(Set(try r.graph.conflictedSubgraph(conflicted).members) == expected)
    }

    @Test(arguments: 1...20)
    func authDifferenceMatchesItsDefinition(seed: Int) throws {
        var (r, parents) = try randomGraph(40, seed: UInt64(seed))
        var rng = SeededRandom(state: UInt64(seed) * 104_729)
        let common = Array(Set((0..<4).map { _ in Int.random(in: 0..<40, using: &rng) }))
        let sets = (0..<3).map { _ in Array(Set((0..<3).map { _ in Int.random(in: 0..<40, using: &rng) })) }
        let chains = sets.map { set in (set + common).reduce(into: Set<Int>()) { $0.formUnion(ancestors($1, parents)) } }
        let expected = chains.reduce(into: Set<Int>()) { $0.formUnion($1) }.subtracting(chains.dropFirst().reduce(chains[0]) { $0.intersection($1) })
        #expect(Set(try r.graph.authDifference(sets, common: common).members) == expected)
    }
}
