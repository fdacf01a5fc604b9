import Foundation
import Logging
import Store

/// A fresh directory under the system temp dir, removed by `remove()`.
struct TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("apus-store-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// A database path in a subdirectory that does not exist yet, to exercise directory creation.
    var databasePath: String { url.appendingPathComponent("data/apus.db").path }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

/// Opens a database in a fresh temp directory, runs `body`, then closes and cleans up.
func withTemporaryDatabase<T>(
    synchronous: Store.Database.Synchronous = .full,
    _ body: (Store.Database, TemporaryDirectory) async throws -> T
) async throws -> T {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let database = try openDatabase(directory.databasePath, synchronous: synchronous)
    do {
        let result = try await body(database, directory)
        try await database.close()
        return result
    } catch {
        try? await database.close()
        throw error
    }
}

/// Opens a database with migration logs silenced, to keep test output readable.
func openDatabase(_ path: String, synchronous: Store.Database.Synchronous = .full) throws -> Store.Database {
    var logger = Logger(label: "apus.store.tests")
    logger.logLevel = .warning
    return try Store.Database(path: path, synchronous: synchronous, readsOnCallingThread: false, logger: logger)
}
