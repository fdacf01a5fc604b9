import Foundation
import GRDB

/// The single writer of the database. Group commit: writes that arrive while a transaction is
/// committing wait, then all of them (up to ``maxBatch``) run in the next transaction, so one
/// fsync acknowledges many writes.
///
/// Each write runs in its own savepoint: if it throws, only its changes are rolled back and only
/// its caller gets the error. A caller resumes only after the COMMIT that holds its write
/// succeeded; if the COMMIT fails, every write of the batch gets that error.
public final class WriteLane: @unchecked Sendable {
    /// Counters for benchmarks and metrics.
    public struct Stats: Sendable, Equatable {
        /// Transactions attempted (one per batch).
        public var transactions = 0
        /// Writes run (committed or not).
        public var writes = 0
        /// Largest batch so far.
        public var largestBatch = 0
        /// Batches by size: index i counts batches of at most `batchBuckets[i]` writes.
        public var batchCounts = [Int](repeating: 0, count: WriteLane.batchBuckets.count)
        /// WAL syncs by the writer's thread (nothing was waiting) and by the syncer's (writes
        /// were waiting: the writer ran them meanwhile). Zero with `synchronous = normal`.
        public var walSyncsByWriter = 0
        public var walSyncsBySyncer = 0
    }

    /// Upper bounds of the batch-size histogram (metrics).
    public static let batchBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256]

    /// Upper bound on writes per transaction, so one huge batch does not delay its first callers.
    public static let maxBatch = 256

    // Everything below is guarded by `condition`'s lock.
    private let condition = NSCondition()
    private var counters = Stats()
    private var queue: [PendingWrite] = []
    private var isClosed = false
    private var isStopped = false
    private var stopWaiters: [CheckedContinuation<Void, Never>] = []

    public var stats: Stats {
        get async {
            var stats = locked { counters }
            stats.walSyncsBySyncer = syncer?.syncs ?? 0
            return stats
        }
    }

    /// Writes waiting for the next transaction (not counting the one being committed).
    public var queueDepth: Int {
        get async { locked { queue.count } }
    }

    private let pool: DatabasePool
    /// Commits not yet on disk are held back from leaving the process (see `DurabilityGate`).
    let gate = DurabilityGate()
    /// Syncs the WAL after each commit when SQLite itself does not (nil: nobody syncs at
    /// commit, `synchronous = normal`).
    let syncer: WALSyncer?

    /// Commits run on a thread of their own, not on the cooperative pool (an fsync must not
    /// hold up request handling) and not through GRDB's writer queue (each hand-off there and
    /// back cost thread wake-ups per write).
    convenience init(_ pool: DatabasePool, syncingWAL walPath: String?) {
        self.init(pool, syncer: walPath.map { WALSyncer(walPath: $0) })
    }

    /// `syncer` nil: nothing syncs the WAL at commit (`synchronous = normal`).
    init(_ pool: DatabasePool, syncer: WALSyncer?) {
        self.pool = pool
        self.syncer = syncer
        // Weakly held between rounds, so a lane dropped without `close()` lets its thread end.
        let thread = Thread { [weak self] in
            // Named from inside: Foundation's `Thread.name` does not reach the kernel here, and
            // `top -H` should show which thread commits.
            try? "apus-db-writer".write(toFile: "/proc/thread-self/comm", atomically: false, encoding: .utf8)
            while let lane = self, lane.commitRound() {}
        }
        thread.start()
    }

    /// Runs `work` in the next group-committed transaction and returns its result once durable.
    ///
    /// `work` runs inside a savepoint of a shared transaction: it must not begin or commit
    /// transactions itself. It is not cancelled with the calling task — once queued, it runs.
    public func write<T: Sendable>(
        _ work: @escaping @Sendable (GRDB.Database) throws -> T
    ) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            enqueue(PendingWrite(work: work) { continuation.resume(with: $0) })
        }
    }

    /// `write`, queued now and awaited later: a caller that must keep its writes in order (a
    /// room's events) queues the next one without waiting for the previous commit, so their
    /// commits can share a transaction. `afterCommit` runs on the writer's thread as soon as the
    /// write is committed, before the WAL is synced and the result handed back (a notification
    /// that must not wait for the sync, nor for the caller's task to be scheduled again).
    public func submit<T: Sendable>(_ work: @escaping @Sendable (GRDB.Database) throws -> T,
                                    afterCommit: @escaping @Sendable (T) -> Void = { _ in }) -> QueuedWrite<T> {
        let queued = QueuedWrite<T>()
        enqueue(PendingWrite(work: work, afterCommit: afterCommit) { queued.complete($0) })
        return queued
    }

    /// Commits what is queued, then refuses new writes with ``StoreError/closed``.
    public func close() async {
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            let stopped: Bool = locked {
                isClosed = true
                if !isStopped { stopWaiters.append(waiter) }
                return isStopped
            }
            condition.signal()
            if stopped { waiter.resume() }
        }
    }

    private func locked<T>(_ body: () -> T) -> T {
        condition.lock()
        defer { condition.unlock() }
        return body()
    }

    private func enqueue(_ write: PendingWrite) {
        let accepted: Bool = locked {
            guard !isClosed else { return false }
            queue.append(write)
            return true
        }
        guard accepted else { return write.abandon(StoreError.closed) }
        condition.signal()
    }

    /// One round of the writer thread: takes what queued while the previous transaction
    /// committed and commits it as one batch. False once closed and empty.
    private func commitRound() -> Bool {
        condition.lock()
        if queue.isEmpty && !isClosed { _ = condition.wait(until: Date(timeIntervalSinceNow: 1)) }
        if queue.isEmpty {
            guard isClosed else {
                condition.unlock()
                return true
            }
            isStopped = true
            let waiters = stopWaiters
            stopWaiters = []
            condition.unlock()
            syncer?.stop()
            for waiter in waiters { waiter.resume() }
            return false
        }
        let batch = Array(queue.prefix(Self.maxBatch))
        queue.removeFirst(batch.count)
        counters.transactions += 1
        counters.writes += batch.count
        counters.largestBatch = max(counters.largestBatch, batch.count)
        if let bucket = Self.batchBuckets.firstIndex(where: { batch.count <= $0 }) { counters.batchCounts[bucket] += 1 }
        condition.unlock()
        commit(batch)
        return true
    }

    /// Commits the batch and lets readers know (`afterCommit`); the callers are answered once
    /// the WAL is synced. Long-polls read while the sync is under way, and the gate holds their
    /// answers. With writes waiting, the syncer's thread syncs while this one runs them.
    private func commit(_ batch: [PendingWrite]) {
        // Numbered just before COMMIT, not before the batch: until then no reader can see it,
        // and answers need not wait for a batch still running its writes.
        let gate = self.gate
        let outcome = pool.writeWithoutTransaction { db in Self.run(batch, in: db) { gate.numberCommit() } }
        let number = outcome.number
        if outcome.error == nil {
            for delivery in outcome.deliveries { delivery.announce() }
        }
        let finish: @Sendable ((any Error)?) -> Void = { syncError in
            if let number { gate.settle(number) }
            let error = outcome.error ?? syncError
            for (index, write) in batch.enumerated() {
                if index < outcome.deliveries.count {
                    outcome.deliveries[index].deliver(error)
                } else {
                    write.abandon(error ?? StoreError.closed)
                }
            }
        }
        guard let syncer else { return finish(nil) }
        if syncer.isIdle && locked({ queue.isEmpty }) {
            guard outcome.error == nil else { return finish(nil) }
            locked { counters.walSyncsByWriter += 1 }
            finish(syncer.syncHere())
        } else {
            syncer.hand(WALSyncer.Job(needsSync: outcome.error == nil, finish: finish))
        }
    }

    /// Never throws: the transaction's error travels in the outcome so that every caller can be
    /// answered.
    ///
    /// GRDB's `inTransaction` keeps its guard: a statement run after SQLite rolled the whole
    /// transaction back (a full disk, say) throws instead of running in autocommit mode. Each
    /// write's savepoint is ours, its statements prepared once (GRDB's `inSavepoint` parses
    /// them on every call: two per message).
    private static func run(_ batch: [PendingWrite], in db: GRDB.Database,
                            beforeCommit: () -> Int64) -> BatchOutcome {
        var number: Int64?
        var deliveries: [PendingWrite.Delivery] = []
        deliveries.reserveCapacity(batch.count)
        do {
            try db.inTransaction(.immediate) {
                for write in batch {
                    // The rest of a batch whose transaction is gone must not run at all.
                    guard db.isInsideTransaction else { throw StoreError.transactionAborted }
                    deliveries.append(write.run(db))
                }
                // The last write may have been the one whose failure rolled everything back.
                guard db.isInsideTransaction else { throw StoreError.transactionAborted }
                number = beforeCommit()
                return .commit
            }
            return BatchOutcome(deliveries: deliveries, error: nil, number: number)
        } catch {
            return BatchOutcome(deliveries: deliveries, error: error, number: number)
        }
    }
}

