import Foundation
import GRDB

/// The read-only connections behind `Database.read`, kept here rather than in GRDB's reader
/// pool: taking a reader from that pool builds a key path at run time (a generic one, resolved
/// by mangled name), waits on a semaphore and takes two locks, for every read — a few percent
/// of a send and more of a `/sync`, which reads some ten times.
///
/// Also counts the reads in progress, so that `close` waits for them: GRDB's blocking read on a
/// connection closed under it crashes instead of throwing.
final class ReaderConnections: @unchecked Sendable {
    /// At most this many connections; a read finding all of them busy waits for one.
    static let maximum = 6

    // Guarded by `condition`'s lock.
    private let condition = NSCondition()
    private var idle: [DatabaseQueue] = []
    private var opened = 0
    private var active = 0
    private var closed = false

    private let path: String
    private let configuration: Configuration

    init(path: String, configuration: Configuration) {
        var configuration = configuration
        configuration.readonly = true
        configuration.label = "apus.db.reader"
        self.path = path
        self.configuration = configuration
    }

    /// Runs `body` on an idle connection (the one used last, whose statements are warm), opening
    /// one while fewer than `maximum` exist. ``StoreError/closed`` once closed.
    func read<T>(_ body: (GRDB.Database) throws -> T) throws -> T {
        let connection = try checkOut()
        defer { checkIn(connection) }
        return try connection.inDatabase(body)
    }

    /// Waits for the reads in progress, then closes every connection; later reads throw.
    func close() {
        condition.lock()
        closed = true
        while active > 0 { condition.wait() }
        let connections = idle
        idle = []
        condition.unlock()
        for connection in connections { try? connection.close() }
    }

    private func checkOut() throws -> DatabaseQueue {
        condition.lock()
        while !closed && idle.isEmpty && opened >= Self.maximum { condition.wait() }
        guard !closed else {
            condition.unlock()
            throw StoreError.closed
        }
        active += 1
        if let connection = idle.popLast() {
            condition.unlock()
            return connection
        }
        opened += 1
        condition.unlock()
        do {
            return try DatabaseQueue(path: path, configuration: configuration)
        } catch {
            condition.lock()
            opened -= 1
            active -= 1
            condition.broadcast()
            condition.unlock()
            throw error
        }
    }

    private func checkIn(_ connection: DatabaseQueue) {
        condition.lock()
        idle.append(connection)
        active -= 1
        condition.broadcast()
        condition.unlock()
    }
}
