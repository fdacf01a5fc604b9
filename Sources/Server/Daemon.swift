import ApusConfig
import FederationClient
import Foundation
import Hummingbird
import Logging
import MatrixProtocol
import ServiceLifecycle
import Services
import Store

/// `apus serve`: opens everything, runs every listener until SIGTERM/SIGINT, then stops
/// gracefully (stop accepting, finish in-flight requests, close the database).
public struct Daemon {
    public let config: ApusConfiguration
    public let logger: Logger
    /// The configuration file, re-read on SIGHUP (nil: embedded defaults, nothing to reload).
    public let configPath: String?

    public init(config: ApusConfiguration, logger: Logger, configPath: String? = nil) {
        self.config = config
        self.logger = logger
        self.configPath = configPath
    }

    public func run() async throws {
        let notifier = SystemdNotifier()
        try FileManager.default.createDirectory(atPath: config.resolvePath("."), withIntermediateDirectories: true)
        let (key, created) = try SigningKeyFile.loadOrCreate(path: config.signingKeyPath)
        if created {
            logger.notice("Generated a new signing key", metadata: ["path": "\(config.signingKeyPath)", "key_id": "\(key.keyID)"])
        }
        let database = try Database(path: config.databasePath, synchronous: config.database.synchronous == .full ? .full : .normal,
                                    logger: logger)
        var transport: FederationHTTPClient?
        if config.federation.enabled {
            transport = FederationHTTPClient(serverName: config.serverName, signingKey: key, config: config.federation,
                                             caFilePaths: config.federation.extraCAFiles.map(config.resolvePath), logger: logger,
                                             userAgent: "\(Homeserver.name)/\(Homeserver.version)")
        }
        let homeserver = try await Homeserver(config: config, signingKey: key, database: database, logger: logger,
                                              federationTransport: transport)
        var reloader: ConfigReloader?
        if let configPath {
            reloader = ConfigReloader(path: configPath, homeserver: homeserver, logger: logger)
            reloader?.start()
        }
        defer { _ = reloader }
        let readiness = Readiness(expected: config.listeners.count, notifier: notifier, logger: logger)
        var services: [any Service] = []
        for listener in config.listeners {
            let description = "\(listener.tls ? "https" : "http")://\(listener.bind):\(listener.port) \(listener.resources.map(\.rawValue))"
            services.append(try ListenerApplication.make(listener: listener, homeserver: homeserver, logger: logger, onRunning: { _ in
                await readiness.listenerStarted(description)
            }))
        }
        services.append(FederationSenderService(federation: homeserver.federation))
        services.append(PushSenderService(sender: homeserver.pushSender))
        services.append(StoppingNotifier(notifier: notifier))
        let group = ServiceGroup(configuration: .init(
            services: services.map { .init(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        logger.info("Starting \(Homeserver.name) \(Homeserver.version)", metadata: [
            "server_name": "\(config.serverName)", "database": "\(config.databasePath)",
        ])
        do {
            try await withTaskExecutorPreference(EventLoopTaskExecutor(group: .singleton)) { try await group.run() }
        } catch {
            try? await database.close()
            throw error
        }
        try await database.close()
        await transport?.shutdown()
        logger.info("Stopped")
    }
}

/// Tells systemd READY=1 once every listener is bound, then releases the start-up pages.
actor Readiness {
    let expected: Int
    let notifier: SystemdNotifier
    let logger: Logger
    private var started = 0

    init(expected: Int, notifier: SystemdNotifier, logger: Logger) {
        self.expected = expected
        self.notifier = notifier
        self.logger = logger
    }

    func listenerStarted(_ description: String) {
        started += 1
        logger.info("Listening on \(description)")
        if started == expected {
            notifier.notify("READY=1\nSTATUS=Serving")
            // Start-up is over: give back the pages it alone used (`StartupPages`), and again
            // 2 s later, once the other services' and the listeners' first steps are done.
            Task { [logger] in
                for delay in [0, 2] {
                    try? await Task.sleep(for: .seconds(delay))
                    let released = StartupPages.release()
                    logger.debug("Released start-up pages", metadata: ["kib": "\(released)"])
                }
            }
        }
    }
}

/// Sends STOPPING=1 as soon as a graceful shutdown begins. Listed last, so the group tells it first.
struct StoppingNotifier: Service {
    let notifier: SystemdNotifier

    func run() async throws {
        try? await gracefulShutdown()
        notifier.notify("STOPPING=1")
    }
}
