import Foundation
import GRDB
@testable import Store
import Synchronization
import Testing

private struct DiskFull: Error, Equatable {}

/// A sync that can be held until the test lets it finish, and that counts its calls.
private final class FakeSync: Sendable {
    private let held = Mutex<[AsyncGate]>([])
    private let calls = Mutex(0)
    private let failing: Bool

    init(failing: Bool = false) { self.failing = failing }

    var count: Int { calls.withLock { $0 } }

    /// The next sync blocks until the returned gate opens.
    func holdNext() -> AsyncGate {
        let gate = AsyncGate()
        held.withLock { $0.append(gate) }
        return gate
    }

    func sync() throws {
        calls.withLock { $0 += 1 }
        let gate = held.withLock { $0.isEmpty ? nil : $0.removeFirst() }
        gate?.waitBlocking()
        if failing { throw DiskFull() }
    }
}

/// What the jobs were finished with, in order.
private final class Finished: Sendable {
    private let entries = Mutex<[(name: String, error: (any Error)?)]>([])

    var names: [String] { entries.withLock { $0.map(\.name) } }
    func error(of name: String) -> (any Error)? { entries.withLock { $0.first { $0.name == name }?.error } }

    func job(_ name: String, needsSync: Bool = true) -> WALSyncer.Job {
        WALSyncer.Job(needsSync: needsSync) { [self] error in entries.withLock { $0.append((name, error)) } }
    }
}

@Suite struct WALSyncerTests {
    @Test func jobsHandedOverDuringASyncShareTheNextOneAndFinishInOrder() async throws {
        let fake = FakeSync()
        let syncer = WALSyncer(sync: { try fake.sync() })
        let finished = Finished()
        let first = fake.holdNext()

        syncer.hand(finished.job("a"))
        try await waitUntil { fake.count == 1 }
        #expect(!syncer.isIdle)
        syncer.hand(finished.job("b"))
        syncer.hand(finished.job("c"))
        #expect(finished.names.isEmpty)  // nothing is answered before its sync

        first.open()
        try await waitUntil { finished.names.count == 3 }
        #expect(finished.names == ["a", "b", "c"])
        #expect(fake.count == 2)
        #expect(syncer.syncs == 2)
        try await waitUntil { syncer.isIdle }
        syncer.stop()
    }

    @Test func aSyncErrorReachesOnlyTheJobsThatNeededTheSync() async throws {
        let fake = FakeSync(failing: true)
        let syncer = WALSyncer(sync: { try fake.sync() })
        let finished = Finished()
        let first = fake.holdNext()

        syncer.hand(finished.job("committed"))
        try await waitUntil { fake.count == 1 }
        syncer.hand(finished.job("rolled back", needsSync: false))
        first.open()
        try await waitUntil { finished.names.count == 2 }

        #expect(finished.error(of: "committed") as? DiskFull == DiskFull())
        #expect(finished.error(of: "rolled back") == nil)
        syncer.stop()
    }

    @Test func aRoundWithNothingCommittedDoesNotSync() async throws {
        let fake = FakeSync()
        let syncer = WALSyncer(sync: { try fake.sync() })
        let finished = Finished()
        syncer.hand(finished.job("rolled back", needsSync: false))
        try await waitUntil { finished.names.count == 1 }
        #expect(fake.count == 0)
        #expect(syncer.syncs == 0)
        syncer.stop()
    }

    @Test func stopFinishesEverythingHandedOverThenReleasesTheFile() async throws {
        let fake = FakeSync()
        let released = Mutex(0)
        let syncer = WALSyncer(sync: { try fake.sync() }, release: { released.withLock { $0 += 1 } })
        let finished = Finished()
        let first = fake.holdNext()
        syncer.hand(finished.job("a"))
        try await waitUntil { fake.count == 1 }
        syncer.hand(finished.job("b"))

        let stopped = Task.detached { syncer.stop() }
        try await Task.sleep(for: .milliseconds(20))
        #expect(released.withLock { $0 } == 0)  // still syncing "a"
        first.open()
        await stopped.value
        #expect(finished.names == ["a", "b"])
        #expect(released.withLock { $0 } == 1)
    }

    @Test func syncHereReportsTheSyncsError() {
        let failing = WALSyncer(sync: { throw DiskFull() })
        let working = WALSyncer(sync: {})
        #expect(failing.syncHere() as? DiskFull == DiskFull())
        #expect(working.syncHere() == nil)
        failing.stop()
        working.stop()
    }

    // Through the write lane: what the gate holds back, and when.

    @Test func answersWaitForTheSyncOfWhatTheyCouldReadButNotForBatchesStillWriting() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("walsyncer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let pool = try DatabasePool(path: directory.appendingPathComponent("test.db").path)
        let fake = FakeSync()
        let lane = WriteLane(pool, syncer: WALSyncer(sync: { try fake.sync() }))
        try await lane.write { db in try db.execute(sql: "CREATE TABLE items (body TEXT)") }

        // A batch still running its writes is invisible to readers: nothing waits for it.
        let release = AsyncGate()
        let started = await lane.stats.transactions
        let running = Task { try await lane.write { _ in release.waitBlocking() } }
        for _ in 0..<5_000 where await lane.stats.transactions == started {
            try await Task.sleep(for: .milliseconds(1))
        }
        #expect(lane.gate.isSettled)
        release.open()
        try await running.value

        // Committed and readable, not yet on disk: answers wait, and so does the writer's caller.
        let held = fake.holdNext()
        let answered = Mutex(false)
        let insert = Task {
            try await lane.write { db in try db.execute(sql: "INSERT INTO items (body) VALUES ('x')") }
            answered.withLock { $0 = true }
        }
        try await waitUntil { fake.count == 3 }
        let visible = try await pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM items") }
        #expect(visible == 1)
        #expect(!lane.gate.isSettled)
        try await Task.sleep(for: .milliseconds(20))
        #expect(!answered.withLock { $0 })
        held.open()
        try await insert.value
        #expect(lane.gate.isSettled)
        await lane.close()
    }

    private func waitUntil(_ condition: () -> Bool) async throws {
        for _ in 0..<5_000 where !condition() {
            try await Task.sleep(for: .milliseconds(1))
        }
        #expect(condition())
    }
}
