import MatrixProtocol
import Synchronization

/// Compiled push rules of the users events were recently evaluated for, so a send in a busy
/// room does not read and compile every member's rules again. A user's entry is dropped when
/// their rules change; a load that raced with such a change is not kept.
final class PushRuleCache: Sendable {
    private struct State {
        var evaluators: [String: PushEvaluator] = [:]
        /// Bumped by every invalidation: a load started before one may be stale.
        var generation = 0
    }

    /// Entries kept at most; past it the cache starts again (it refills from one read per send).
    static let capacity = 100_000

    private let state = Mutex(State())

    /// The cached evaluator of each of `userIDs` (nil: not cached), and the generation to hand
    /// back to `store`.
    func lookup(_ userIDs: [String]) -> (found: [PushEvaluator?], generation: Int) {
        state.withLock { s in (userIDs.map { s.evaluators[$0] }, s.generation) }
    }

    func store(_ loaded: [String: PushEvaluator], loadedAt generation: Int) {
        state.withLock { s in
            guard s.generation == generation else { return }
            if s.evaluators.count + loaded.count > Self.capacity { s.evaluators.removeAll(keepingCapacity: true) }
            s.evaluators.merge(loaded) { $1 }
        }
    }

    /// Changes with every invalidation: evaluators looked up at one value are current while it holds.
    var generation: Int { state.withLock { $0.generation } }

    func invalidate(_ userID: String) {
        state.withLock { s in
            s.evaluators[userID] = nil
            s.generation += 1
        }
    }
}
