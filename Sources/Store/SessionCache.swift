import Foundation
import GRDB
import Synchronization

/// Sessions by access-token hash, so a request is authenticated without a read. Every commit
/// that changes tokens, devices or users empties it: a transaction observer on the writer sees
/// those changes whichever code makes them (logout, deactivation, admin, token refresh), and a
/// lookup made before such a commit cannot be stored as current after it (generations).
final class SessionCache: TransactionObserver, @unchecked Sendable {
    static let tables: Set<String> = ["access_tokens", "refresh_tokens", "devices", "users"]
    static let capacity = 10_000

    private let generation = Atomic<Int>(0)
    private let entries = Mutex<[Data: (session: SessionRecord, generation: Int)]>([:])
    /// Touched on the writer's thread only (GRDB calls observers there).
    private var changed = false

    /// Read before the database is, and stored with what it returned.
    var currentGeneration: Int { generation.load(ordering: .sequentiallyConsistent) }

    func lookup(_ hash: Data) -> SessionRecord? {
        let now = currentGeneration
        return entries.withLock { entries in
            guard let entry = entries[hash], entry.generation == now else { return nil }
            return entry.session
        }
    }

    func store(_ session: SessionRecord, hash: Data, generation: Int) {
        entries.withLock { entries in
            if entries.count >= Self.capacity { entries.removeAll() }
            entries[hash] = (session, generation)
        }
    }

    func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool { Self.tables.contains(eventKind.tableName) }
    func databaseDidChange() { changed = true }
    func databaseDidChange(with event: DatabaseEvent) { changed = true }
    func databaseDidCommit(_ db: GRDB.Database) {
        guard changed else { return }
        changed = false
        generation.add(1, ordering: .sequentiallyConsistent)
        entries.withLock { $0.removeAll() }
    }
    func databaseDidRollback(_ db: GRDB.Database) { changed = false }
}
