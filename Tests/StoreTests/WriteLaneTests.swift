import GRDB
@testable import Store
import Testing

private struct Refused: Error, Equatable {}

@Suite struct WriteLaneTests {
    private func createTable(_ database: Store.Database) async throws {
        try await database.writer.write { db in
            try db.execute(sql: "CREATE TABLE items (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
        }
    }

    private func count(_ database: Store.Database) async throws -> Int {
        try await database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM items") ?? 0 }
    }

    @Test func concurrentWritersAreGroupCommitted() async throws {
        try await withTemporaryDatabase { database, _ in
            try await createTable(database)
            let before = await database.writer.stats
            let writers = 200
            let ids = try await withThrowingTaskGroup(of: Int64.self) { group in
                for index in 0..<writers {
                    group.addTask {
                        try await database.writer.write { db in
                            try db.execute(sql: "INSERT INTO items (body) VALUES (?)", arguments: ["row \(index)"])
                            return db.lastInsertedRowID
                        }
                    }
                }
                return try await group.reduce(into: [Int64]()) { $0.append($1) }
            }
            #expect(Set(ids).count == writers)
            #expect(try await count(database) == writers)

            let stats = await database.writer.stats
            #expect(stats.writes - before.writes == writers)
            #expect(stats.transactions - before.transactions < writers)
            #expect(stats.largestBatch > 1)
        }
    }

    @Test func failingWriteRollsBackOnlyItself() async throws {
        try await withTemporaryDatabase { database, _ in
            try await createTable(database)
            let results = await withTaskGroup(of: (Int, Result<Int64, any Error>).self) { group in
                for index in 0..<50 {
                    group.addTask {
                        do {
                            let id = try await database.writer.write { db in
                                try db.execute(sql: "INSERT INTO items (body) VALUES (?)", arguments: ["row \(index)"])
                                // The failing write has already written: its row must be rolled back.
                                if index == 25 { throw Refused() }
                                return db.lastInsertedRowID
                            }
                            return (index, .success(id))
                        } catch {
                            return (index, .failure(error))
                        }
                    }
                }
                return await group.reduce(into: [Int: Result<Int64, any Error>]()) { $0[$1.0] = $1.1 }
            }
            for (index, result) in results {
                if index == 25 {
                    #expect(throws: Refused()) { try result.get() }
                } else {
                    #expect(throws: Never.self) { try result.get() }
                }
            }
            #expect(try await count(database) == 49)
            let failedBody = try await database.read { db in
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM items WHERE body = 'row 25'")
            }
            #expect(failedBody == 0)
        }
    }

    @Test func failingWriteInSameBatchDoesNotLoseOthers() async throws {
        try await withTemporaryDatabase { database, _ in
            try await createTable(database)
            let lane = database.writer
            let (release, blocker) = try await holdLane(lane)
            let statsBefore = await lane.stats

            let first = Task {
                try await lane.write { db in
                    try db.execute(sql: "INSERT INTO items (body) VALUES ('a')")
                }
            }
            let failing = Task {
                try await lane.write { db in
                    try db.execute(sql: "INSERT INTO items (body) VALUES ('b')")
                    throw Refused()
                }
            }
            let last = Task {
                try await lane.write { db in
                    try db.execute(sql: "INSERT INTO items (body) VALUES ('c')")
                }
            }
            try await waitUntil { await lane.queueDepth == 3 }
            release.open()
            try await blocker.value

            try await first.value
            try await last.value
            await #expect(throws: Refused()) { try await failing.value }
            let stats = await lane.stats
            #expect(stats.transactions - statsBefore.transactions == 1)
            let bodies = try await database.read { db in
                try String.fetchAll(db, sql: "SELECT body FROM items ORDER BY body")
            }
            #expect(bodies == ["a", "c"])
        }
    }

    @Test func failedCommitFailsTheWholeBatch() async throws {
        try await withTemporaryDatabase { database, _ in
            let lane = database.writer
            try await lane.write { db in
                try db.execute(sql: """
                    CREATE TABLE parents (id INTEGER PRIMARY KEY);
                    CREATE TABLE children (parent INTEGER REFERENCES parents(id) DEFERRABLE INITIALLY DEFERRED);
                    """)
            }
            let (release, blocker) = try await holdLane(lane)

            // A deferred foreign key is checked at COMMIT: the violation fails the whole batch.
            let innocent = Task {
                try await lane.write { db in try db.execute(sql: "INSERT INTO parents (id) VALUES (1)") }
            }
            let violator = Task {
                try await lane.write { db in try db.execute(sql: "INSERT INTO children (parent) VALUES (42)") }
            }
            try await waitUntil { await lane.queueDepth == 2 }
            release.open()
            try await blocker.value

            await #expect(throws: DatabaseError.self) { try await innocent.value }
            await #expect(throws: DatabaseError.self) { try await violator.value }
            let parents = try await database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM parents") }
            #expect(parents == 0)

            // The lane keeps working after a failed commit.
            try await lane.write { db in try db.execute(sql: "INSERT INTO parents (id) VALUES (2)") }
            let after = try await database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM parents") }
            #expect(after == 1)
        }
    }

    /// What SQLite does on some errors (a full disk): the whole transaction is gone. Every write
    /// of the batch fails with the lane's own error, whether a write follows the rollback (it
    /// must not slip in outside the transaction) or the rollback is the last write (then COMMIT
    /// would fail with SQLite's bare "Transaction was aborted" unless the lane checks first).
    @Test(arguments: [true, false])
    func abortedTransactionFailsEveryWriteOfTheBatch(writeAfterRollback: Bool) async throws {
        try await withTemporaryDatabase { database, _ in
            try await createTable(database)
            let lane = database.writer
            let (release, blocker) = try await holdLane(lane)

            let first = try await queue(lane, "INSERT INTO items (body) VALUES ('a')")
            let aborter = try await queue(lane, "ROLLBACK")
            let last = writeAfterRollback ? try await queue(lane, "INSERT INTO items (body) VALUES ('c')") : nil
            release.open()
            try await blocker.value

            await #expect(throws: StoreError.transactionAborted) { try await first.value }
            await #expect(throws: StoreError.transactionAborted) { try await aborter.value }
            if let last { await #expect(throws: StoreError.transactionAborted) { try await last.value } }
            #expect(try await count(database) == 0)

            // The lane keeps working.
            try await lane.write { db in try db.execute(sql: "INSERT INTO items (body) VALUES ('d')") }
            #expect(try await count(database) == 1)
        }
    }

    @Test func aDirectWriteAfterTheTransactionWasRolledBackIsRefused() async throws {
        try await withTemporaryDatabase { database, _ in
            try await createTable(database)
            await #expect(throws: DatabaseError.self) {
                try await database.writer.write { db in
                    try db.execute(sql: "ROLLBACK")  // what SQLite does on a full disk
                    var insert = DirectBinding(try db.cachedStatement(sql: "INSERT INTO items (body) VALUES (?)"))
                    insert.bind("committed alone?")
                    try insert.run(db)
                }
            }
            #expect(try await count(database) == 0)
        }
    }

    @Test func callerCancellationDoesNotAbortTheBatch() async throws {
        try await withTemporaryDatabase { database, _ in
            try await createTable(database)
            let task = Task {
                try await database.writer.write { db in
                    try db.execute(sql: "INSERT INTO items (body) VALUES ('x')")
                }
            }
            task.cancel()
            try await task.value
            #expect(try await count(database) == 1)
        }
    }

    @Test func walSyncsAreCountedByTheThreadThatRanThem() async throws {
        try await withTemporaryDatabase { database, _ in
            try await createTable(database)
            let lane = database.writer
            let before = await lane.stats
            // A lone write: nothing waits, the writer syncs it itself.
            try await lane.write { db in try db.execute(sql: "INSERT INTO items (body) VALUES ('a')") }
            let lone = await lane.stats
            #expect(lone.walSyncsByWriter == before.walSyncsByWriter + 1)
            #expect(lone.walSyncsBySyncer == before.walSyncsBySyncer)

            // A batch committed while writes wait is synced on the syncer's thread.
            let (release, blocker) = try await holdLane(lane)
            let queued = try await queue(lane, "INSERT INTO items (body) VALUES ('b')")
            release.open()
            try await blocker.value
            try await queued.value
            #expect(await lane.stats.walSyncsBySyncer > lone.walSyncsBySyncer)
        }
        try await withTemporaryDatabase(synchronous: .normal) { database, _ in
            try await database.writer.write { db in try db.execute(sql: "CREATE TABLE t (x)") }
            let stats = await database.writer.stats
            #expect(stats.walSyncsByWriter == 0 && stats.walSyncsBySyncer == 0)
        }
    }

    /// Starts a write that blocks the writer queue until the gate opens, and returns once it
    /// runs, so that writes issued meanwhile queue up for one batch.
    private func holdLane(_ lane: WriteLane) async throws -> (AsyncGate, Task<Void, any Error>) {
        let release = AsyncGate()
        let before = await lane.stats.transactions
        let blocker = Task { try await lane.write { _ in release.waitBlocking() } }
        try await waitUntil { await lane.stats.transactions == before + 1 }
        return (release, blocker)
    }

    /// Starts a write of `sql` and returns once it is queued: writes started as tasks together
    /// may queue in any order, these queue in the order of the calls.
    private func queue(_ lane: WriteLane, _ sql: String) async throws -> Task<Void, any Error> {
        let depth = await lane.queueDepth
        let task = Task { try await lane.write { db in try db.execute(sql: sql) } }
        try await waitUntil { await lane.queueDepth == depth + 1 }
        return task
    }

    private func waitUntil(_ condition: () async -> Bool) async throws {
        for _ in 0..<5_000 where !(await condition()) {
            try await Task.sleep(for: .milliseconds(1))
        }
        #expect(await condition())
    }
}
