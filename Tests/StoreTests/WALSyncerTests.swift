import Foundation
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

    private func waitUntil(_ condition: () -> Bool) async throws {
        for _ in 0..<5_000 where !condition() {
            try await Task.sleep(for: .milliseconds(1))
        }
        #expect(condition())
    }
}
