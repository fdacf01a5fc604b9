/// Auth chains and the auth difference (spec `v2-state-res.md`, "Auth chain" and "Auth difference").
///
/// The *auth chain* of an event is every event reachable through `auth_events`, the event itself
/// excluded. Walks are iterative, visit each node once per walk, and take the provider's
/// precomputed chains where it has them.
extension EventGraph {
    /// The union of the auth chains of `starts`: a start is in it only when another start reaches
    /// it. Nodes in `covered` are neither entered nor expanded (the caller knows they, and so
    /// their ancestors, are accounted for).
    mutating func authChain(of starts: some Sequence<Node>,
                            excluding covered: NodeSet? = nil) throws(StateResolutionError) -> NodeSet {
        var seen = NodeSet()
        var stack: [Node] = []
        func reach(_ n: Node) {
            if covered?.contains(n) != true, seen.insert(n) { stack.append(n) }
        }
        for start in starts {
            if let chain = precomputedChain(start) {
                // A whole chain is closed under ancestry: nothing in it needs expanding.
                for n in chain where covered?.contains(n) != true { seen.insert(n) }
            } else {
                for p in try parents(start) { reach(p) }
            }
        }
        while let n = stack.popLast() {
            for p in try parents(n) { reach(p) }
        }
        return seen
    }

    /// The auth difference ∪Cᵢ − ∩Cᵢ of the state sets, where Cᵢ is the union of the auth chains
    /// of set i's events (the spec's convention: a chain does not hold the event it starts from).
    ///
    /// `common` are the events every set holds (the unconflicted state) and `sets` the rest of
    /// each set. Everything in the auth chain of a common event is in every Cᵢ, so that chain is
    /// walked once and the per-set walks stop at it: in a large room only the few conflicted
    /// events are walked per set.
    mutating func authDifference(_ sets: [[Node]], common: [Node]) throws(StateResolutionError) -> NodeSet {
        let shared = try authChain(of: common)
        var reachedBy: [Int] = []
        var reached = NodeSet()
        for set in sets {
            for n in try authChain(of: set, excluding: shared).members {
                reached.insert(n)
                if n >= reachedBy.count {
                    reachedBy.append(contentsOf: repeatElement(0, count: max(n + 1, reachedBy.count * 2) - reachedBy.count))
                }
                reachedBy[n] += 1
            }
        }
        var difference = NodeSet()
        for n in reached.members where reachedBy[n] < sets.count { difference.insert(n) }
        return difference
    }
}
