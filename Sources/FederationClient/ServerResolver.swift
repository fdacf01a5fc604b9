import MatrixProtocol
import Synchronization

/// Where to connect for a server name, and the names to present (spec "Resolving server names").
public struct ResolvedServer: Sendable, Equatable {
    public var connectHost: String
    public var port: Int
    /// The name the certificate must carry and SNI sends; nil for IP literals (no SNI).
    public var tlsName: String?
    public var hostHeader: String
}

/// Resolves server names: IP literals and explicit ports directly; otherwise the
/// `/.well-known/matrix/server` delegation (when a fetcher is set), else port 8448.
public final class ServerResolver: Sendable {
    private let wellKnown = Mutex<(@Sendable (String) async -> String?)?>(nil)

    /// Fetches a host's `m.server` delegation (nil when none).
    public var fetchWellKnown: (@Sendable (String) async -> String?)? {
        get { wellKnown.withLock { $0 } }
        set { wellKnown.withLock { $0 = newValue } }
    }

    public init() {}

    public func resolve(_ name: ServerName) async -> ResolvedServer {
        if let direct = Self.direct(name) { return direct }
        if let fetch = fetchWellKnown, let delegated = await fetch(name.host), let server = try? ServerName(delegated) {
            if let direct = Self.direct(server) { return direct }
            return ResolvedServer(connectHost: server.host, port: 8448, tlsName: server.host, hostHeader: server.host)
        }
        return ResolvedServer(connectHost: name.host, port: 8448, tlsName: name.host, hostHeader: name.host)
    }

    /// IP literal or explicit port: no delegation applies.
    static func direct(_ name: ServerName) -> ResolvedServer? {
        if name.isIPLiteral {
            return ResolvedServer(connectHost: name.host, port: name.port ?? 8448, tlsName: nil, hostHeader: name.description)
        }
        if let port = name.port {
            return ResolvedServer(connectHost: name.host, port: port, tlsName: name.host, hostHeader: name.description)
        }
        return nil
    }
}
