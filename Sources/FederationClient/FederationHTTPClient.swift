import ApusConfig
import Foundation
import Logging
import MatrixProtocol
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// Outbound server-server HTTPS: resolves a server name (`ServerResolver`), refuses addresses
/// the destination policy forbids, connects with TLS verified for the name discovery chose,
/// and sends HTTP/1.1 requests signed with X-Matrix over pooled keep-alive connections.
/// Destinations that fail at the connection level are backed off (`DestinationBackoff`).
public final class FederationHTTPClient: Sendable {
    /// Largest response body accepted by default (a `send_join` of a big room is tens of MB).
    public static let maxBodySize = 100 * 1024 * 1024

    let serverName: ServerName
    let signingKey: SigningKey
    let config: ApusConfiguration.Federation
    let logger: Logger
    let userAgent: String
    let group: MultiThreadedEventLoopGroup
    let connector: Connector
    let pool: ConnectionPool
    let backoff: DestinationBackoff
    let bodyLimit: Int
    public let resolver: ServerResolver

    public convenience init(serverName: ServerName, signingKey: SigningKey, config: ApusConfiguration.Federation,
                            caFilePaths: [String], logger: Logger, userAgent: String = "Apus") {
        self.init(serverName: serverName, signingKey: signingKey, config: config, caFilePaths: caFilePaths, logger: logger,
                  userAgent: userAgent, backoff: DestinationBackoff())
    }

    /// `lookUpSRV`, `fetchWellKnown` and `wellKnownPort` replace discovery's network parts in tests.
    init(serverName: ServerName, signingKey: SigningKey, config: ApusConfiguration.Federation, caFilePaths: [String],
         logger: Logger, userAgent: String = "Apus", backoff: DestinationBackoff,
         lookUpSRV: ServerResolver.SRVLookup? = nil,
         fetchWellKnown: ServerResolver.WellKnownFetcher? = nil, wellKnownPort: Int = 443, bodyLimit: Int = maxBodySize) {
        self.serverName = serverName
        self.signingKey = signingKey
        self.config = config
        self.logger = logger
        self.userAgent = userAgent
        self.backoff = backoff
        self.bodyLimit = bodyLimit
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let tls = TLSContext.make(config: config, caFilePaths: caFilePaths)
        if case .failure(let error) = tls, config.enabled {
            logger.error("Outbound federation TLS is not usable; every request will fail", metadata: ["error": "\(error)"])
        }
        connector = Connector(group: group, tls: tls, policy: DestinationPolicy(config: config), verifyNames: config.verifyTLS)
        pool = ConnectionPool(eventLoop: group.next())
        let fetcher = WellKnownFetcher(connector: connector, userAgent: userAgent, port: wellKnownPort)
        resolver = ServerResolver(fetchWellKnown: fetchWellKnown ?? { await fetcher.fetch($0) }, lookUpSRV: lookUpSRV)
    }

    public func shutdown() async {
        pool.shutdown()
        try? await group.shutdownGracefully()
    }

    // MARK: Backoff

    public func isBackingOff(_ destination: ServerName) -> Bool {
        backoff.retryAt(destination.description) != nil
    }

    public func markReachable(_ destination: ServerName) {
        backoff.reset(destination.description)
    }

    // MARK: Requests

    public func json(to destination: ServerName, method: String, path: String, body: JSONValue? = nil,
                     signed: Bool = true, timeout: Duration = .seconds(30)) async throws(FederationClientError) -> JSONObject {
        let response = try await send(to: destination, method: method, path: path, body: body, signed: signed, timeout: timeout)
        let object: JSONObject? = try? JSONParser.parseObject(response.body)
        guard (200..<300).contains(response.status) else {
            throw .http(status: response.status, errcode: object?["errcode"]?.stringValue, error: object?["error"]?.stringValue,
                        body: response.body)
        }
        guard let object else { throw .badResponse("the answer from \(destination) is not a JSON object") }
        return object
    }

