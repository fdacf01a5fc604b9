/// Splitting the state sets into the unconflicted state and the conflicted keys.
extension Resolver {
    /// A key is unconflicted when every set that has it holds the same event, and, when
    /// `missingIsConflict` (v2 and v2.1: "present in every Sᵢ"), every set has it. Room v1 counts
    /// only different events as a conflict, so a key some sets lack keeps its one event.
    ///
    /// Each set is walked once and compared in place: rooms have tens of thousands of keys and
    /// few conflicts.
    static func split(_ sets: [StateMap], missingIsConflict: Bool) -> (unconflicted: StateMap, conflicted: [StateKey]) {
        var unconflicted = StateMap()
        var conflicted: Set<StateKey> = []
        guard let first = sets.first else { return (unconflicted, []) }
        unconflicted.reserveCapacity(first.count)
        for (index, set) in sets.enumerated() {
            for (key, value) in set where unconflicted[key] == nil && !conflicted.contains(key) {
                var agree = true
                var present = 1
                for other in sets[(index + 1)...] {
                    guard let v = other[key] else { continue }
                    present += 1
                    if v != value { agree = false; break }
                }
                // A key first seen after set 0 is missing from set 0.
                let everywhere = index == 0 && present == sets.count
                if agree && (everywhere || !missingIsConflict) { unconflicted[key] = value } else { conflicted.insert(key) }
            }
        }
        return (unconflicted, conflicted.sorted())
    }
}
