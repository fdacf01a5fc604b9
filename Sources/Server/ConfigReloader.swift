import ApusConfig
import Dispatch
import Foundation
import Logging
import Services

/// Re-reads the configuration file on SIGHUP and applies what can change while running
/// (log level, rate limits, registration switches); other changes are logged as needing a
/// restart. A file with errors is refused whole, and the running settings stay.
final class ConfigReloader: @unchecked Sendable {
    private let path: String
    private let homeserver: Homeserver
    private let logger: Logger
    private var source: DispatchSourceSignal?
    private var running: ApusConfiguration

    init(path: String, homeserver: Homeserver, logger: Logger) {
        self.path = path
        self.homeserver = homeserver
        self.logger = logger
        self.running = homeserver.config
    }

    func start() {
        signal(SIGHUP, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: DispatchQueue(label: "apus.reload"))
        source.setEventHandler { [weak self] in self?.reload() }
        source.resume()
        self.source = source
    }

    func reload() {
        let config: ApusConfiguration
        do {
            config = try ApusConfiguration.load(fromFile: path)
        } catch {
            logger.error("config reload refused, keeping the running settings: \(error)")
            return
        }
        let changes = homeserver.live.apply(config)
        LiveLogLevel.current = Logger.Level(rawValue: config.log.level.rawValue) ?? .info
        var restartNeeded: [String] = []
        var live = config
        live.registration = running.registration
        live.rateLimits = running.rateLimits
        live.log.level = running.log.level
        if live != running { restartNeeded.append("other settings changed") }
        running = config
        logger.notice("config reloaded from \(path): \(changes.isEmpty ? "no live setting changed" : changes.joined(separator: "; "))")
        if !restartNeeded.isEmpty {
            logger.warning("config reload: listeners, storage, federation and other settings only change on a restart")
        }
    }
}
