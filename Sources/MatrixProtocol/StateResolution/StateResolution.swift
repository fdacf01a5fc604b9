import Sodium

/// Why a resolution could not run: an event it needs is unknown.
public struct StateResolutionError: Error, Equatable, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// How the winner of one conflicted state key was decided (`apus state resolve --explain`).
public struct ResolutionStep: Sendable, Equatable {
    public let key: StateKey
    public let candidates: [String]
    public let winner: String?
    public let decidedBy: String
    /// Candidates the auth rules rejected, with why.
    public let rejected: [String: String]
}

/// State resolution (spec: room v1 "State resolution", `fragments/v2-state-res.md`, v12 v2.1):
/// merges the states of several forks of a room into one, the same way on every server.
public enum StateResolution {
    /// Looks events up by ID; the store can serve them lazily.
    public typealias Events = (String) -> PDU?

    public static func resolve(_ stateSets: [StateMap], version: RoomVersion, events: @escaping Events) throws(StateResolutionError) -> StateMap {
        try resolveExplained(stateSets, version: version, events: events).state
    }

    public static func resolveExplained(_ stateSets: [StateMap], version: RoomVersion,
                                        events: @escaping Events) throws(StateResolutionError) -> (state: StateMap, steps: [ResolutionStep]) {
        var resolver = Resolver(version: version, lookup: events)
        switch version.stateResolution {
        case .v1: return try resolver.resolveV1(stateSets)
        case .v2, .v2_1: return try resolver.resolveV2(stateSets)
        }
    }
}

/// One resolution's working memory: memoised events, auth chains and power levels.
struct Resolver {
    let version: RoomVersion
    let lookup: StateResolution.Events
    private var cache: [String: PDU] = [:]
    private var chains: [String: Set<String>] = [:]
    private var phase: [String: String] = [:]
    private var rejections: [String: String] = [:]

    init(version: RoomVersion, lookup: @escaping StateResolution.Events) {
        self.version = version
        self.lookup = lookup
    }

    mutating func event(_ id: String) throws(StateResolutionError) -> PDU {
        if let e = cache[id] { return e }
        guard let e = lookup(id) else { throw StateResolutionError(message: "event \(id) is not known") }
        cache[id] = e
        return e
    }

    mutating func optionalEvent(_ id: String) -> PDU? {
        try? event(id)
    }

    /// An event's auth events; in v12 the create event is implied (its ID is the room ID's).
    mutating func authEvents(of e: PDU) -> [String] {
        guard version.hashedRoomIDs, e.type != "m.room.create" else { return e.authEvents }
        let create = "$" + e.roomID.dropFirst()
        return e.authEvents.contains(create) ? e.authEvents : e.authEvents + [create]
    }

    /// All auth ancestors of an event (not the event itself), memoised.
    mutating func authChain(_ id: String) throws(StateResolutionError) -> Set<String> {
        if let c = chains[id] { return c }
        // Iterative post-order walk, so deep chains cannot overflow the stack.
        var stack: [(String, Bool)] = [(id, false)]
        while let (current, expanded) = stack.popLast() {
            if chains[current] != nil { continue }
            let e = try event(current)
            let parents = authEvents(of: e)
            if expanded {
                var chain = Set(parents)
                for p in parents { chain.formUnion(chains[p] ?? []) }
                chains[current] = chain
            } else {
                stack.append((current, true))
                for p in parents where chains[p] == nil { stack.append((p, false)) }
            }
        }
        return chains[id] ?? []
    }

    // MARK: v2 and v2.1

