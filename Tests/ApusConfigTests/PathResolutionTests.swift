import ApusConfig
import Foundation
import Testing

@Suite struct PathResolutionTests {
    @Test func relativeDataDirIsResolvedAgainstBaseDirectory() throws {
        let c = try ApusConfiguration.parse(toml: "data_dir = \"state/../data\"", baseDirectory: "/home/apus")
        #expect(c.dataDir == "/home/apus/data")
        #expect(c.databasePath == "/home/apus/data/apus.db")
        #expect(c.signingKeyPath == "/home/apus/data/signing.key")
        #expect(c.mediaPath == "/home/apus/data/media")
    }

    @Test func relativePathsAreResolvedAgainstDataDir() throws {
        let c = try parse("""
            data_dir = "/var/lib/apus/"
            [database]
            path = "./db/apus.db"
            [signing]
            key_path = "../keys/signing.key"
            [media]
            path = "media/"
            """)
        #expect(c.databasePath == "/var/lib/apus/db/apus.db")
        #expect(c.signingKeyPath == "/var/lib/keys/signing.key")
        #expect(c.mediaPath == "/var/lib/apus/media")
        // The values as written are kept.
        #expect(c.database.path == "./db/apus.db")
    }

    @Test func absolutePathsAreKept() throws {
        let c = try parse("[database]\npath = \"/tmp/x.db\"\n[media]\npath = \"/data//media\"")
        #expect(c.databasePath == "/tmp/x.db")
        #expect(c.mediaPath == "/data/media")
    }

    @Test func loadFromFileResolvesDataDirAgainstWorkingDirectory() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("apus-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("apus.toml")
        try "data_dir = \"rel\"\n".write(to: file, atomically: true, encoding: .utf8)
        let c = try ApusConfiguration.load(fromFile: file.path)
        #expect(c.dataDir == FileManager.default.currentDirectoryPath + "/rel")
    }

    @Test func missingFileIsAnError() {
        #expect {
            _ = try ApusConfiguration.load(fromFile: "/nonexistent/apus.toml")
        } throws: { error in
            let error = error as! ConfigError
            return error.file == "/nonexistent/apus.toml" && error.issues.count == 1
                && error.issues[0].kind == .unreadable && error.issues[0].line == nil
        }
    }
}
