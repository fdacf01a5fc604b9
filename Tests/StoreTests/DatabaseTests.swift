import Foundation
import GRDB
import Store
import Testing

@Suite struct DatabaseTests {
    @Test func freshFileIsMigrated() async throws {
        try await withTemporaryDatabase { database, directory in
            #expect(FileManager.default.fileExists(atPath: directory.databasePath))
            #expect(try await database.schemaVersion == Store.Database.knownSchemaVersion)
            #expect(Store.Database.knownSchemaVersion >= 1)
            let columns = try await database.read { db in
                try db.columns(in: "local_signing_keys").map(\.name)
            }
            #expect(columns == ["key_id", "public_key", "created_ts", "expired_ts"])
        }
    }

    /// The server's read path (on the calling thread): sees acknowledged writes, and after
    /// `close` answers `StoreError.closed` instead of touching a closed connection.
    @Test func readsOnTheCallingThreadSeeWritesAndStopAtClose() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let database = try Store.Database(path: directory.databasePath)
        try await database.writer.write { db in
            try db.execute(sql: "INSERT INTO local_signing_keys VALUES ('ed25519:a', 'pk', 1, NULL)")
        }
        let counts = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask { try await database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM local_signing_keys") ?? -1 } }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(counts == Array(repeating: 1, count: 8))
        // One read is one snapshot: a commit made meanwhile (here by another connection) is not
        // seen by its later statements.
        let path = directory.databasePath
        let seen = try await database.read { db in
            let before = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM local_signing_keys") ?? -1
            try DatabaseQueue(path: path).write { other in
                try other.execute(sql: "INSERT INTO local_signing_keys VALUES ('ed25519:b', 'pk', 1, NULL)")
            }
            return [before, try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM local_signing_keys") ?? -1]
        }
        #expect(seen == [1, 1])
        #expect(try await database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM local_signing_keys") } == 2)
        try await database.close()
        await #expect(throws: StoreError.closed) {
            _ = try await database.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
        }
    }

    @Test func reopeningDoesNotRerunMigrations() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let first = try openDatabase(directory.databasePath)
        try await first.writer.write { db in
            try db.execute(sql: "INSERT INTO local_signing_keys VALUES ('ed25519:a', 'pk', 1, NULL)")
        }
        try await first.close()

        // 0001 would fail with "table already exists" if it ran again.
        let second = try openDatabase(directory.databasePath)
        #expect(try await second.schemaVersion == Store.Database.knownSchemaVersion)
        let count = try await second.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM local_signing_keys")
        }
        #expect(count == 1)
        try await second.close()
    }

    @Test func refusesDatabaseFromNewerBinary() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let database = try openDatabase(directory.databasePath)
        try await database.writer.write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('9999_future')")
        }
        try await database.close()

        #expect(throws: StoreError.unknownMigrations(["9999_future"])) {
            _ = try openDatabase(directory.databasePath)
        }
    }

    @Test(arguments: [Store.Database.Synchronous.full, .normal])
    func pragmasAreAsConfigured(synchronous: Store.Database.Synchronous) async throws {
        try await withTemporaryDatabase(synchronous: synchronous) { database, _ in
            // SQLite never syncs at commit (NORMAL); for `full` the write lane syncs the WAL itself.
            let (level, foreignKeys) = try await database.writer.write { db in
                (try Int.fetchOne(db, sql: "PRAGMA synchronous"), try Bool.fetchOne(db, sql: "PRAGMA foreign_keys"))
            }
            #expect(level == 1)
            #expect(foreignKeys == true)
            let journal = try await database.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
            #expect(journal == "wal")
        }
    }

    /// A commit is announced (`afterCommit`) before the WAL is synced, and readable then; what
    /// is read meanwhile waits at the gate until the sync is done, and so does the writer.
    @Test func commitsAreReadableBeforeTheSyncButHeldAtTheGate() async throws {
        try await withTemporaryDatabase { database, _ in
            try await database.writer.write { db in try db.execute(sql: "CREATE TABLE notes (id INTEGER PRIMARY KEY)") }
            #expect(database.durability.isSettled)
            let log = EventLog()
            let queued = database.writer.submit({ db in try db.execute(sql: "INSERT INTO notes VALUES (1)") }, afterCommit: { _ in
                log.add("announced, settled: \(database.durability.isSettled)")
                let task = Task {
                    let rows = try await database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM notes") }
                    log.add("read \(rows ?? -1)")
                    await database.durability.wait()
                    log.add("through the gate, settled: \(database.durability.isSettled)")
                }
                log.keep(task)
            })
            try await queued.value
            #expect(database.durability.isSettled)
            try await log.task?.value
            #expect(log.entries == ["announced, settled: false", "read 1", "through the gate, settled: true"])
        }
    }

    @Test func dataSurvivesCloseAndReopen() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let first = try openDatabase(directory.databasePath)
        try await first.writer.write { db in
            try db.execute(sql: "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<20 {
                group.addTask {
                    try await first.writer.write { db in
                        try db.execute(sql: "INSERT INTO notes (id, body) VALUES (?, ?)", arguments: [index, "n\(index)"])
                    }
                }
            }
            try await group.waitForAll()
        }
        try await first.close()

        let second = try openDatabase(directory.databasePath)
        let bodies = try await second.read { db in try String.fetchAll(db, sql: "SELECT body FROM notes ORDER BY id") }
        #expect(bodies == (0..<20).map { "n\($0)" })
        try await second.close()
    }

    @Test func writesAfterCloseAreRefused() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let database = try openDatabase(directory.databasePath)
        try await database.close()
        await #expect(throws: StoreError.closed) {
            try await database.writer.write { _ in 1 }
        }
    }
}

/// What the durability test saw, in order.
private final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [String] = []
    private var kept: Task<Void, any Error>?

    func add(_ entry: String) { lock.withLock { recorded.append(entry) } }
    func keep(_ task: Task<Void, any Error>) { lock.withLock { kept = task } }
    var entries: [String] { lock.withLock { recorded } }
    var task: Task<Void, any Error>? { lock.withLock { kept } }
}
