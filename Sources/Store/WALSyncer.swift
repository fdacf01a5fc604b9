import Foundation

/// Syncs the WAL on a thread of its own, so that the writer runs the next batch while the last
/// one reaches the disk: an `fdatasync` is mostly device time, and with it on the writer's path
/// every batch waited for the previous one's sync before it could even start.
///
/// Batches are finished in the order they were handed over, and one sync covers every batch
/// committed before it began. When nothing is waiting, the writer syncs its own batch instead
/// (`syncHere`): handing it over would add a thread wake-up to the path of a lone write.
final class WALSyncer: @unchecked Sendable {
    /// A committed batch waiting for the sync that makes it durable.
    struct Job: Sendable {
        /// False for a batch whose transaction failed: it left nothing to sync.
        let needsSync: Bool
        /// Settles the batch, given the error of the sync that covered it (nil: on disk).
        let finish: @Sendable (_ syncError: (any Error)?) -> Void
    }

    // Guarded by `condition`'s lock.
    private let condition = NSCondition()
    private var jobs: [Job] = []
    private var working = false
    private var isStopping = false
    private var syncCount = 0

    private let sync: @Sendable () throws -> Void
    private let release: @Sendable () -> Void

    /// `sync` makes everything written so far durable; `release` runs once, when stopped.
    /// Calls to `sync` never overlap: the syncer's own run only jobs handed over, and the writer
    /// calls `syncHere` only when none is waiting or under way.
    init(sync: @escaping @Sendable () throws -> Void, release: @escaping @Sendable () -> Void = {}) {
        self.sync = sync
        self.release = release
        let thread = Thread { [weak self] in
            try? "apus-wal-sync".write(toFile: "/proc/thread-self/comm", atomically: false, encoding: .utf8)
            while let syncer = self, syncer.round() {}
        }
        thread.start()
    }

    /// Syncs the WAL file at `path`, through a descriptor opened on first use.
    convenience init(walPath path: String) {
        let file = WALFile(path: path)
        self.init(sync: { try file.sync() }, release: { file.close() })
    }

    /// No batch handed over is unfinished: the writer may sync and settle its own right away
    /// without overtaking one.
    var isIdle: Bool { locked { jobs.isEmpty && !working } }

    /// Syncs handed over so far (for tests and metrics).
    var syncs: Int { locked { syncCount } }

    func hand(_ job: Job) {
        locked { jobs.append(job) }
        condition.signal()
    }

    /// Syncs on the caller's thread; only when `isIdle`.
    func syncHere() -> (any Error)? {
        do {
            try sync()
            return nil
        } catch {
            return error
        }
    }

    /// Finishes every job handed over, then ends the thread and releases the file.
    func stop() {
        condition.lock()
        isStopping = true
        condition.broadcast()
        while !jobs.isEmpty || working { condition.wait() }
        condition.unlock()
        release()
    }

    private func locked<T>(_ body: () -> T) -> T {
        condition.lock()
        defer { condition.unlock() }
        return body()
    }

    /// One sync for every job handed over since the last one. False once stopping and empty.
    private func round() -> Bool {
        condition.lock()
        if jobs.isEmpty && !isStopping { _ = condition.wait(until: Date(timeIntervalSinceNow: 1)) }
        guard !jobs.isEmpty else {
            condition.unlock()
            return !isStopping
        }
        let taken = jobs
        jobs = []
        working = true
        let needsSync = taken.contains { $0.needsSync }
        if needsSync { syncCount += 1 }
        condition.unlock()
        let error = needsSync ? syncHere() : nil
        for job in taken { job.finish(job.needsSync ? error : nil) }
        condition.lock()
        working = false
        condition.broadcast()
        condition.unlock()
        return true
    }
}

/// The WAL file, opened for syncing only. An fsync of any descriptor of a file flushes the file.
private final class WALFile: @unchecked Sendable {
    private let path: String
    // Used by one thread at a time (see `WALSyncer.init`), closed once: a descriptor closed
    // twice may close someone else's file (a socket) by then.
    private var descriptor: Int32 = -1

    init(path: String) { self.path = path }

    deinit { close() }

    func sync() throws {
        if descriptor < 0 {
            descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw StoreError.walSync(errno) }
        }
        guard fdatasync(descriptor) == 0 else { throw StoreError.walSync(errno) }
    }

    func close() {
        if descriptor >= 0 { Glibc.close(descriptor) }
        descriptor = -1
    }
}
