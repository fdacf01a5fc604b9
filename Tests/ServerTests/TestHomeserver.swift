import APICore
import ApusConfig
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import MatrixProtocol
@testable import Server
import Services
import Store
import Testing

/// A homeserver on a temporary data directory with a fixed clock, for in-process route tests.
struct TestHomeserver {
    static let now: Int64 = 1_700_000_000_000

    let directory: String
    let homeserver: Homeserver

    static func make(configure: (inout ApusConfiguration) -> Void = { _ in },
                     signingKey: SigningKey = .generate(),
                     directory: String? = nil,
                     clock: Clock = Clock { now },
                     federationTransport: (any FederationTransport)? = nil) async throws -> TestHomeserver {
        let dir = directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("apus-test-\(UUID().uuidString)").path
        var config = ApusConfiguration.defaults(baseDirectory: dir)
        config.dataDir = dir
        configure(&config)
        let database = try Database(path: config.databasePath, readsOnCallingThread: false)
        let homeserver = try await Homeserver(config: config, signingKey: signingKey, database: database,
                                              clock: clock, logger: Logger(label: "test"), passwordCost: .testing,
                                              federationTransport: federationTransport)
        return TestHomeserver(directory: dir, homeserver: homeserver)
    }

    /// Runs `body` against an in-process router for `resources`.
    func test(resources: [ApusConfiguration.Listener.Resource] = [.client, .federation],
              extraRoutes: (RouteTable) -> Void = { _ in },
              _ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let router = ListenerApplication.router(resources: resources, homeserver: homeserver, extraRoutes: extraRoutes)
        let app = Application(router: router, logger: Logger(label: "test"))
        try await app.test(.router, body)
    }

    func close() async throws {
        try await homeserver.database.close()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

extension TestResponse {
    /// The body as a JSON object; records a test issue (and gives `{}`) when it is not one.
    var json: JSONObject {
        do {
            return try JSONParser.parseObject(Array(body.readableBytesView))
        } catch {
            Issue.record("response body is not a JSON object: \(String(buffer: body))")
            return JSONObject()
        }
    }
}

/// A clock tests can move forward.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Int64 = TestHomeserver.now
    var now: Int64 {
        get { lock.withLock { value } }
        set { lock.withLock { value = newValue } }
    }
    var clock: Clock { Clock { self.now } }
}

extension TestClientProtocol {
    /// Sends a JSON body (or none) with an optional bearer token and returns status and JSON body.
    @discardableResult
    func call(_ method: HTTPRequest.Method, _ uri: String, token: String? = nil, body: JSONObject? = nil,
              rawBody: String? = nil) async throws -> (status: HTTPResponse.Status, json: JSONObject) {
        var headers: HTTPFields = [:]
        if let token { headers[.authorization] = "Bearer \(token)" }
        let buffer = rawBody.map { ByteBuffer(string: $0) } ?? body.map { ByteBuffer(bytes: $0.encodedBytes()) }
        return try await execute(uri: uri, method: method, headers: headers, body: buffer) { response in
            let json = response.body.readableBytes == 0 ? JSONObject()
                : (try? JSONParser.parseObject(Array(response.body.readableBytesView))) ?? ["_not_json": .string(String(buffer: response.body))]
            return (response.status, json)
        }
    }
}
