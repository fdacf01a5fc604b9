import ApusConfig
import ArgumentParser
import Foundation
import Logging
import Server

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the homeserver until SIGTERM or SIGINT (the default command).",
        discussion: """
            Creates the data directory, the SQLite database and the signing key on first start.
            Under systemd (Type=notify) it reports READY=1 once every listener is bound and
            STOPPING=1 when a graceful stop begins.
            """)

    @OptionGroup var options: ConfigOption

    func run() async throws {
        let config = try options.load()
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = Logger.Level(rawValue: config.log.level.rawValue) ?? .info
            return handler
        }
        let logger = Logger(label: "apus")
        do {
            try await Daemon(config: config, logger: logger).run()
        } catch {
            logger.critical("Cannot run: \(error)")
            throw ExitCode.failure
        }
    }
}