    mutating func resolveV2(_ sets: [StateMap]) throws(StateResolutionError) -> (state: StateMap, steps: [ResolutionStep]) {
        let (unconflicted, conflictedKeys) = Self.split(sets, missingIsConflict: true)
        var conflicted: Set<String> = []
        for set in sets { for key in conflictedKeys { if let id = set[key] { conflicted.insert(id) } } }
        // Auth difference: union minus intersection of the sets' auth chains.
        var chainsPerSet: [Set<String>] = []
        for set in sets {
            var chain: Set<String> = []
            for id in set.values { chain.formUnion(try authChain(id)) }
            chainsPerSet.append(chain)
        }
        let union = chainsPerSet.reduce(into: Set<String>()) { $0.formUnion($1) }
        let intersection = chainsPerSet.dropFirst().reduce(chainsPerSet.first ?? []) { $0.intersection($1) }
        var full = conflicted.union(union.subtracting(intersection))
        if version.stateResolution == .v2_1 {
            full.formUnion(try conflictedSubgraph(conflicted))
        }
        full = full.filter { optionalEvent($0) != nil }

        // Power events and their auth ancestors within the full conflicted set.
        var powerSet: Set<String> = []
        var pending: Set<String> = []
        for id in full where Self.isPowerEvent(try event(id)) { pending.insert(id) }
        while let id = pending.popFirst() {
            guard powerSet.insert(id).inserted else { continue }
            for a in authEvents(of: try event(id)) where full.contains(a) && !powerSet.contains(a) { pending.insert(a) }
        }
        let sortedPower = try reverseTopologicalPowerOrder(powerSet)
        var resolved = try iterativeAuthChecks(sortedPower, base: version.stateResolution == .v2_1 ? [:] : unconflicted,
                                               phase: "reverse topological power ordering + auth checks")

        // The rest, by mainline ordering against the resolved power levels.
        let rest = full.subtracting(powerSet)
        let sortedRest = try mainlineOrder(Array(rest), powerLevels: resolved[.powerLevels])
        resolved = try iterativeAuthChecks(sortedRest, base: resolved, phase: "mainline ordering + auth checks")
        for (k, v) in unconflicted { resolved[k] = v }
        return (resolved, explain(sets, conflictedKeys: conflictedKeys, resolved: resolved))
    }

    /// Splits the sets into the unconflicted state and the conflicted keys.
    static func split(_ sets: [StateMap], missingIsConflict: Bool) -> (StateMap, Set<StateKey>) {
        var unconflicted = StateMap()
        var conflicted: Set<StateKey> = []
        let keys = sets.reduce(into: Set<StateKey>()) { $0.formUnion($1.keys) }
        for key in keys {
            let values = sets.compactMap { $0[key] }
            let distinct = Set(values)
            if distinct.count == 1 && (!missingIsConflict || values.count == sets.count) {
                unconflicted[key] = values[0]
            } else {
                conflicted.insert(key)
            }
        }
        return (unconflicted, conflicted)
    }

    static func isPowerEvent(_ e: PDU) -> Bool {
        switch e.type {
        case "m.room.power_levels", "m.room.join_rules": return e.stateKey == ""
        case "m.room.member":
            let m = e.content["membership"]?.stringValue
            return (m == "leave" || m == "ban") && e.stateKey != e.sender
        default: return false
        }
    }

    /// v2.1: every event on an auth path between two conflicted events, endpoints included.
    mutating func conflictedSubgraph(_ conflicted: Set<String>) throws(StateResolutionError) -> Set<String> {
        var result: Set<String> = []
        for start in conflicted {
            let ancestors = try authChain(start)
            for target in conflicted where target != start && ancestors.contains(target) {
                // Events between start and target: ancestors of start that descend from target.
                result.insert(start)
                result.insert(target)
                for mid in ancestors where mid != target {
                    if try authChain(mid).contains(target) { result.insert(mid) }
                }
            }
        }
        return result
    }

    /// The sender's power level from the event's own auth events (creator 100 without a PL
    /// event; v12 creators infinite).
    mutating func senderPowerLevel(_ e: PDU) -> PowerLevel {
        var pl: PDU?, create: PDU?
        for id in authEvents(of: e) {
            guard let a = optionalEvent(id) else { continue }
            if a.type == "m.room.power_levels", a.stateKey == "" { pl = a }
            if a.type == "m.room.create", a.stateKey == "" { create = a }
        }
        if e.type == "m.room.create" { create = e }
        return PowerLevels(event: pl, create: create, version: version).userLevel(e.sender)
    }

