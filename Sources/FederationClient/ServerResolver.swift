import MatrixProtocol
import Synchronization

/// Where to connect for a server name, and the names to present (spec "Resolving server names").
public struct ResolvedServer: Sendable, Equatable {
    public struct Endpoint: Sendable, Hashable {
        /// A DNS name or IP literal (IPv6 in brackets) still to be resolved to addresses.
        public var host: String
        public var port: Int

        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }
    }

    /// Where to connect, in the order to try them (several when SRV lists several).
    public var endpoints: [Endpoint]
    /// The name SNI sends and the certificate must carry; nil for IP literals (no SNI, the
    /// certificate must name the IP address).
    public var tlsName: String?
    public var hostHeader: String

    public init(endpoints: [Endpoint], tlsName: String?, hostHeader: String) {
        self.endpoints = endpoints
        self.tlsName = tlsName
        self.hostHeader = hostHeader
    }
}

/// Resolves server names per the spec: IP literals and explicit ports directly; otherwise the
/// `/.well-known/matrix/server` delegation, then `_matrix-fed._tcp` / `_matrix._tcp` SRV
/// records, then port 8448. Results are cached for the shortest lifetime involved, and
/// concurrent resolutions of one name share a single lookup.
public final class ServerResolver: Sendable {
    public typealias WellKnownFetcher = @Sendable (_ host: String) async -> WellKnownResult
    public typealias SRVLookup = @Sendable (_ name: String) async -> [SRVRecord]

    /// How long "no SRV record" is believed; SRV answers use their TTL within these bounds.
    static let noSRVLifetime: Duration = .seconds(3600)
    static let srvLifetimeBounds: ClosedRange<Duration> = .seconds(60) ... .seconds(24 * 3600)

    private enum Entry {
        case resolved(ResolvedServer, expires: ContinuousClock.Instant)
        case pending(Task<ResolvedServer, Never>)
    }

    private let fetchWellKnown: WellKnownFetcher
    private let lookUpSRV: SRVLookup
    private let cache = Mutex<[ServerName: Entry]>([:])

    /// `lookUpSRV` defaults to the system resolver (libresolv).
    public init(fetchWellKnown: @escaping WellKnownFetcher, lookUpSRV: SRVLookup? = nil) {
        self.fetchWellKnown = fetchWellKnown
        self.lookUpSRV = lookUpSRV ?? { await SystemResolver.srv($0) }
    }

    public func resolve(_ name: ServerName) async -> ResolvedServer {
        if let direct = Self.direct(name) { return direct }
        let now = ContinuousClock.now
        let lookup: Entry = cache.withLock { cache in
            switch cache[name] {
            case .resolved(let server, let expires) where expires > now:
                return .resolved(server, expires: expires)
            case .pending(let task):
                return .pending(task)
            default:
                let task = Task { [self] in
                    let (server, lifetime) = await discover(name)
                    self.cache.withLock { $0[name] = .resolved(server, expires: .now + lifetime) }
                    return server
                }
                cache[name] = .pending(task)
                return .pending(task)
            }
        }
        switch lookup {
        case .resolved(let server, _): return server
        case .pending(let task): return await task.value
        }
    }

    /// Drops the cached resolution of `name` (e.g. its address stopped answering).
    public func forget(_ name: ServerName) {
        cache.withLock { cache in
            if case .resolved = cache[name] { cache[name] = nil }
        }
    }

    /// Steps 3 to 6: delegation, SRV, fallback.
    func discover(_ name: ServerName) async -> (ResolvedServer, Duration) {
        let wellKnown = await fetchWellKnown(name.host)
        guard let delegated = wellKnown.server else {
            let (server, lifetime) = await viaSRV(name.host)
            return (server, min(lifetime, wellKnown.cacheFor))
        }
        if let direct = Self.direct(delegated) { return (direct, wellKnown.cacheFor) }
        let (server, lifetime) = await viaSRV(delegated.host)
        return (server, min(lifetime, wellKnown.cacheFor))
    }

    /// SRV `_matrix-fed._tcp`, then the deprecated `_matrix._tcp`, else port 8448. The
    /// certificate and Host header stay `host`: DNS alone cannot prove a delegation.
    private func viaSRV(_ host: String) async -> (ResolvedServer, Duration) {
        for service in ["_matrix-fed._tcp.", "_matrix._tcp."] {
            let records = SRVRecord.ordered(await lookUpSRV(service + host))
            guard let shortest = records.map(\.ttl).min() else { continue }
            let endpoints = records.map { record in
                ResolvedServer.Endpoint(host: record.target.hasSuffix(".") ? String(record.target.dropLast()) : record.target,
                                        port: record.port)
            }
            let lifetime = min(max(shortest, Self.srvLifetimeBounds.lowerBound), Self.srvLifetimeBounds.upperBound)
            return (ResolvedServer(endpoints: endpoints, tlsName: host, hostHeader: host), lifetime)
        }
        return (ResolvedServer(endpoints: [.init(host: host, port: 8448)], tlsName: host, hostHeader: host), Self.noSRVLifetime)
    }

    /// Steps 1, 2, 3.1 and 3.2: an IP literal or explicit port needs no discovery. The Host
    /// header is the name as written, port included.
    static func direct(_ name: ServerName) -> ResolvedServer? {
        if name.isIPLiteral {
            return ResolvedServer(endpoints: [.init(host: name.host, port: name.port ?? 8448)], tlsName: nil,
                                  hostHeader: name.description)
        }
        if let port = name.port {
            return ResolvedServer(endpoints: [.init(host: name.host, port: port)], tlsName: name.host, hostHeader: name.description)
        }
        return nil
    }
}
