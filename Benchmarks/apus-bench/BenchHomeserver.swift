import ApusConfig
import Foundation
import Logging
import MatrixProtocol
import Services
import Store

/// The services of a homeserver `bench.local` on a fresh database in a temporary directory, for
/// the benchmarks that drive them without HTTP. `close()` closes the database and removes it all.
struct BenchHomeserver {
    let directory: String
    let homeserver: Homeserver

    static func make(_ name: String, federationTransport: (any FederationTransport)? = nil) async throws -> BenchHomeserver {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("apus-bench-\(name)-\(UUID().uuidString)").path
        var config = ApusConfiguration.defaults(baseDirectory: directory)
        config.dataDir = directory
        config.serverName = try ServerName("bench.local")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let database = try Database(path: config.databasePath)
        let homeserver = try await Homeserver(config: config, signingKey: .generate(), database: database, logger: Logger(label: "bench"),
                                              passwordCost: .testing, federationTransport: federationTransport)
        return BenchHomeserver(directory: directory, homeserver: homeserver)
    }

    func close() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await homeserver.database.close()
    }
}
