/// Mainline ordering (spec `v2-state-res.md`, "Mainline ordering" and algorithm step 3).
extension Resolver {
    /// The power levels event among an event's auth events, if any.
    mutating func powerLevelsParent(_ n: Node) throws(StateResolutionError) -> Node? {
        for p in try graph.parents(n) {
            let e = try graph.pdu(p)
            if e.type == "m.room.power_levels", e.stateKey == "" { return p }
        }
        return nil
    }

    /// Orders `nodes` by the mainline of `powerLevels` (the resolved power levels event):
    /// an event whose closest power levels ancestor sits deeper in that mainline comes first
    /// (events with none at all first of all), then earlier `origin_server_ts`, then the smaller
    /// event ID.
    mutating func mainlineOrder(_ nodes: [Node], powerLevels: Node?) throws(StateResolutionError) -> [Node] {
        // Mainline positions counted from the room's start: the oldest power levels event is 1,
        // the resolved one the highest; 0 stands for the spec's ∞ (no mainline event reached).
        // Ascending here is the spec's descending order of positions counted from the top.
        var mainline: [Node] = []
        var onMainline = NodeSet()
        var cursor = powerLevels
        while let p = cursor, onMainline.insert(p) {
            mainline.append(p)
            cursor = try powerLevelsParent(p)
        }
        var depth: [Node: Int] = [:]
        for (i, p) in mainline.reversed().enumerated() { depth[p] = i + 1 }

        // Each event's walk down its power levels ancestors; the depth found is memoised for every
        // event passed on the way, so shared stretches are walked once.
        func mainlineDepth(_ start: Node) throws(StateResolutionError) -> Int {
            var passed: [Node] = []
            var seen = NodeSet()
            var current = try powerLevelsParent(start)
            var found = 0
            while let n = current, seen.insert(n) {
                if let d = depth[n] { found = d; break }
                passed.append(n)
                current = try powerLevelsParent(n)
            }
            for n in passed { depth[n] = found }
            return found
        }

        var keyed: [(node: Node, depth: Int, ts: Int64, id: String)] = []
        keyed.reserveCapacity(nodes.count)
        for n in nodes {
            keyed.append((n, try mainlineDepth(n), try graph.pdu(n).originServerTS, graph.id(n)))
        }
        keyed.sort { a, b in
            if a.depth != b.depth { return a.depth < b.depth }
            if a.ts != b.ts { return a.ts < b.ts }
            return UTF8Order.precedes(a.id, b.id)
        }
        return keyed.map(\.node)
    }
}
