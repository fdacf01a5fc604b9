import Foundation
import GRDB

extension Database {
    /// Copies the live database to `path` with SQLite's online backup API, in steps of
    /// `pagesPerStep` pages. The copy runs inside one read transaction of the source, so it is
    /// the database as of one moment while the server keeps writing (WAL readers do not block
    /// writers). `progress` gets (pages copied, pages in all) after each step.
    public func backup(to path: String, pagesPerStep: Int32 = 256,
                       progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }) async throws {
        let destination = try DatabaseQueue(path: path)
        try await pool.read { db in
            try destination.writeWithoutTransaction { target in
                try db.backup(to: target, pagesPerStep: pagesPerStep) { step in
                    progress(step.completedPageCount, step.totalPageCount)
                }
            }
        }
        // The copy takes the source's WAL mode; fold it into one self-contained file.
        try await destination.writeWithoutTransaction { try $0.execute(sql: "PRAGMA journal_mode=DELETE") }
        try destination.close()
    }

    /// `PRAGMA integrity_check` of a database file: "ok", or what is wrong.
    public static func integrityCheck(path: String) throws -> [String] {
        let queue = try DatabaseQueue(path: path, configuration: { var c = Configuration(); c.readonly = true; return c }())
        defer { try? queue.close() }
        return try queue.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }
    }

    /// `PRAGMA quick_check` of the open database.
    public func quickCheck() async throws -> [String] {
        try await read { db in try String.fetchAll(db, sql: "PRAGMA quick_check") }
    }

    /// Migrations applied to the open database, in order.
    public func appliedMigrations() async throws -> [String] {
        try await read { db in try Migrations.migrator.appliedIdentifiers(db).sorted() }
    }
}