/// What a batch produced: one delivery per write that ran, and the transaction's error if the
/// BEGIN or COMMIT failed.
private struct BatchOutcome: Sendable {
    var deliveries: [PendingWrite.Delivery]
    var error: (any Error)?
    /// The batch's number at the durability gate; nil when it never reached COMMIT.
    var number: Int64?
}

/// A queued write, type-erased so writes of any result type share one queue.
private struct PendingWrite: Sendable {
    /// How a write that ran is followed up once its transaction committed.
    struct Delivery: Sendable {
        /// Tells whoever follows the database (`afterCommit`): committed, maybe not yet on disk.
        let announce: @Sendable () -> Void
        /// Resumes the caller once the fate of the transaction is known (`nil`: durable).
        let deliver: @Sendable (_ transactionError: (any Error)?) -> Void
    }

    /// Runs the work in its own savepoint and returns how to follow it up.
    let run: @Sendable (GRDB.Database) -> Delivery
    /// Answers the caller with an error when the work never ran.
    let abandon: @Sendable (any Error) -> Void

    init<T: Sendable>(
        work: @escaping @Sendable (GRDB.Database) throws -> T,
        afterCommit: (@Sendable (T) -> Void)? = nil,
        completion: @escaping @Sendable (Result<T, any Error>) -> Void
    ) {
        run = { db in
            let result: Result<T, any Error>
            do {
                result = .success(try Self.inSavepoint(db) { try work(db) })
            } catch {
                result = .failure(error)
            }
            return Delivery(announce: {
                if let afterCommit, case .success(let value) = result { afterCommit(value) }
            }, deliver: { transactionError in
                // A write that failed on its own reports its own error, whatever the commit did.
                if case .success = result, let transactionError {
                    completion(.failure(transactionError))
                } else {
                    completion(result)
                }
            })
        }
        abandon = { completion(.failure($0)) }
    }

