import ApusConfig
import ArgumentParser
import Foundation
import Logging
import Store

/// `apus backup DEST`: a consistent copy of a running server's data.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy the live database, signing key and media into a directory, while the server keeps serving.",
        discussion: """
            The database is copied with SQLite's online backup API inside one read transaction: the
            copy is the database as of one moment (every write acknowledged before the backup began
            is in it). Media files are content-addressed and never change, so they are copied as they
            are. Restore with `apus restore DEST` while the server is stopped.
            """)

    @OptionGroup var options: ConfigOption
    @Argument(help: "Directory to write the backup into (created; must not hold a backup yet).") var destination: String

    func run() async throws {
        let config = try options.load()
        let fm = FileManager.default
        guard fm.fileExists(atPath: config.databasePath) else { fail("no database at \(config.databasePath)") }
        try fm.createDirectory(atPath: destination, withIntermediateDirectories: true)
        let target = (destination as NSString).appendingPathComponent("apus.db")
        guard !fm.fileExists(atPath: target) else { fail("\(target) exists: choose an empty directory") }
        var logger = Logger(label: "apus.backup")
        logger.logLevel = .warning
        let database = try Database(path: config.databasePath, logger: logger)
        let terminal = isatty(STDERR_FILENO) == 1
        let start = ContinuousClock.now
        try await database.backup(to: target) { done, total in
            guard terminal, total > 0 else { return }
            let width = 40, filled = width * done / total
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            FileHandle.standardError.write(Data("\r[\(bar)] \(done * 100 / total)% of \(total) pages".utf8))
        }
        if terminal { FileHandle.standardError.write(Data("\n".utf8)) }
        try await database.close()
        try fm.copyItem(atPath: config.signingKeyPath, toPath: (destination as NSString).appendingPathComponent("signing.key"))
        let media = config.mediaPath
        var files = 0
        if fm.fileExists(atPath: media) {
            try fm.copyItem(atPath: media, toPath: (destination as NSString).appendingPathComponent("media"))
            files = (fm.enumerator(atPath: media)?.allObjects.count) ?? 0
        }
        let check = try Database.integrityCheck(path: target)
        guard check == ["ok"] else { fail("the copy failed its integrity check: \(check.joined(separator: "; "))") }
        let seconds = Double((ContinuousClock.now - start).components.seconds)
        print("backup written to \(destination): database (integrity ok), signing key, \(files) media entries; \(Int(seconds)) s")
    }
}

/// `apus restore SRC`: puts a backup in place of the configured data.
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore a backup made by `apus backup` (stop the server first).",
        discussion: "Checks the backup's integrity, then copies its database, signing key and media to the configured paths. Refuses to overwrite existing data unless --force.")

    @OptionGroup var options: ConfigOption
    @Argument(help: "The backup directory.") var source: String
    @Flag(help: "Replace existing data (it is moved aside to <file>.before-restore).") var force = false

    func run() async throws {
        let config = try options.load()
        let fm = FileManager.default
        let db = (source as NSString).appendingPathComponent("apus.db")
        guard fm.fileExists(atPath: db) else { fail("\(source) holds no apus.db") }
        let check = try Database.integrityCheck(path: db)
        guard check == ["ok"] else { fail("the backup fails its integrity check: \(check.joined(separator: "; "))") }
        try fm.createDirectory(atPath: (config.databasePath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let pairs = [(db, config.databasePath), ((source as NSString).appendingPathComponent("signing.key"), config.signingKeyPath),
                     ((source as NSString).appendingPathComponent("media"), config.mediaPath)]
        for (from, to) in pairs where fm.fileExists(atPath: from) && fm.fileExists(atPath: to) && !force {
            fail("\(to) exists; stop the server and pass --force to replace it")
        }
        for (from, to) in pairs where fm.fileExists(atPath: from) {
            if fm.fileExists(atPath: to) {
                try? fm.removeItem(atPath: to + ".before-restore")
                try fm.moveItem(atPath: to, toPath: to + ".before-restore")
                for suffix in ["-wal", "-shm"] where fm.fileExists(atPath: to + suffix) { try fm.removeItem(atPath: to + suffix) }
            }
            try fm.copyItem(atPath: from, toPath: to)
        }
        print("restored \(source) into \(config.dataDir)")
    }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("error: \(message)\n".utf8))
    Foundation.exit(1)
}
