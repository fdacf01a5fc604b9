import Foundation
import GRDB
@testable import Store
import Synchronization
import Testing

/// Reads on the calling thread through Apus's own reader connections (`ReaderConnections`);
/// the other store suites read through GRDB's pool.
@Suite struct ReaderConnectionsTests {
    private func withCallingThreadDatabase(_ body: (Store.Database) async throws -> Void) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let database = try Store.Database(path: directory.databasePath, readsOnCallingThread: true)
        try await database.writer.write { db in
            try db.execute(sql: "CREATE TABLE items (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
        }
        do {
            try await body(database)
            try await database.close()
        } catch {
            try? await database.close()
            throw error
        }
    }

    /// Runs `count` blocking bodies at once on threads of their own, as event-loop threads would.
    private func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
        let group = DispatchGroup()
        for index in 0..<count {
            group.enter()
            Thread {
                body(index)
                group.leave()
            }.start()
        }
        group.wait()
    }

    @Test func readsSeeEveryAcknowledgedWrite() async throws {
        try await withCallingThreadDatabase { database in
            for n in 1...20 {
                try await database.writer.write { db in try db.execute(sql: "INSERT INTO items (body) VALUES (?)", arguments: ["\(n)"]) }
                let count = try await database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM items") }
                #expect(count == n)
            }
        }
    }

    @Test func readersAreReadOnly() async throws {
        try await withCallingThreadDatabase { database in
            await #expect(throws: DatabaseError.self) {
                try await database.read { db in try db.execute(sql: "INSERT INTO items (body) VALUES ('x')") }
            }
            let count = try await database.writer.write { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM items") }
            #expect(count == 0)
        }
    }

    @Test func concurrentReadsShareAtMostTheMaximumOfConnections() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let setup = try DatabaseQueue(path: directory.url.appendingPathComponent("r.db").path)
        try setup.write { db in try db.execute(sql: "PRAGMA journal_mode = WAL; CREATE TABLE t (x)") }
        let readers = ReaderConnections(path: directory.url.appendingPathComponent("r.db").path, configuration: Configuration())
        let inside = Mutex((now: 0, most: 0, connections: Set<ObjectIdentifier>()))
        onThreads(3 * ReaderConnections.maximum) { _ in
            try! readers.read { db in
                inside.withLock {
                    $0.now += 1
                    $0.most = max($0.most, $0.now)
                    $0.connections.insert(ObjectIdentifier(db))
                }
                Thread.sleep(forTimeInterval: 0.02)
                inside.withLock { $0.now -= 1 }
            }
        }
        let seen = inside.withLock { $0 }
        #expect(seen.most == ReaderConnections.maximum)
        #expect(seen.connections.count == ReaderConnections.maximum)
        readers.close()
    }

    @Test func closeWaitsForReadsInProgressThenRefusesNewOnes() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.url.appendingPathComponent("c.db").path
        try DatabaseQueue(path: path).write { db in try db.execute(sql: "PRAGMA journal_mode = WAL; CREATE TABLE t (x)") }
        let readers = ReaderConnections(path: path, configuration: Configuration())
        let reading = DispatchSemaphore(value: 0), finish = DispatchSemaphore(value: 0), closed = DispatchSemaphore(value: 0)
        let events = Mutex<[String]>([])
        Thread {
            try! readers.read { db in
                reading.signal()
                finish.wait()
                events.withLock { $0.append("read ended") }
                _ = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM t")
            }
        }.start()
        reading.wait()
        Thread {
            readers.close()
            events.withLock { $0.append("closed") }
            closed.signal()
        }.start()
        #expect(closed.wait(timeout: .now() + 0.2) == .timedOut, "close returned while a read was in progress")
        finish.signal()
        closed.wait()
        #expect(events.withLock { $0 } == ["read ended", "closed"])
        #expect(throws: StoreError.closed) { try readers.read { _ in 1 } }
    }
}
