/// The step of the algorithm in which an event was checked.
public enum ResolutionPhase: String, Sendable, Hashable, CustomStringConvertible {
    /// v2 steps 1–2: reverse topological power ordering, then the iterative auth checks.
    case powerOrdering
    /// v2 steps 3–4: mainline ordering, then the iterative auth checks.
    case mainlineOrdering
    /// Room v1: candidates in depth order, each checked against the state resolved so far.
    case v1DepthOrder
    /// Room v1: no candidate passed, so the last in depth order was kept (as Synapse does).
    case v1Fallback

    public var description: String {
        switch self {
        case .powerOrdering: "reverse topological power ordering + auth checks"
        case .mainlineOrdering: "mainline ordering + auth checks"
        case .v1DepthOrder: "v1 depth order + auth checks"
        case .v1Fallback: "v1: no candidate passed the auth rules; the lowest in depth order kept"
        }
    }
}

/// How the winner of one conflicted state key was decided (`apus state resolve --explain`).
public struct ResolutionStep: Sendable, Equatable {
    /// One event checked for this key, in the order the algorithm checked them.
    public struct Check: Sendable, Equatable {
        public let eventID: String
        public let phase: ResolutionPhase
        /// Why the auth rules refused it; nil when it was applied.
        public let rejection: String?
    }

    /// What decided the key.
    public enum Decision: Sendable, Equatable, CustomStringConvertible {
        /// The winner was the last event applied for the key, in this phase.
        case applied(ResolutionPhase)
        /// No event for the key passed the auth rules: the key is absent from the result.
        case rejectedByAuth

        public var description: String {
            switch self {
            case .applied(let phase): phase.description
            case .rejectedByAuth: "no candidate passed the auth rules"
            }
        }
    }

    public let key: StateKey
    /// The events the state sets hold for the key (a set without the key adds none), sorted.
    public let candidates: [String]
    public let winner: String?
    public let decision: Decision
    /// Every event checked for the key: the candidates and the auth-difference events with the
    /// same key.
    public let checks: [Check]

    /// Whether the winner came from the auth difference rather than from a state set.
    public var winnerFromAuthDifference: Bool { winner.map { !candidates.contains($0) } ?? false }

    /// The decision in words.
    public var decidedBy: String {
        winnerFromAuthDifference ? "\(decision) (an event from the auth difference, not a candidate)" : decision.description
    }

    /// The events checked for the key that the auth rules refused, with why.
    public var rejected: [String: String] {
        var out: [String: String] = [:]
        for c in checks { if let r = c.rejection { out[c.eventID] = r } }
        return out
    }
}

extension Resolver {
    /// One step per conflicted key, from what the resolution recorded.
    func explanation(of sets: [StateMap], conflictedKeys: [StateKey], resolved: StateMap) -> [ResolutionStep] {
        conflictedKeys.map { key in
            let candidates = Set(sets.compactMap { $0[key] }).sorted { UTF8Order.precedes($0, $1) }
            let checks = (trail[key] ?? []).map { ResolutionStep.Check(eventID: graph.id($0.node), phase: $0.phase, rejection: $0.rejection) }
            let winner = resolved[key]
            let phase = checks.last { $0.eventID == winner && $0.rejection == nil }?.phase
            let decision: ResolutionStep.Decision = phase.map { .applied($0) } ?? .rejectedByAuth
            return ResolutionStep(key: key, candidates: candidates, winner: winner, decision: decision, checks: checks)
        }
    }
}