    /// `work` in a savepoint of the lane's transaction: on error, only its changes are undone.
    private static func inSavepoint<T>(_ db: GRDB.Database, _ work: () throws -> T) throws -> T {
        try db.cachedStatement(sql: "SAVEPOINT write").execute()
        do {
            let value = try work()
            guard db.isInsideTransaction else { throw StoreError.transactionAborted }
            try db.cachedStatement(sql: "RELEASE SAVEPOINT write").execute()
            return value
        } catch {
            if db.isInsideTransaction {
                // Rolling back to a savepoint keeps it on SQLite's stack: release it too.
                try? db.cachedStatement(sql: "ROLLBACK TRANSACTION TO SAVEPOINT write").execute()
                try? db.cachedStatement(sql: "RELEASE SAVEPOINT write").execute()
            }
            throw error
        }
    }
}

/// A write queued with `WriteLane.submit`: its result once its transaction committed (or failed).
public final class QueuedWrite<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<T, any Error>?
    private var waiters: [CheckedContinuation<T, any Error>] = []

    fileprivate func complete(_ outcome: Result<T, any Error>) {
        lock.lock()
        result = outcome
        let waiting = waiters
        waiters = []
        lock.unlock()
        for waiter in waiting { waiter.resume(with: outcome) }
    }

    /// Committed and synced, or failed: `value` would not wait.
    public var isSettled: Bool {
        lock.lock()
        defer { lock.unlock() }
        return result != nil
    }

    public var value: T {
        get async throws {
            try await withCheckedThrowingContinuation { continuation in
                lock.lock()
                if let result {
                    lock.unlock()
                    continuation.resume(with: result)
                } else {
                    waiters.append(continuation)
                    lock.unlock()
                }
            }
        }
    }
}
