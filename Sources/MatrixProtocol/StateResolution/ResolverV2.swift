/// State resolution v2 (room versions 2–11, spec `rooms/fragments/v2-state-res.md`) and v2.1
/// (room version 12, spec `rooms/v12.md` "State resolution").
extension Resolver {
    mutating func resolveV2(_ sets: [StateMap]) throws(StateResolutionError) -> (state: StateMap, conflictedKeys: [StateKey]) {
        let v2_1 = version.stateResolution == .v2_1
        let (unconflicted, conflictedKeys) = Self.split(sets, missingIsConflict: true)
        guard !conflictedKeys.isEmpty else { return (unconflicted, []) }

        // The conflicted state set, per state set, interned.
        var conflicted = NodeSet()
        let conflictedPerSet: [[Node]] = sets.map { set in
            conflictedKeys.compactMap { set[$0] }.map { graph.node($0) }
        }
        for list in conflictedPerSet { for n in list { conflicted.insert(n) } }
        for n in conflicted.members { _ = try graph.pdu(n) }  // every state-set event must be known
        var common: [Node] = []
        common.reserveCapacity(unconflicted.count)
        var base: [StateKey: Node] = [:]
        if !v2_1 { base.reserveCapacity(unconflicted.count) }
        for (key, id) in unconflicted {
            let n = graph.node(id)
            common.append(n)
            if !v2_1 { base[key] = n }
        }

        // Full conflicted set: the conflicted state set, the auth difference and (v2.1) the
        // conflicted state subgraph.
        var full = conflicted
        for n in try graph.authDifference(conflictedPerSet, common: common).members { full.insert(n) }
        if v2_1 {
            for n in try graph.conflictedSubgraph(conflicted.members).members { full.insert(n) }
        }

        // Steps 1–2: power events (and their ancestors in the set) in reverse topological power
        // order, authorised from the unconflicted state (v2) or from nothing (v2.1).
        let power = try powerEventsWithAncestors(in: full)
        var state = base
        var applied: Set<StateKey> = []
        try iterativeAuthChecks(try reverseTopologicalPowerOrder(power), state: &state, applied: &applied, phase: .powerOrdering)

        // Steps 3–4: everything else by the mainline of the power levels resolved so far.
        let isPower = NodeSet(power)
        let rest = full.members.filter { !isPower.contains($0) }
        try iterativeAuthChecks(try mainlineOrder(rest, powerLevels: state[.powerLevels]), state: &state, applied: &applied,
                                phase: .mainlineOrdering)

        // Step 5: the unconflicted state wins over whatever the checks left for its keys. Only
        // the keys the checks applied can differ from it.
        var resolved = unconflicted
        for key in applied where unconflicted[key] == nil { resolved[key] = graph.id(state[key]!) }
        return (resolved, conflictedKeys)
    }
}
