import Synchronization

/// Per-destination exponential backoff after connection-level failures, so a dead server is not
/// dialled for every event. The delay starts at `base`, doubles per consecutive failure up to
/// `cap`, and is forgotten on success or when the destination contacts us.
final class DestinationBackoff: Sendable {
    struct State {
        var retryAt: ContinuousClock.Instant
        var delay: Duration
    }

    let base: Duration
    let cap: Duration
    private let table = Mutex<[String: State]>([:])

    init(base: Duration = .seconds(2), cap: Duration = .seconds(600)) {
        self.base = base
        self.cap = cap
    }

    /// The instant before which `destination` should not be retried, if it is backing off.
    func retryAt(_ destination: String, now: ContinuousClock.Instant = .now) -> ContinuousClock.Instant? {
        table.withLock { table in
            guard let state = table[destination], state.retryAt > now else { return nil }
            return state.retryAt
        }
    }

    func noteFailure(_ destination: String, now: ContinuousClock.Instant = .now) {
        table.withLock { table in
            // Requests already in flight when the backoff began do not escalate it again.
            if let state = table[destination], state.retryAt > now { return }
            let delay = table[destination].map { min($0.delay * 2, cap) } ?? base
            table[destination] = State(retryAt: now + delay, delay: delay)
        }
    }

    func reset(_ destination: String) {
        _ = table.withLock { $0.removeValue(forKey: destination) }
    }
}
