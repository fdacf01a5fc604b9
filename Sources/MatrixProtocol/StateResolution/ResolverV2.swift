/// State resolution v2 (room versions 2–11) and v2.1 (room version 12).
extension Resolver {
    mutating func resolveV2(_ sets: [StateMap]) throws(StateResolutionError) -> (state: StateMap, steps: [ResolutionStep]) {
        let (unconflicted, conflictedKeys) = Self.split(sets, missingIsConflict: true)
        var conflicted: Set<String> = []
        for set in sets { for key in conflictedKeys { if let id = set[key] { conflicted.insert(id) } } }
        // Auth difference: union minus intersection of the sets' auth chains.
        var chainsPerSet: [Set<String>] = []
        for set in sets { chainsPerSet.append(try ancestors(of: set.values)) }
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

    /// Splits the sets into the unconflicted state and the conflicted keys. Walks each set once
    /// and compares in place: rooms have tens of thousands of keys and few conflicts.
    static func split(_ sets: [StateMap], missingIsConflict: Bool) -> (StateMap, Set<StateKey>) {
        var unconflicted = StateMap()
        var conflicted: Set<StateKey> = []
        guard let first = sets.first else { return (unconflicted, conflicted) }
        unconflicted.reserveCapacity(first.count)
        for (index, set) in sets.enumerated() {
            for (key, value) in set where !conflicted.contains(key) && unconflicted[key] == nil {
                var agree = true
                var present = 1
                for other in sets[(index + 1)...] {
                    if let v = other[key] {
                        present += 1
                        if v != value { agree = false; break }
                    }
                }
                // A key first seen after set 0 was missing from set 0.
                let complete = index == 0 && present == sets.count
                if agree && (complete || !missingIsConflict) { unconflicted[key] = value } else { conflicted.insert(key) }
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
}
