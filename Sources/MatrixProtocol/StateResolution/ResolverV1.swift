import Sodium

/// State resolution of room version 1 (spec `rooms/v1.md`, "State resolution").
extension Resolver {
    mutating func resolveV1(_ sets: [StateMap]) throws(StateResolutionError) -> (state: StateMap, conflictedKeys: [StateKey]) {
        // R starts as the union of the states without the conflicting keys: a key only some sets
        // have is no conflict in v1.
        let (unconflicted, conflictedKeys) = Self.split(sets, missingIsConflict: false)
        var resolved = unconflicted
        func candidates(_ key: StateKey) throws(StateResolutionError) -> [(node: Node, depth: Int64, sha1: [UInt8])] {
            var list: [(node: Node, depth: Int64, sha1: [UInt8])] = []
            for id in Set(sets.compactMap { $0[key] }) {
                let n = graph.node(id)
                list.append((n, try graph.pdu(n).depth, SHA1.hash(Array(id.utf8))))
            }
            return list
        }

        // Power levels, then join rules, then members: by ascending depth, then descending
        // sha1(event_id). The first is taken as it is; each next one only while the rules allow
        // it in R, stopping at the first refused.
        let authTypes = ["m.room.power_levels", "m.room.join_rules", "m.room.member"]
        for type in authTypes {
            for key in conflictedKeys where key.type == type {
                let list = try candidates(key).sorted { a, b in
                    a.depth != b.depth ? a.depth < b.depth : b.sha1.lexicographicallyPrecedes(a.sha1)
                }
                guard let first = list.first else { continue }
                resolved[key] = graph.id(first.node)
                record(key, first.node, .v1DepthOrder, rejection: nil)
                for c in list.dropFirst() {
                    if let refusal = try refusal(of: c.node, in: resolved) {
                        record(key, c.node, .v1DepthOrder, rejection: refusal)
                        break
                    }
                    resolved[key] = graph.id(c.node)
                    record(key, c.node, .v1DepthOrder, rejection: nil)
                }
            }
        }

        // Every other conflict: the highest depth, then lowest sha1(event_id), that the rules
        // allow in R. The spec does not say what happens when none passes; like Synapse, keep the
        // last in that order (the lowest depth) rather than drop a key every fork has.
        for key in conflictedKeys where !authTypes.contains(key.type) {
            let list = try candidates(key).sorted { a, b in
                a.depth != b.depth ? a.depth > b.depth : a.sha1.lexicographicallyPrecedes(b.sha1)
            }
            var winner: Node?
            for c in list {
                if let refusal = try refusal(of: c.node, in: resolved) {
                    record(key, c.node, .v1DepthOrder, rejection: refusal)
                } else {
                    winner = c.node
                    record(key, c.node, .v1DepthOrder, rejection: nil)
                    break
                }
            }
            if let chosen = winner ?? list.last?.node {
                if winner == nil { record(key, chosen, .v1Fallback, rejection: nil) }
                resolved[key] = graph.id(chosen)
            }
        }
        return (resolved, conflictedKeys)
    }

    /// Why the rules refuse the event in state `r` (nil: allowed). Only R counts here: v1 has no
    /// fallback to the event's own auth events.
    private mutating func refusal(of n: Node, in r: StateMap) throws(StateResolutionError) -> String? {
        let e = try graph.pdu(n)
        var lookup: [StateKey: PDU] = [:]
        for k in AuthRules.authEventKeys(for: e.type, stateKey: e.stateKey, sender: e.sender, content: e.content, version: version) + [.create] {
            if let id = r[k] { lookup[k] = try graph.pdu(graph.node(id)) }
        }
        do {
            try AuthRules.check(e, version: version) { lookup[$0] }
            return nil
        } catch {
            return error.reason
        }
    }
}
