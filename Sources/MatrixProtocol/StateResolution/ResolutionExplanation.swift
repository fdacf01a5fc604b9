/// What `--explain` reports: per conflicted key, the candidates and the deciding step.
extension Resolver {
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
