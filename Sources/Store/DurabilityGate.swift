import Synchronization

/// With `synchronous = full`, a commit is visible to readers before it is on disk: the writer
/// commits without syncing, tells the long-polls (they read meanwhile), then syncs the WAL
/// itself (`WriteLane`). Nothing read may leave the process before the commits it could have
/// seen are on disk: answers and outgoing federation and pushes wait here first.
public final class DurabilityGate: Sendable {
    private struct State {
        /// Batches about to commit (numbered just before COMMIT): a read from now on may see
        /// up to this one. A batch still running its writes is invisible and not counted.
        var numbered: Int64 = 0
        /// Batches on disk (or failed, leaving nothing to see), all of them up to this one.
        var settled: Int64 = 0
        var waiters: [(batch: Int64, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let state = Mutex(State())

    init() {}

    /// A batch is about to commit; returns its number.
    func numberCommit() -> Int64 {
        state.withLock { s in
            s.numbered += 1
            return s.numbered
        }
    }

    /// The batch (and every one before it) is on disk, or left nothing behind.
    func settle(_ batch: Int64) {
        let ready: [CheckedContinuation<Void, Never>] = state.withLock { s in
            s.settled = max(s.settled, batch)
            let settled = s.settled
            let ready = s.waiters.filter { $0.batch <= settled }.map(\.continuation)
            if !ready.isEmpty { s.waiters.removeAll { $0.batch <= settled } }
            return ready
        }
        for continuation in ready { continuation.resume() }
    }

    /// True when no commit is waiting for its sync.
    public var isSettled: Bool { state.withLock { $0.settled == $0.numbered } }

    /// Returns once every commit that a read made before this call could have seen is on disk.
    public func wait() async {
        let target: Int64? = state.withLock { s in s.settled >= s.numbered ? nil : s.numbered }
        guard let target else { return }
        await withCheckedContinuation { continuation in
            let parked = state.withLock { s in
                guard s.settled < target else { return false }
                s.waiters.append((target, continuation))
                return true
            }
            if !parked { continuation.resume() }
        }
    }
}
