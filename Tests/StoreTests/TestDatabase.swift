import Foundation
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
    synchronous: Database.Synchronous = .full,
    _ body: (Database, TemporaryDirectory) async throws -> T
) async throws -> T {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let database = try Database(path: directory.databasePath, synchronous: synchronous)
    do {
        let result = try await body(database, directory)
        try await database.close()
        return result
    } catch {
        try? await database.close()
        throw error
    }
}
