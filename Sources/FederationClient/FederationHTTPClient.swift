import ApusConfig
import Foundation
import Logging
import MatrixProtocol
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

public struct FederationResponse: Sendable {
    public let status: Int
    public let headers: [(String, String)]
    public let body: [UInt8]
}

public enum FederationClientError: Error, Sendable, CustomStringConvertible {
    case unreachable(String)
    case refused(String)
    case http(status: Int, errcode: String?, error: String?, body: [UInt8])
    case badResponse(String)

    public var description: String {
        switch self {
        case .unreachable(let s): "unreachable: \(s)"
        case .refused(let s): "refused: \(s)"
        case .http(let status, let errcode, let error, _): "HTTP \(status) \(errcode ?? "") \(error ?? "")"
        case .badResponse(let s): "bad response: \(s)"
        }
    }
}

/// Outbound server-server HTTPS: resolves a server name (`ServerResolver`), refuses addresses
/// the destination policy forbids, connects with TLS verified against the system store plus the
/// configured CA files, and sends one HTTP/1.1 request, signed with X-Matrix.
public final class FederationHTTPClient: Sendable {
    /// Largest response body accepted (a `send_join` of a big room is tens of MB).
    static let maxBodySize = 100 * 1024 * 1024

    let serverName: ServerName
    let signingKey: SigningKey
    let config: ApusConfiguration.Federation
    let policy: DestinationPolicy
    let logger: Logger
    let userAgent: String
    let group: MultiThreadedEventLoopGroup
    let sslContext: NIOSSLContext
    public let resolver: ServerResolver
    private let backoff = Mutex<[String: (until: ContinuousClock.Instant, delay: Duration)]>([:])

    public init(serverName: ServerName, signingKey: SigningKey, config: ApusConfiguration.Federation, caFilePaths: [String],
                logger: Logger, userAgent: String = "Apus") throws {
        self.serverName = serverName
        self.signingKey = signingKey
        self.config = config
        self.policy = DestinationPolicy(config: config)
        self.logger = logger
        self.userAgent = userAgent
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var tls = TLSConfiguration.makeClientConfiguration()
        if config.verifyTLS {
            var extra: [NIOSSLCertificate] = []
            for path in caFilePaths { extra += try NIOSSLCertificate.fromPEMFile(path) }
            tls.additionalTrustRoots = extra.isEmpty ? [] : [.certificates(extra)]
        } else {
            tls.certificateVerification = .none
        }
        sslContext = try NIOSSLContext(configuration: tls)
        resolver = ServerResolver()
        resolver.fetchWellKnown = { [weak self] host in await self?.wellKnownServer(host) }
    }

