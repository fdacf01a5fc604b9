import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// HTTP(S) to URLs users chose (URL previews) or registered (push gateways), safe against
/// server-side request forgery:
///
/// - the host is resolved once here, and the request refused if *any* of its addresses is
///   outside the `AddressPolicy`; the connection then goes to a checked address itself, so a
///   second lookup cannot answer differently (DNS rebinding);
/// - every redirect (at most `maxRedirects`) is a new request that passes the same checks;
/// - TLS sends SNI and verifies the certificate against the system trust store and the URL's
///   host name (strictly: DNS names only, see `CertificateHostname`);
/// - one deadline bounds the whole request (resolution, connects, redirects, body), and the
///   body is read only up to the caller's limit.
///
/// Each request uses its own `Connection: close` connection: these requests are rare and go
/// to many different hosts, so pooling would buy little.
public final class OutboundHTTPClient: Sendable {
    public let policy: AddressPolicy
    let userAgent: String
    let timeout: TimeAmount
    let maxRedirects: Int
    let resolver: any HostResolver
    let tls: LazyTLSContext<OutboundError>
    let group: any EventLoopGroup
    let logger: Logger

    /// `additionalTrustRoots`: certificates trusted besides the system store (tests).
    public init(policy: AddressPolicy, userAgent: String, timeout: TimeAmount = .seconds(10), maxRedirects: Int = 5,
                resolver: any HostResolver = SystemHostResolver(), additionalTrustRoots: [NIOSSLCertificate] = [],
                group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger = Logger(label: "apus.outbound")) {
        self.policy = policy
        self.userAgent = userAgent
        self.timeout = timeout
        self.maxRedirects = maxRedirects
        self.resolver = resolver
        self.group = group
        self.logger = logger
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        configuration.applicationProtocols = ["http/1.1"]
        configuration.shutdownTimeout = .seconds(1)
        if !additionalTrustRoots.isEmpty { configuration.additionalTrustRoots = [.certificates(additionalTrustRoots)] }
        tls = LazyTLSContext(configuration: configuration) { .unreachable("cannot set up TLS: \($0)") }
    }

    /// Sends `request`, following redirects unless told not to (then a 3xx is the answer).
    /// `limit` decides, from each final answer's head, how much of its body to read.
    public func send(_ request: OutboundRequest, followRedirects: Bool = true,
                     limit: @escaping @Sendable (OutboundResponseHead) -> BodyLimit) async throws(OutboundError) -> OutboundResponse {
        let deadline = NIODeadline.now() + timeout
        var current = request
        var redirects = 0
        while true {
            let redirecting: @Sendable (OutboundResponseHead) -> BodyLimit = { head in
                followRedirects && Self.isRedirect(head) ? .skip : limit(head)
            }
            let response = try await exchange(current, deadline: deadline, limit: redirecting)
            guard followRedirects, Self.isRedirect(response.head), let location = response.header("Location") else { return response }
            redirects += 1
            guard redirects <= maxRedirects else { throw .tooManyRedirects(maxRedirects) }
            guard let next = current.url.resolve(location) else { throw .badResponse("redirect to a URL that is not http(s): \(location)") }
            logger.debug("following redirect", metadata: ["from": "\(current.url)", "to": "\(next)"])
            // 303, and 301/302 after a POST, continue as GET (what browsers do).
            if response.status == 303 || (response.status <= 302 && current.method == "POST") {
                current.method = "GET"
                current.body = nil
            }
            current.url = next
        }
    }

    static func isRedirect(_ head: OutboundResponseHead) -> Bool {
        [301, 302, 303, 307, 308].contains(head.status) && head.header("Location") != nil
    }

    /// Addresses of the URL's host, all allowed by the policy.
    func checkedAddresses(_ url: HTTPURL, deadline: NIODeadline) async throws(OutboundError) -> [IPAddress] {
        if let literal = url.ipLiteral {
            guard policy.allows(literal) else { throw .blockedAddress(host: url.host, literal: true) }
            return [literal]
        }
        let addresses = try await resolver.addresses(of: url.host, deadline: deadline)
        let refused = addresses.filter { !policy.allows($0) }
        guard refused.isEmpty else {
            logger.info("refused outbound request", metadata: ["host": "\(url.host)", "blocked": "\(refused)"])
            throw .blockedAddress(host: url.host, literal: false)
        }
        return addresses
    }

