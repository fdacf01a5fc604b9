import NIOCore
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
            STOPPING=1 when a graceful stop begins. SIGHUP re-reads --config and applies the
            settings that can change live: [log] level, [rate_limits], [registration].
            """)

    @OptionGroup var options: ConfigOption

    func run() async throws {
        let config = try options.load()
        // Before anything uses NIO's shared event loops; read at start only.
        NIOSingletons.groupLoopCountSuggestion = config.http.eventLoopThreadCount(cores: System.coreCount)
        // One level for every logger, so a config reload (SIGHUP) can change it.
        LiveLogLevel.current = Logger.Level(rawValue: config.log.level.rawValue) ?? .info
        LoggingSystem.bootstrap(LiveLogLevel.handler)
        let logger = Logger(label: "apus")
        do {
            try await Daemon(config: config, logger: logger, configPath: options.config).run()
        } catch {
            logger.critical("Cannot run: \(error)")
            throw ExitCode.failure
        }
    }
}
