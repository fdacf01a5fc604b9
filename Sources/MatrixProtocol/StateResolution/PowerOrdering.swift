/// Power events and the reverse topological power ordering (spec `v2-state-res.md`,
/// "Power events", "Reverse topological power ordering" and algorithm step 1).
extension Resolver {
    /// A state event that may take an ability away: power levels, join rules, or a kick or ban
    /// (membership `leave` or `ban` sent by someone other than its target).
    static func isPowerEvent(_ e: PDU) -> Bool {
        guard let key = e.stateKey else { return false }
        switch e.type {
        case "m.room.power_levels", "m.room.join_rules": return key.isEmpty
        case "m.room.member":
            let membership = e.content["membership"]?.stringValue
            return (membership == "leave" || membership == "ban") && key != e.sender
        default: return false
        }
    }

    /// Step 1's set X: the power events of the full conflicted set, with their auth ancestors
    /// that are also in the full conflicted set.
    ///
    /// The ancestors are followed through `auth_events` edges *inside* the full conflicted set,
    /// as Synapse and ruma do (an ancestor reached only through an event outside the set is left
    /// to the mainline ordering); the spec's wording could also be read to include those.
    mutating func powerEventsWithAncestors(in full: NodeSet) throws(StateResolutionError) -> [Node] {
        var x = NodeSet()
        var stack: [Node] = []
        for n in full.members where Self.isPowerEvent(try graph.pdu(n)) {
            if x.insert(n) { stack.append(n) }
        }
        while let n = stack.popLast() {
            for p in try graph.parents(n) where full.contains(p) && x.insert(p) { stack.append(p) }
        }
        return x.members
    }

    /// The sender's power level as the event's own auth events give it: their power levels event
    /// (`users`, then `users_default`), or without one 100 for the room creator and 0 for others;
    /// in v12 the creators' power is infinite. Uses the auth rules' ``PowerLevels`` so stringy and
    /// float levels of old versions read the same here as there.
    mutating func senderPowerLevel(of e: PDU, authEvents: [Node]) -> PowerLevel {
        var powerLevels: PDU?
        var create: PDU? = e.type == "m.room.create" ? e : nil
        for a in authEvents {
            guard let ae = graph.knownPDU(a), ae.stateKey == "" else { continue }
            if ae.type == "m.room.power_levels", powerLevels == nil { powerLevels = ae }
            if ae.type == "m.room.create", create == nil { create = ae }
        }
        return PowerLevels(event: powerLevels, create: create, version: version).userLevel(e.sender)
    }

    mutating func senderPowerLevel(_ n: Node) throws(StateResolutionError) -> PowerLevel {
        senderPowerLevel(of: try graph.pdu(n), authEvents: try graph.parents(n))
    }

    /// The comparison of the power ordering: higher sender power level first, then earlier
    /// `origin_server_ts`, then the smaller event ID (by code point, as UTF-8 bytes compare).
    static func powerOrderPrecedes(_ a: (level: PowerLevel, ts: Int64, id: String), _ b: (level: PowerLevel, ts: Int64, id: String)) -> Bool {
        if a.level != b.level { return a.level > b.level }
        if a.ts != b.ts { return a.ts < b.ts }
        return UTF8Order.precedes(a.id, b.id)
    }

    /// The reverse topological power ordering of `nodes`: auth events before the events they
    /// authorise, ties by ``powerOrderPrecedes(_:_:)``.
    mutating func reverseTopologicalPowerOrder(_ nodes: [Node]) throws(StateResolutionError) -> [Node] {
        var key: [Node: (level: PowerLevel, ts: Int64, id: String)] = [:]
        var deps: [Node: [Node]] = [:]
        for n in nodes {
            key[n] = (try senderPowerLevel(n), try graph.pdu(n).originServerTS, graph.id(n))
            deps[n] = try graph.parents(n)
        }
        return lexicographicTopologicalSort(nodes, dependencies: { deps[$0] ?? [] },
                                            precedes: { Self.powerOrderPrecedes(key[$0]!, key[$1]!) })
    }
}
