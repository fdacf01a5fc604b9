/// The conflicted state subgraph of state resolution v2.1 (spec `rooms/v12.md`, "Conflicted state
/// subgraph"): the union of all `auth_events` paths between two events of the conflicted state
/// set, endpoints included.
extension EventGraph {
    /// An event is on such a path exactly when a conflicted event reaches it and it reaches a
    /// conflicted event, the two not being one and the same event with an empty path:
    /// - a conflicted event: when another conflicted event reaches it, or it reaches one;
    /// - any other event: when it is in the auth chain of a conflicted event and reaches one.
    ///
    /// Two linear passes over the auth chain of the conflicted events (each edge once), instead
    /// of a walk per pair.
    mutating func conflictedSubgraph(_ conflicted: [Node]) throws(StateResolutionError) -> NodeSet {
        let isConflicted = NodeSet(conflicted)
        let below = try authChain(of: conflicted)

        // reaches[n]: some auth path of length ≥ 1 leads from n to a conflicted event. Computed
        // bottom-up with an explicit stack (auth chains can be deep); a node already on the stack
        // is not entered again, so even a malformed graph with a cycle terminates.
        var reaches: [Node: Bool] = [:]
        var entered = NodeSet()
        for root in conflicted where !entered.contains(root) {
            var stack: [(node: Node, expanded: Bool)] = [(root, false)]
            while let (n, expanded) = stack.popLast() {
                let parents = try self.parents(n)
                if expanded {
                    reaches[n] = parents.contains { isConflicted.contains($0) || reaches[$0] == true }
                } else if entered.insert(n) {
                    stack.append((n, true))
                    for p in parents where !entered.contains(p) { stack.append((p, false)) }
                }
            }
        }

        var subgraph = NodeSet()
        for n in conflicted where below.contains(n) || reaches[n] == true { subgraph.insert(n) }
        for n in below.members where !isConflicted.contains(n) && reaches[n] == true { subgraph.insert(n) }
        return subgraph
    }
}