    /// Kahn's algorithm over the auth edges inside `ids`, ties broken by the power comparator:
    /// higher sender power level, then earlier origin_server_ts, then smaller event ID.
    mutating func reverseTopologicalPowerOrder(_ ids: Set<String>) throws(StateResolutionError) -> [String] {
        var dependencies: [String: Set<String>] = [:]
        var dependents: [String: [String]] = [:]
        var key: [String: (PowerLevel, Int64)] = [:]
        for id in ids {
            let e = try event(id)
            let deps = Set(authEvents(of: e).filter(ids.contains))
            dependencies[id] = deps
            for d in deps { dependents[d, default: []].append(id) }
            key[id] = (senderPowerLevel(e), e.originServerTS)
        }
        func before(_ a: String, _ b: String) -> Bool {
            Self.powerOrderPrecedes((key[a]!.0, key[a]!.1, a), (key[b]!.0, key[b]!.1, b))
        }
        var ready = ids.filter { dependencies[$0]!.isEmpty }.sorted(by: before)
        var order: [String] = []
        order.reserveCapacity(ids.count)
        while !ready.isEmpty {
            let next = ready.removeFirst()
            order.append(next)
            for d in dependents[next] ?? [] {
                dependencies[d]!.remove(next)
                if dependencies[d]!.isEmpty {
                    let index = ready.firstIndex { before(d, $0) } ?? ready.count
                    ready.insert(d, at: index)
                }
            }
        }
        return order
    }

    /// The power comparator: higher sender power level first, then earlier origin_server_ts,
    /// then the smaller event ID.
    static func powerOrderPrecedes(_ a: (PowerLevel, Int64, String), _ b: (PowerLevel, Int64, String)) -> Bool {
        if a.0 != b.0 { return a.0 > b.0 }
        if a.1 != b.1 { return a.1 < b.1 }
        return a.2.utf8.lexicographicallyPrecedes(b.2.utf8)
    }

    /// Mainline ordering: by the position of the closest power levels event on the resolved
    /// power levels' mainline (events with none first), then origin_server_ts, then event ID.
    mutating func mainlineOrder(_ ids: [String], powerLevels: String?) throws(StateResolutionError) -> [String] {
        var mainline: [String] = []
        var cursor = powerLevels
        while let id = cursor, let pl = optionalEvent(id) {
            mainline.append(id)
            cursor = authEvents(of: pl).first { optionalEvent($0).map { $0.type == "m.room.power_levels" && $0.stateKey == "" } ?? false }
        }
        var depthOf: [String: Int] = [:]
        for (i, id) in mainline.reversed().enumerated() { depthOf[id] = i + 1 }
        var memo: [String: Int] = [:]
        func mainlineDepth(_ start: String) -> Int {
            var chain: [String] = []
            var current: String? = start
            var depth = 0
            while let id = current {
                if let d = depthOf[id] { depth = d; break }
                if let d = memo[id] { depth = d; break }
                chain.append(id)
                guard let e = optionalEvent(id) else { break }
                current = authEvents(of: e).first { optionalEvent($0).map { $0.type == "m.room.power_levels" && $0.stateKey == "" } ?? false }
            }
            for id in chain { memo[id] = depth }
            return depth
        }
        var keyed: [(id: String, depth: Int, ts: Int64)] = []
        for id in ids { keyed.append((id, mainlineDepth(id), try event(id).originServerTS)) }
        keyed.sort { a, b in
            if a.depth != b.depth { return a.depth < b.depth }
            if a.ts != b.ts { return a.ts < b.ts }
            return a.id.utf8.lexicographicallyPrecedes(b.id.utf8)
        }
        return keyed.map(\.id)
    }

    /// Authorises each event in order against the partial state, falling back to the event's own
    /// auth events for keys the partial state lacks; accepted state events update the state.
    mutating func iterativeAuthChecks(_ ids: [String], base: StateMap, phase name: String) throws(StateResolutionError) -> StateMap {
        var state = base
        for id in ids {
            let e = try event(id)
            // The event's own auth events fill what the partial state lacks. An auth event that
            // lost earlier in this resolution still counts: only events rejected on receipt (which
            // never reach a state set) are excluded.
            var own: [StateKey: PDU] = [:]
            for a in authEvents(of: e) {
                if let ae = optionalEvent(a), let k = ae.stateKeyPair { own[k] = ae }
            }
            var lookupState: [StateKey: PDU] = own
            for key in AuthRules.authEventKeys(for: e.type, stateKey: e.stateKey, sender: e.sender, content: e.content, version: version)
                + [.create] {
                if let rid = state[key], let re = optionalEvent(rid) { lookupState[key] = re }
            }
            do {
                try AuthRules.check(e, version: version) { lookupState[$0] }
                if let key = e.stateKeyPair {
                    state[key] = id
                    phase[id] = name
                }
            } catch {
                rejections[id] = error.reason
            }
        }
        return state
    }