    /// `https://<host>/.well-known/matrix/server`'s `m.server`, or nil.
    func wellKnownServer(_ host: String) async -> String? {
        let target = ResolvedServer(connectHost: host, port: 443, tlsName: host, hostHeader: host)
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: host)
        headers.add(name: "User-Agent", value: userAgent)
        headers.add(name: "Connection", value: "close")
        guard let response = try? await exchange(target: target, method: "GET", path: "/.well-known/matrix/server", headers: headers,
                                                 body: [], timeout: .seconds(10)),
              response.status == 200, let object = try? JSONParser.parseObject(response.body) else { return nil }
        return object["m.server"]?.stringValue
    }

    public func shutdown() async {
        try? await group.shutdownGracefully()
    }

    public func isBackingOff(_ destination: ServerName) -> Bool {
        backoff.withLock { ($0[destination.description]?.until ?? .now) > .now }
    }

    public func markReachable(_ destination: ServerName) {
        _ = backoff.withLock { $0.removeValue(forKey: destination.description) }
    }

    private func noteFailure(_ destination: ServerName) {
        backoff.withLock { table in
            let delay = min((table[destination.description]?.delay ?? .milliseconds(500)) * 2, .seconds(60))
            table[destination.description] = (.now + delay, delay)
        }
    }

    public func json(to destination: ServerName, method: String, path: String, body: JSONValue? = nil,
                     signed: Bool = true, timeout: Duration = .seconds(30)) async throws(FederationClientError) -> JSONObject {
        let response = try await send(to: destination, method: method, path: path, body: body, signed: signed, timeout: timeout)
        let object: JSONObject? = try? JSONParser.parseObject(response.body)
        guard (200..<300).contains(response.status) else {
            throw .http(status: response.status, errcode: object?["errcode"]?.stringValue, error: object?["error"]?.stringValue,
                        body: response.body)
        }
        guard let object else { throw .badResponse("the answer is not a JSON object") }
        return object
    }

    public func send(to destination: ServerName, method: String, path: String, body: JSONValue? = nil,
                     signed: Bool = true, timeout: Duration = .seconds(30)) async throws(FederationClientError) -> FederationResponse {
        guard config.enabled else { throw .refused("federation is disabled") }
        if isBackingOff(destination) { throw .unreachable("backing off \(destination) after failures") }
        let target = await resolver.resolve(destination)
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: target.hostHeader)
        headers.add(name: "User-Agent", value: userAgent)
        headers.add(name: "Connection", value: "close")
        var bytes: [UInt8] = []
        if let body {
            bytes = body.encodedBytes()
            headers.add(name: "Content-Type", value: "application/json")
        }
        headers.add(name: "Content-Length", value: String(bytes.count))
        if signed {
            do {
                let auth = try XMatrixAuthorization.sign(method: method, uri: path, origin: serverName.description,
                                                         destination: destination.description, content: body, key: signingKey)
                headers.add(name: "Authorization", value: auth.headerValue)
            } catch {
                throw .badResponse("cannot sign the request: \(error)")
            }
        }
        do {
            let response = try await exchange(target: target, method: method, path: path, headers: headers, body: bytes, timeout: timeout)
            markReachable(destination)
            return response
        } catch let error as FederationClientError {
            if case .unreachable = error { noteFailure(destination) }
            throw error
        } catch {
            noteFailure(destination)
            throw .unreachable("\(destination): \(error)")
        }
    }

    private func exchange(target: ResolvedServer, method: String, path: String, headers: HTTPHeaders, body: [UInt8],
                          timeout: Duration) async throws -> FederationResponse {
        let addresses = try await Self.addresses(host: target.connectHost, port: target.port)
        guard let address = addresses.first(where: { policy.allows(address: $0.ipAddress ?? "") }) else {
            throw FederationClientError.refused("no allowed address for \(target.connectHost) (private destinations are off)")
        }
        let sslContext = self.sslContext
        let sni = target.tlsName
        let promise = group.next().makePromise(of: FederationResponse.self)
        let collector = ResponseCollector(promise: promise, limit: Self.maxBodySize)
        let channel: Channel
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(.seconds(10))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let tls = try NIOSSLClientHandler(context: sslContext, serverHostname: sni)
                        try channel.pipeline.syncOperations.addHandler(tls)
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(collector)
                    }
                }
                .connect(to: address).get()
        } catch {
            promise.fail(error)  // a promise must be completed, even when no connection was made
            throw error
        }
        var head = HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: method), uri: path)
        head.headers = headers
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        if !body.isEmpty { channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil) }
        do {
            try await channel.writeAndFlush(HTTPClientRequestPart.end(nil)).get()
        } catch {
            promise.fail(error)
            channel.close(promise: nil)
            throw error
        }
        let timer = channel.eventLoop.scheduleTask(in: .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000)) {
            promise.fail(FederationClientError.unreachable("timed out after \(timeout)"))
            channel.close(promise: nil)
        }
        defer { timer.cancel(); channel.close(promise: nil) }
        return try await promise.futureResult.get()
    }

    /// Resolved addresses of a host, off the event loop (getaddrinfo blocks).
    static func addresses(host: String, port: Int) async throws -> [SocketAddress] {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if let ip = try? SocketAddress(ipAddress: bare, port: port) { return [ip] }
        return try await Task.detached {
            var hints = addrinfo()
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            var result: UnsafeMutablePointer<addrinfo>?
            guard getaddrinfo(bare, String(port), &hints, &result) == 0, let first = result else {
                throw FederationClientError.unreachable("cannot resolve \(bare)")
            }
            defer { freeaddrinfo(first) }
            var out: [SocketAddress] = []
            var cursor: UnsafeMutablePointer<addrinfo>? = first
            while let info = cursor {
                if let sa = info.pointee.ai_addr {
                    switch Int32(info.pointee.ai_family) {
                    case AF_INET:
                        out.append(sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { SocketAddress($0.pointee, host: bare) })
                    case AF_INET6:
                        out.append(sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { SocketAddress($0.pointee, host: bare) })
                    default: break
                    }
                }
                cursor = info.pointee.ai_next
            }
            return out
        }.value
    }
}

/// Gathers one HTTP response.
final class ResponseCollector: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart

    let promise: EventLoopPromise<FederationResponse>
    let limit: Int
    private var head: HTTPResponseHead?
    private var body: [UInt8] = []

    init(promise: EventLoopPromise<FederationResponse>, limit: Int) {
        self.promise = promise
        self.limit = limit
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h): head = h
        case .body(var buffer):
            body += buffer.readBytes(length: buffer.readableBytes) ?? []
            if body.count > limit {
                promise.fail(FederationClientError.badResponse("response larger than \(limit) bytes"))
                context.close(promise: nil)
            }
        case .end:
            guard let head else { return promise.fail(FederationClientError.badResponse("no response head")) }
            promise.succeed(FederationResponse(status: Int(head.status.code), headers: head.headers.map { ($0.name, $0.value) }, body: body))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        promise.fail(FederationClientError.unreachable("\(error)"))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(FederationClientError.unreachable("connection closed before the response ended"))
    }
}
