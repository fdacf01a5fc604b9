import APICore
import ApusConfig
import ClientAPI
import FederationAPI
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOSSL
import Services

/// Builds the Hummingbird application for one configured listener: its routes (by the
/// listener's resources), the middleware chain, and TLS when configured.
public enum ListenerApplication {
    public typealias App = Application<RouterResponder<ApusRequestContext>>

    public enum Failure: Error, CustomStringConvertible {
        case tls(listener: String, reason: String)
        public var description: String {
            switch self {
            case .tls(let listener, let reason): "listener \(listener): TLS setup failed: \(reason)"
            }
        }
    }

    /// The router for a set of resources; exposed so tests can drive it in-process. `extraRoutes`
    /// adds routes behind the same middleware.
    public static func router(resources: [ApusConfiguration.Listener.Resource], homeserver: Homeserver,
                              extraRoutes: (RouteTable) -> Void = { _ in }) -> Router<ApusRequestContext> {
        let router = Router(context: ApusRequestContext.self)
        let routes = RouteTable()
        let config = homeserver.config
        extraRoutes(routes)
        if resources.contains(.client) {
            ClientAPI.register(on: routes, homeserver: homeserver)
        }
        if resources.contains(.federation) {
            FederationAPI.register(on: routes, homeserver: homeserver)
        } else if resources.contains(.client) {
            // Key lookups are commonly pointed at the client port (Synapse serves `keys` there too).
            FederationAPI.registerKeyServer(on: routes, homeserver: homeserver)
        }
        if resources.contains(.metrics) {
            routes.get("/metrics") { _, _ in
                let text = await HTTPMetrics.shared.render(homeserver: homeserver)
                return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                                body: .init(byteBuffer: ByteBuffer(string: text)))
            }
        }
        // Outermost first: the log sees the final status, CORS decorates errors too.
        if config.log.accessLog { router.add(middleware: AccessLogMiddleware()) }
        router.add(middleware: MetricsMiddleware(metrics: .shared, routes: routes.index))
        router.add(middleware: MatrixCORSMiddleware(allowedOrigins: config.http.corsAllowedOrigins))
        router.add(middleware: GzipMiddleware())
        router.add(middleware: MatrixErrorMiddleware(routes: routes.index))
        // Always installed: a config reload may switch rate limits on or off.
        let live = homeserver.live
        router.add(middleware: RateLimitMiddleware(
            limiter: RateLimiter(perSecond: config.rateLimits.perSecond, burst: config.rateLimits.burst),
            settings: { let r = live.rateLimits; return (r.enabled, r.perSecond, r.burst) }))
        router.add(middleware: BodyLimitMiddleware(limit: config.http.maxRequestBodySize, uploadLimit: config.media.maxUploadSize))
        router.add(middleware: DurabilityMiddleware(gate: homeserver.database.durability))
        routes.install(on: router)
        return router
    }

    public static func make(listener: ApusConfiguration.Listener, homeserver: Homeserver, logger: Logger,
                            extraRoutes: (RouteTable) -> Void = { _ in },
                            onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) throws -> App {
        let router = router(resources: listener.resources, homeserver: homeserver, extraRoutes: extraRoutes)
        let name = "\(listener.bind):\(listener.port)"
        var server: HTTPServerBuilder = .http1()
        if listener.tls {
            server = try .tls(.http1(), tlsConfiguration: tlsConfiguration(listener, homeserver: homeserver, name: name))
        }
        return Application(
            router: router,
            server: server,
            configuration: .init(address: .hostname(listener.bind, port: listener.port), serverName: "\(Homeserver.name)/\(Homeserver.version)"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? listener.port) },
            logger: logger
        )
    }

    static func tlsConfiguration(_ listener: ApusConfiguration.Listener, homeserver: Homeserver, name: String) throws -> TLSConfiguration {
        guard let certPath = listener.tlsCertificate.map(homeserver.config.resolvePath),
              let keyPath = listener.tlsPrivateKey.map(homeserver.config.resolvePath)
        else { throw Failure.tls(listener: name, reason: "tls_certificate and tls_private_key are required") }
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(certPath).map { NIOSSLCertificateSource.certificate($0) }
            guard !chain.isEmpty else { throw Failure.tls(listener: name, reason: "\(certPath) holds no certificate") }
            let key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
            return TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
        } catch let error as Failure {
            throw error
        } catch {
            throw Failure.tls(listener: name, reason: "cannot load \(certPath) / \(keyPath): \(error)")
        }
    }
}
