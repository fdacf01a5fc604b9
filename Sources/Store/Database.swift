import Foundation
import GRDB
import Logging

/// The Apus SQLite database: a WAL pool of readers plus the single write lane.
///
/// Opening migrates the schema to the newest version this binary knows. Reads run concurrently on
/// the pool; every write goes through ``writer`` so that concurrent writes are group-committed.
public final class Database: Sendable {
    /// How hard SQLite syncs on commit (`PRAGMA synchronous`).
    public enum Synchronous: String, Sendable, CaseIterable {
        /// fsync on every commit: an acknowledged write survives power loss (the default).
        case full
        /// fsync only at checkpoints: a power loss may drop the last commits (never corrupts).
        case normal
    }

    /// Path of the database file.
    public let path: String
    public let synchronous: Synchronous
    /// The one writer; use it for every change.
    public let writer: WriteLane
    let pool: DatabasePool
    /// The connections of reads on the calling thread.
    private let readers: ReaderConnections
    private let readsOnCallingThread: Bool
    let sessions = SessionCache()
    /// Rooms' notification slots, for the writer (`MemberSlots`).
    let memberSlots = MemberSlotCache()
    /// Recent client transaction IDs, for idempotent sends.
    let clientTransactions = ClientTransactions()

    /// Opens (creating it and its parent directories if needed) and migrates the database at `path`.
    /// `readsOnCallingThread`: see `read`. The test suites turn it off: hundreds of servers in
    /// one process share two cooperative threads there, and blocking them delays unrelated tests.
    public init(
        path: String,
        synchronous: Synchronous = .full,
        readsOnCallingThread: Bool = true,
        logger: Logger = Logger(label: "apus.store")
    ) throws {
        self.readsOnCallingThread = readsOnCallingThread
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)

        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        // The lane serialises our own writes; the timeout only covers other processes
        // (`sqlite3` shell, backups) holding the lock for a moment.
        configuration.busyMode = .timeout(5)
        configuration.label = "apus.db"
        // Sorts, IN-lists and statement journals in memory: the default made SQLite create and
        // unlink a file in /var/tmp every few sends.
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA temp_store = MEMORY") }
        let pool = try DatabasePool(path: path, configuration: configuration)
        readers = ReaderConnections(path: path, configuration: configuration)

        // SQLite itself never syncs at commit (NORMAL: only at checkpoints); for `full` the write
        // lane syncs the WAL after each commit instead, so that long-polls can read the commit
        // while that sync is under way (`DurabilityGate`). GRDB sets NORMAL when it enables WAL,
        // after `prepareDatabase` has run, so it is set here again, on the writer: the only
        // connection that commits.
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        try Self.migrate(pool, logger: logger)
        let transactions = clientTransactions
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        try pool.read { db in try transactions.load(db, now: now) }

        self.path = path
        self.synchronous = synchronous
        self.pool = pool
        self.writer = WriteLane(pool, syncingWAL: synchronous == .full ? path + "-wal" : nil)
        pool.add(transactionObserver: sessions, extent: .databaseLifetime)
    }

    /// Answers and outgoing messages wait here until what they may have read is on disk.
    public var durability: DurabilityGate { writer.gate }

    /// Number of applied migrations (compare with ``knownSchemaVersion``).
    public var schemaVersion: Int {
        get async throws {
            try await pool.read { db in try Migrations.migrator.appliedIdentifiers(db).count }
        }
    }

    /// Number of migrations this binary knows; a fully migrated database has this version.
    public static var knownSchemaVersion: Int { Migrations.count }

    /// Runs `work` on a reader connection, in a snapshot that sees every acknowledged write.
    ///
    /// Runs on the calling thread (a reader connection is taken from the pool): our reads are
    /// short, and handing each one to a reader queue and back cost two thread wake-ups, which
    /// made up most of a message send's CPU time.
    public func read<T: Sendable>(_ work: @escaping @Sendable (GRDB.Database) throws -> T) async throws -> T {
        guard readsOnCallingThread else { return try await pool.read(work) }
        return try readOnCallingThread(work)
    }

    /// A synchronous context, so that GRDB's blocking `read` is the overload chosen.
    private func readOnCallingThread<T>(_ work: (GRDB.Database) throws -> T) throws -> T {
        // One snapshot for the whole closure, as GRDB's `read` gives, but with the transaction's
        // statements prepared once: a /sync makes some ten reads, and GRDB parses its BEGIN
        // and COMMIT again for each (the reader connections are read-only either way).
        try readers.read { db in
            try db.cachedStatement(sql: "BEGIN DEFERRED TRANSACTION").execute()
            defer { try? db.cachedStatement(sql: "COMMIT TRANSACTION").execute() }
            return try work(db)
        }
    }

    /// Finishes the writes already queued, refuses new ones, then closes every connection.
    public func close() async throws {
        await writer.close()
        readers.close()
        // GRDB's close blocks until its readers' last work has run, and that work runs on the
        // global dispatch queues whose threads are also Swift's cooperative pool: blocking one
        // of them here can leave none to run it (two databases closing at once on 2 cores
        // hung the test suite). So the close blocks a thread of its own.
        let pool = self.pool
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, Error>) in
            Thread.detachNewThread { done.resume(with: Result { try pool.close() }) }
        }
    }

    private static func migrate(_ pool: DatabasePool, logger: Logger) throws {
        let migrator = Migrations.migrator
        let pending = try pool.read { db in
            // GRDB traps on a database migrated beyond what it knows: refuse politely instead.
            let applied = try migrator.appliedIdentifiers(db)
            let unknown = applied.subtracting(migrator.migrations)
            guard unknown.isEmpty else { throw StoreError.unknownMigrations(unknown.sorted()) }
            return migrator.migrations.filter { !applied.contains($0) }
        }
        guard !pending.isEmpty else { return }
        try migrator.migrate(pool)
        logger.info("database migrated", metadata: ["applied": "\(pending.joined(separator: ","))"])
    }
}