    public func send(to destination: ServerName, method: String, path: String, body: JSONValue? = nil,
                     signed: Bool = true, timeout: Duration = .seconds(30)) async throws(FederationClientError) -> FederationResponse {
        guard config.enabled else { throw .refused("federation is disabled") }
        if let retryAt = backoff.retryAt(destination.description) {
            throw .unreachable("backing off \(destination) for \(retryAt - .now) after failures")
        }
        let target = await resolver.resolve(destination)
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: target.hostHeader)
        headers.add(name: "User-Agent", value: userAgent)
        headers.add(name: "Accept", value: "application/json")
        var bytes: [UInt8] = []
        if let body {
            bytes = body.encodedBytes()
            headers.add(name: "Content-Type", value: "application/json")
        }
        if body != nil || ["POST", "PUT", "PATCH"].contains(method.uppercased()) {
            headers.add(name: "Content-Length", value: String(bytes.count))
        }
        if signed {
            do {
                let auth = try XMatrixAuthorization.sign(method: method, uri: path, origin: serverName.description,
                                                         destination: destination.description, content: body, key: signingKey)
                headers.add(name: "Authorization", value: auth.headerValue)
            } catch {
                throw .badResponse("cannot sign the request: \(error)")
            }
        }
        var head = HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: method.uppercased()), uri: path)
        head.headers = headers
        let request = HTTPRequestHeadAndBody(head: head, body: bytes.isEmpty ? nil : ByteBuffer(bytes: bytes))
        do {
            let response = try await exchange(request, target: target, deadline: .now() + TimeAmount(timeout))
            backoff.reset(destination.description)
            return response
        } catch {
            if case .unreachable = error {
                backoff.noteFailure(destination.description)
                resolver.forget(destination)  // rediscover when retrying: the delegation may have moved
                logger.debug("Federation request failed", metadata: ["destination": "\(destination)", "error": "\(error)"])
            }
            throw error
        }
    }

    /// Sends `request` to the first of the target's endpoints that answers.
    func exchange(_ request: HTTPRequestHeadAndBody, target: ResolvedServer,
                  deadline: NIODeadline) async throws(FederationClientError) -> FederationResponse {
        var lastError = FederationClientError.unreachable("\(target.hostHeader) has no endpoint")
        for endpoint in target.endpoints {
            let key = PoolKey(host: endpoint.host, port: endpoint.port, tlsName: target.tlsName)
            do {
                return try await exchange(request, key: key, deadline: deadline, retryStale: true)
            } catch {
                // The next SRV target may answer (or be allowed); an answer or bad answer is final.
                switch error {
                case .unreachable, .refused: lastError = error
                case .http, .badResponse: throw error
                }
            }
        }
        throw lastError
    }

    private func exchange(_ request: HTTPRequestHeadAndBody, key: PoolKey, deadline: NIODeadline,
                          retryStale: Bool) async throws(FederationClientError) -> FederationResponse {
        let lease: ConnectionPool.Lease
        do {
            lease = try await pool.acquire(key, deadline: deadline)
        } catch {
            throw .unreachable(error as? ConnectionPool.Failure == .shutDown ? "the federation client is shut down"
                               : "timed out waiting for a connection to \(key)")
        }
        let connection: HTTPConnection
        let reused: Bool
        switch lease {
        case .reuse(let existing):
            (connection, reused) = (existing, true)
        case .create:
            do {
                connection = try await connector.connect(key, deadline: deadline)
            } catch {
                pool.connectFailed(key)
                throw error
            }
            pool.opened(connection)
            reused = false
        }
        do {
            let result = try await connection.execute(request, bodyLimit: bodyLimit, deadline: deadline)
            pool.release(connection, reusable: result.keepAlive)
            return result.response
        } catch where reused && retryStale && Self.isStale(error) {
            // The server closed the idle connection as we reused it: once more on another.
            pool.release(connection, reusable: false)
            return try await exchange(request, key: key, deadline: deadline, retryStale: false)
        } catch {
            pool.release(connection, reusable: false)
            throw FederationClientError(transport: error, key: key, deadline: deadline)
        }
    }

    /// A reused connection that turned out closed before any answer.
    private static func isStale(_ error: any Error) -> Bool {
        switch error {
        case HTTPExchangeError.closedBeforeResponse, ChannelError.ioOnClosedChannel: true
        default: false
        }
    }
}