    private func exchange(_ request: OutboundRequest, deadline: NIODeadline,
                          limit: @escaping @Sendable (OutboundResponseHead) -> BodyLimit) async throws(OutboundError) -> OutboundResponse {
        let url = request.url
        let addresses = try await checkedAddresses(url, deadline: deadline)
        let channel = try await connect(url, addresses: addresses, deadline: deadline)
        var head = HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: request.method), uri: url.target)
        head.headers.add(name: "Host", value: url.authority)
        head.headers.add(name: "User-Agent", value: userAgent)
        head.headers.add(name: "Accept-Encoding", value: "identity")
        head.headers.add(name: "Connection", value: "close")
        for (name, value) in request.headers { head.headers.add(name: name, value: value) }
        if let body = request.body { head.headers.add(name: "Content-Length", value: String(body.count)) }
        let promise = channel.eventLoop.makePromise(of: (head: OutboundResponseHead, body: [UInt8], truncated: Bool).self)
        let exchange = Exchange(head: head, body: request.body.map { ByteBuffer(bytes: $0) }, deadline: deadline, limit: limit,
                                promise: promise)
        channel.writeAndFlush(exchange).whenFailure { promise.fail($0) }
        do {
            let answer = try await promise.futureResult.get()
            return OutboundResponse(url: url, head: answer.head, body: answer.body, truncated: answer.truncated)
        } catch {
            channel.close(promise: nil)
            throw Self.describe(error, url: url, deadline: deadline)
        }
    }

    /// A connection to the first address that accepts, TLS verified for https.
    private func connect(_ url: HTTPURL, addresses: [IPAddress], deadline: NIODeadline) async throws(OutboundError) -> any Channel {
        let context: NIOSSLContext? = url.isHTTPS ? try tls.get() : nil
        // SNI carries names only; for an IP literal NIOSSL checks the certificate against the address.
        let serverName = url.ipLiteral == nil ? url.host : nil
        var lastError = OutboundError.unreachable("no address for \(url.host)")
        for address in addresses {
            guard deadline > .now() else { throw .timedOut }
            let socketAddress: SocketAddress
            do {
                socketAddress = try SocketAddress(packedIPAddress: ByteBuffer(bytes: address.bytes), port: url.port)
            } catch {
                continue
            }
            let channel: any Channel
            do {
                channel = try await ClientBootstrap(group: group)
                    .connectTimeout(min(timeout, max(deadline - .now(), .milliseconds(1))))
                    .channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            let pipeline = channel.pipeline.syncOperations
                            if let context {
                                try pipeline.addHandler(NIOSSLClientHandler(context: context, serverHostname: serverName))
                                try pipeline.addHandler(HandshakeWaiter(promise: channel.eventLoop.makePromise(), closed: OutboundError.unreachable("connection closed during the TLS handshake")))
                            }
                            try pipeline.addHTTPClientHandlers()
                            try pipeline.addHandler(ExchangeHandler())
                        }
                    }
                    .connect(to: socketAddress).get()
            } catch {
                lastError = deadline <= .now() ? .timedOut : .unreachable("cannot connect to \(url.host) at \(address) port \(url.port): \(error)")
                continue
            }
            guard context != nil else { return channel }
            do {
                try await handshake(on: channel, deadline: deadline)
                if let serverName {
                    let names = try await channel.nioSSL_peerCertificate().get().map(CertificateHostname.dnsNames) ?? []
                    guard CertificateHostname.matches(names, host: serverName) else {
                        throw OutboundError.unreachable("the certificate of \(url.host) names \(names), not \(serverName)")
                    }
                }
                return channel
            } catch {
                channel.close(promise: nil)
                if deadline <= .now() { throw .timedOut }
                // A certificate problem is the same on every address: stop here.
                if let error = error as? OutboundError { throw error }
                throw .unreachable("TLS with \(url.host) failed: \(error)")
            }
        }
        throw lastError
    }

    private func handshake(on channel: any Channel, deadline: NIODeadline) async throws {
        let waiter = try await channel.pipeline.handler(type: HandshakeWaiter.self).map(\.promise).get()
        let timer = channel.eventLoop.scheduleTask(deadline: deadline) {
            waiter.fail(OutboundError.timedOut)
            channel.close(promise: nil)
        }
        defer { timer.cancel() }
        try await waiter.futureResult.get()
    }

    private static func describe(_ error: any Error, url: HTTPURL, deadline: NIODeadline) -> OutboundError {
        if let error = error as? OutboundError { return error }
        if deadline <= .now() { return .timedOut }
        if error is HTTPParserError { return .badResponse("\(url.host) sent malformed HTTP: \(error)") }
        return .unreachable("\(url.host): \(error)")
    }
}