    // MARK: v1

    mutating func resolveV1(_ sets: [StateMap]) throws(StateResolutionError) -> (state: StateMap, steps: [ResolutionStep]) {
        let (unconflicted, conflictedKeys) = Self.split(sets, missingIsConflict: false)
        var resolved = unconflicted
        func candidates(_ key: StateKey) -> [String] { Array(Set(sets.compactMap { $0[key] })) }
        func sha1(_ id: String) -> [UInt8] { SHA1.hash(Array(id.utf8)) }
        // Power levels, then join rules, then members: ascending depth, descending sha1(id);
        // the first is taken as it is, each next one only while the auth rules allow it.
        for type in ["m.room.power_levels", "m.room.join_rules", "m.room.member"] {
            for key in conflictedKeys.filter({ $0.type == type }).sorted() {
                var list: [PDU] = []
                for id in candidates(key) { list.append(try event(id)) }
                list.sort { a, b in
                    a.depth != b.depth ? a.depth < b.depth : sha1(b.eventID).lexicographicallyPrecedes(sha1(a.eventID))
                }
                guard let first = list.first else { continue }
                resolved[key] = first.eventID
                phase[first.eventID] = "v1: \(type) with the lowest depth"
                for e in list.dropFirst() {
                    guard allowed(e, in: resolved) else { rejections[e.eventID] = "not allowed in the state resolved so far"; break }
                    resolved[key] = e.eventID
                    phase[e.eventID] = "v1: \(type) allowed in order of depth"
                }
            }
        }
        // Everything else: the highest depth, then lowest sha1(id), that passes auth.
        for key in conflictedKeys.filter({ !["m.room.power_levels", "m.room.join_rules", "m.room.member"].contains($0.type) }).sorted() {
            var list: [PDU] = []
            for id in candidates(key) { list.append(try event(id)) }
            list.sort { a, b in a.depth != b.depth ? a.depth > b.depth : sha1(a.eventID).lexicographicallyPrecedes(sha1(b.eventID)) }
            if let winner = list.first(where: { allowed($0, in: resolved) }) {
                resolved[key] = winner.eventID
                phase[winner.eventID] = "v1: highest depth that passes auth"
            }
        }
        return (resolved, explain(sets, conflictedKeys: conflictedKeys, resolved: resolved))
    }

    mutating func allowed(_ e: PDU, in state: StateMap) -> Bool {
        var lookupState: [StateKey: PDU] = [:]
        for (k, id) in state { if let ev = optionalEvent(id) { lookupState[k] = ev } }
        do {
            try AuthRules.check(e, version: version) { lookupState[$0] }
            return true
        } catch {
            rejections[e.eventID] = error.reason
            return false
        }
    }

    // MARK: Explanation

    func explain(_ sets: [StateMap], conflictedKeys: Set<StateKey>, resolved: StateMap) -> [ResolutionStep] {
        conflictedKeys.sorted().map { key in
            let candidates = Array(Set(sets.compactMap { $0[key] })).sorted()
            let winner = resolved[key]
            var decided = winner.flatMap { phase[$0] } ?? (winner == nil ? "no candidate passed the auth rules" : "auth chain of the other forks")
            if let winner, !candidates.contains(winner) { decided = "auth difference: \(decided)" }
            var rejected: [String: String] = [:]
            for c in candidates { if let r = rejections[c] { rejected[c] = r } }
            return ResolutionStep(key: key, candidates: candidates, winner: winner, decidedBy: decided, rejected: rejected)
        }
    }
}
