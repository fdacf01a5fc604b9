import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOTLS
import Outbound

/// Opens verified TLS connections: resolves the endpoint's host, keeps only addresses the
/// destination policy allows, connects to them in turn, and completes the TLS handshake
/// against the pool key's TLS name (SNI and certificate name; none for IP literals, whose
/// certificate must then name the connected address).
struct Connector: Sendable {
    let group: any EventLoopGroup
    let tls: Result<LazyTLSContext<FederationClientError>, FederationClientError>
    let policy: DestinationPolicy
    /// False when `verify_tls` is off: any certificate is accepted.
    let verifyNames: Bool
    /// Upper bound on the TCP connect to one address.
    static let connectTimeout: TimeAmount = .seconds(10)

    func connect(_ key: PoolKey, deadline: NIODeadline) async throws(FederationClientError) -> HTTPConnection {
        let context = try tls.get().get()
        let addresses = try await SystemResolver.addresses(host: key.host, port: key.port)
        let allowed = addresses.filter { policy.allows(address: $0.ipAddress ?? "") }
        guard !allowed.isEmpty else {
            let listed = addresses.compactMap(\.ipAddress).joined(separator: ", ")
            throw .refused("\(key.host) resolves only to addresses outbound federation may not use (\(listed))")
        }
        var lastError = FederationClientError.unreachable("no address for \(key.host)")
        for address in allowed {
            let channel: any Channel
            do {
                channel = try await bootstrap(context: context, tlsName: key.tlsName, deadline: deadline).connect(to: address).get()
            } catch {
                var reason = deadline <= .now() ? "timed out" : "\(error)"
                if case ChannelError.connectTimeout = error { reason = "timed out" }
                lastError = .unreachable("cannot connect to \(key.host) at \(address.ipAddress ?? "?") port \(key.port): \(reason)")
                if deadline <= .now() { break }
                continue
            }
            do {
                try await handshake(on: channel, deadline: deadline)
                if verifyNames, let name = key.tlsName {
                    let names = try await channel.nioSSL_peerCertificate().get().map(CertificateHostname.dnsNames) ?? []
                    guard CertificateHostname.matches(names, host: name) else {
                        throw CertificateNameMismatch(expected: name, found: names)
                    }
                }
            } catch {
                channel.close(promise: nil)
                if deadline <= .now() { throw .unreachable("TLS handshake with \(key) timed out") }
                // A certificate problem is the same on every address: stop here.
                throw .unreachable("TLS with \(key.host) at \(address.ipAddress ?? "?") port \(key.port) failed"
                                   + " (expected name \(key.tlsName ?? "the IP address")): \(error)")
            }
            return HTTPConnection(channel: channel, key: key)
        }
        throw lastError
    }

    private func bootstrap(context: NIOSSLContext, tlsName: String?, deadline: NIODeadline) -> ClientBootstrap {
        let remaining = deadline - .now()
        return ClientBootstrap(group: group)
            .connectTimeout(min(Self.connectTimeout, max(remaining, .milliseconds(1))))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(NIOSSLClientHandler(context: context, serverHostname: tlsName))
                    try pipeline.addHandler(HandshakeWaiter(promise: channel.eventLoop.makePromise(), closed: HTTPExchangeError.closedBeforeResponse))
                    try pipeline.addHTTPClientHandlers()
                    try pipeline.addHandler(HTTPExchangeHandler())
                }
            }
    }

    private func handshake(on channel: any Channel, deadline: NIODeadline) async throws {
        let observer = try await channel.pipeline.handler(type: HandshakeWaiter.self).map(\.promise).get()
        let timeout = channel.eventLoop.scheduleTask(deadline: deadline) {
            observer.fail(HTTPExchangeError.timedOut)
            channel.close(promise: nil)
        }
        defer { timeout.cancel() }
        try await observer.futureResult.get()
    }
}

struct CertificateNameMismatch: Error, CustomStringConvertible {
    var expected: String
    var found: [String]
    var description: String { "the certificate names \(found) but not \(expected)" }
}

extension FederationClientError {
    /// Names a failure below HTTP on a connection to `key`.
    init(transport error: any Error, key: PoolKey, deadline: NIODeadline) {
        if case HTTPExchangeError.bodyTooLarge = error {} else if deadline <= .now() {
            // Whatever broke last (often the channel the timeout closed), the cause is the clock.
            self = .unreachable("\(key) timed out")
            return
        }
        switch error {
        case let error as FederationClientError: self = error
        case HTTPExchangeError.bodyTooLarge(let limit): self = .badResponse("\(key) sent a response body larger than \(limit) bytes")
        case HTTPExchangeError.timedOut: self = .unreachable("\(key) timed out")
        case let error as HTTPExchangeError: self = .unreachable("\(key): \(error)")
        case let error as NIOSSLError: self = .unreachable("TLS with \(key) failed: \(error)")
        case let error as HTTPParserError: self = .badResponse("\(key) sent malformed HTTP: \(error)")
        default: self = .unreachable("\(key): \(error)")
        }
    }
}
