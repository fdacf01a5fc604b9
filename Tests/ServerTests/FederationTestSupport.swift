import ApusConfig
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import MatrixProtocol
import Services
import Testing

/// Federation between in-process test homeservers: requests are signed as a real server signs
/// them and delivered to the destination's router, so the receiving side's authentication,
/// endpoints and pipeline all run for real.
final class LoopbackFederation: @unchecked Sendable {
    private let lock = NSLock()
    private var clients: [String: any TestClientProtocol] = [:]
    private var down: Set<String> = []
    private var rewrite: @Sendable (String) -> String = { $0 }

    func attach(_ server: String, _ client: any TestClientProtocol) { lock.withLock { clients[server] = client } }
    func setDown(_ server: String, _ isDown: Bool) { lock.withLock { if isDown { down.insert(server) } else { down.remove(server) } } }

    /// Changes the path of every request before it is signed (to play a server that asks differently).
    func rewritePaths(_ rewrite: @escaping @Sendable (String) -> String) { lock.withLock { self.rewrite = rewrite } }
    func rewritten(_ path: String) -> String { lock.withLock { rewrite }(path) }

    func client(_ server: String) -> (any TestClientProtocol)? {
        lock.withLock { down.contains(server) ? nil : clients[server] }
    }

    /// The transport one server uses.
    func transport(origin: String, key: SigningKey) -> any FederationTransport {
        Transport(network: self, origin: origin, key: key)
    }

    struct Unreachable: Error {}

    struct Transport: FederationTransport {
        let network: LoopbackFederation
        let origin: String
        let key: SigningKey

        func json(to destination: ServerName, method: String, path: String, body: JSONValue?, signed: Bool) async throws -> JSONObject {
            guard let client = network.client(destination.description) else { throw Unreachable() }
            let path = network.rewritten(path)
            var headers: HTTPFields = [:]
            if signed {
                let auth = try XMatrixAuthorization.sign(method: method, uri: path, origin: origin, destination: destination.description,
                                                         content: body, key: key)
                headers[.authorization] = auth.headerValue
            }
            let buffer = body.map { ByteBuffer(bytes: $0.encodedBytes()) }
            let (status, bytes) = try await client.execute(uri: path, method: HTTPRequest.Method(rawValue: method)!, headers: headers,
                                                           body: buffer) { ($0.status, Array($0.body.readableBytesView)) }
            guard (200..<300).contains(status.code) else { throw RemoteError(status: status.code, body: bytes) }
            return (try? JSONParser.parseObject(bytes)) ?? [:]
        }

        func bytes(to destination: ServerName, path: String) async throws -> (contentType: String?, body: [UInt8]) {
            guard let client = network.client(destination.description) else { throw Unreachable() }
            let auth = try XMatrixAuthorization.sign(method: "GET", uri: path, origin: origin, destination: destination.description,
                                                     content: nil, key: key)
            var headers: HTTPFields = [:]
            headers[.authorization] = auth.headerValue
            let (status, type, bytes) = try await client.execute(uri: path, method: .get, headers: headers, body: nil) {
                ($0.status, $0.headers[.contentType], Array($0.body.readableBytesView))
            }
            guard (200..<300).contains(status.code) else { throw RemoteError(status: status.code, errcode: nil, message: nil) }
            return (type, bytes)
        }
    }
}

/// Two (or more) homeservers federating in-process, each with open registration.
struct FederatedPair {
    let network: LoopbackFederation
    let a: TestHomeserver
    let b: TestHomeserver

    /// `clock`: one clock for both servers (a `TestClock` lets a test move time); fixed otherwise.
    static func make(clock: Clock? = nil) async throws -> FederatedPair {
        let network = LoopbackFederation()
        return FederatedPair(network: network, a: try await server("a.test", on: network, clock: clock),
                             b: try await server("b.test", on: network, clock: clock))
    }

    /// A homeserver named `name` that reaches the others through `network`.
    static func server(_ name: String, on network: LoopbackFederation, clock: Clock? = nil) async throws -> TestHomeserver {
        let key = SigningKey.generate()
        return try await TestHomeserver.make(configure: { config in
            config.serverName = try! ServerName(name)
            config.registration.enabled = true
        }, signingKey: key, clock: clock ?? Clock { TestHomeserver.now }, federationTransport: network.transport(origin: name, key: key))
    }

    /// Runs `body` with a further server of the pair's network up (inside `run`): its client
    /// attached under `name` and its federation sender running.
    func with(_ server: TestHomeserver, named name: String,
              _ body: @Sendable @escaping (_ client: any TestClientProtocol) async throws -> Void) async throws {
        let network = self.network
        try await server.test { client in
            network.attach(name, client)
            let sender = Task { await server.homeserver.federation.sender.run() }
            defer { sender.cancel() }
            try await body(client)
        }
    }

    /// Runs `body` with both servers' clients up and their federation senders running.
    func run(_ body: @Sendable @escaping (_ a: any TestClientProtocol, _ b: any TestClientProtocol) async throws -> Void) async throws {
        let network = self.network
        let a = self.a, b = self.b
        try await a.test { clientA in
            try await b.test { clientB in
                network.attach("a.test", clientA)
                network.attach("b.test", clientB)
                let senders = [Task { await a.homeserver.federation.sender.run() }, Task { await b.homeserver.federation.sender.run() },
                               Task { await a.homeserver.federation.runDeviceListUpdates() },
                               Task { await b.homeserver.federation.runDeviceListUpdates() }]
                defer { senders.forEach { $0.cancel() } }
                try await body(clientA, clientB)
            }
        }
    }

    func close() async throws {
        try await a.close()
        try await b.close()
    }
}

private let base = "/_matrix/client/v3"

/// Polls /sync until `until` holds for the response (federation delivery is asynchronous).
func syncUntil(_ client: some TestClientProtocol, token: String, timeout: Duration = .seconds(10),
               _ until: (JSONObject) -> Bool) async throws -> JSONObject? {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        let r = try await client.call(.get, "\(base)/sync?timeout=0", token: token)
        if until(r.json) { return r.json }
        try await Task.sleep(for: .milliseconds(50))
    }
    return nil
}

/// The bodies of `m.room.message` events of a room in a sync response.
func messageBodies(_ sync: JSONObject, room: String) -> [String] {
    (sync["rooms"]?["join"]?[room]?["timeline"]?["events"]?.arrayValue ?? []).compactMap {
        $0["type"]?.stringValue == "m.room.message" ? $0["content"]?["body"]?.stringValue : nil
    }
}

/// Sets up alice on A and bob on B in one public room of A's, and returns its ID.
func sharedRoom(_ a: some TestClientProtocol, _ b: some TestClientProtocol) async throws
    -> (room: String, alice: (userID: String, token: String, deviceID: String), bob: (userID: String, token: String, deviceID: String)) {
    let alice = try await registerUser(a, "alice")
    let bob = try await registerUser(b, "bob")
    let room = try await createRoom(a, token: alice.token, ["preset": "public_chat"])
    let join = try await b.call(.post, "\(base)/join/\(enc(room))?via=a.test", token: bob.token, body: [:])
    #expect(join.status == .ok, "join: \(join.json)")
    return (room, alice, bob)
}
