import Foundation
import GRDB
@testable import Store

/// A database at `path` migrated only up to `migration`: one from before the migrations after it,
/// for a test to fill and then open (and so migrate further) with `openDatabase`.
func databaseMigrated(upTo migration: String, at path: String) throws -> DatabaseQueue {
    try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    let queue = try DatabaseQueue(path: path)
    try Migrations.migrator.migrate(queue, upTo: migration)
    return queue
}
