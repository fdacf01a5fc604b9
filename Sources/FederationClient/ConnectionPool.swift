import NIOCore
import NIOHTTP1
import Synchronization

/// Where a pooled connection goes: the endpoint and the TLS name verified on it.
struct PoolKey: Hashable, Sendable, CustomStringConvertible {
    var host: String
    var port: Int
    var tlsName: String?

    var description: String { "\(host):\(port)" + (tlsName.map { " (TLS name \($0))" } ?? "") }
}

/// One open HTTP/1.1 connection running `HTTPExchangeHandler`.
final class HTTPConnection: Sendable {
    let channel: Channel
    let key: PoolKey

    init(channel: Channel, key: PoolKey) {
        self.channel = channel
        self.key = key
    }

    func execute(_ head: HTTPRequestHeadAndBody, bodyLimit: Int, deadline: NIODeadline) async throws -> HTTPExchangeResult {
        let promise = channel.eventLoop.makePromise(of: HTTPExchangeResult.self)
        let exchange = HTTPExchange(head: head.head, body: head.body, bodyLimit: bodyLimit, deadline: deadline, promise: promise)
        channel.writeAndFlush(exchange).whenFailure { promise.fail($0) }
        return try await promise.futureResult.get()
    }

    func close() { channel.close(promise: nil) }
}

struct HTTPRequestHeadAndBody: Sendable {
    var head: HTTPRequestHead
    var body: ByteBuffer?
}

/// Keep-alive connections per endpoint: at most `maxIdle` kept idle (closed after
/// `idleTimeout`) and `maxOpen` open at once; a request beyond that waits for a free one
/// until its deadline.
final class ConnectionPool: Sendable {
    enum Lease {
        case reuse(HTTPConnection)
        /// A slot to open a new connection in; give it back with `connectFailed` or `opened`.
        case create
    }

    private struct Waiter {
        var id: Int
        var continuation: CheckedContinuation<Lease, any Error>
    }

    private struct Idle {
        var connection: HTTPConnection
        var token: Int
    }

    private struct Endpoint {
        var idle: [Idle] = []
        var open = 0
        var waiters: [Waiter] = []
    }

    private struct State {
        var endpoints: [PoolKey: Endpoint] = [:]
        var nextToken = 0
        var isShutDown = false
    }

    let maxIdle: Int
    let maxOpen: Int
    let idleTimeout: TimeAmount
    private let eventLoop: any EventLoop
    private let state = Mutex(State())

    init(eventLoop: any EventLoop, maxIdle: Int = 4, maxOpen: Int = 8, idleTimeout: TimeAmount = .seconds(60)) {
        self.eventLoop = eventLoop
        self.maxIdle = maxIdle
        self.maxOpen = maxOpen
        self.idleTimeout = idleTimeout
    }

    enum Failure: Error {
        case shutDown
        case timedOut
    }

    /// An idle connection, or a slot to open one, waiting for either until `deadline`.
    func acquire(_ key: PoolKey, deadline: NIODeadline) async throws -> Lease {
        try await withCheckedThrowingContinuation { continuation in
            enum Outcome { case lease(Lease), wait(Int), fail(Failure) }
            let outcome: Outcome = state.withLock { state in
                if state.isShutDown { return .fail(.shutDown) }
                while let idle = state.endpoints[key, default: Endpoint()].idle.popLast() {
                    if idle.connection.channel.isActive { return .lease(.reuse(idle.connection)) }
                }
                if state.endpoints[key, default: Endpoint()].open < maxOpen {
                    state.endpoints[key, default: Endpoint()].open += 1
                    return .lease(.create)
                }
                state.nextToken += 1
                state.endpoints[key, default: Endpoint()].waiters.append(Waiter(id: state.nextToken, continuation: continuation))
                return .wait(state.nextToken)
            }
            switch outcome {
            case .lease(let lease): continuation.resume(returning: lease)
            case .fail(let failure): continuation.resume(throwing: failure)
            case .wait(let id):
                eventLoop.scheduleTask(deadline: deadline) { [self] in
                    let waiter = state.withLock { state -> Waiter? in
                        guard let index = state.endpoints[key]?.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                        return state.endpoints[key]?.waiters.remove(at: index)
                    }
                    waiter?.continuation.resume(throwing: Failure.timedOut)
                }
            }
        }
    }

    /// A `.create` slot whose connection could not be opened.
    func connectFailed(_ key: PoolKey) {
        slotFreed(key)
    }

    /// A `.create` slot now holds `connection`; its slot is freed when it closes.
    func opened(_ connection: HTTPConnection) {
        connection.channel.closeFuture.whenComplete { [self] _ in
            state.withLock { state in
                state.endpoints[connection.key]?.idle.removeAll { $0.connection === connection }
            }
            slotFreed(connection.key)
        }
    }

    /// Hands a connection back after an exchange: to a waiter, to the idle list, or closed.
    func release(_ connection: HTTPConnection, reusable: Bool) {
        guard reusable, connection.channel.isActive else { return connection.close() }
        let key = connection.key
        enum Next { case handTo(Waiter), keep(Int), close }
        let next: Next = state.withLock { state in
            if state.isShutDown { return .close }
            if !(state.endpoints[key]?.waiters.isEmpty ?? true) { return .handTo(state.endpoints[key]!.waiters.removeFirst()) }
            guard state.endpoints[key, default: Endpoint()].idle.count < maxIdle else { return .close }
            state.nextToken += 1
            state.endpoints[key, default: Endpoint()].idle.append(Idle(connection: connection, token: state.nextToken))
            return .keep(state.nextToken)
        }
        switch next {
        case .handTo(let waiter): waiter.continuation.resume(returning: .reuse(connection))
        case .close: connection.close()
        case .keep(let token):
            eventLoop.scheduleTask(in: idleTimeout) { [self] in
                let expired = state.withLock { state in
                    guard let index = state.endpoints[key]?.idle.firstIndex(where: { $0.token == token }) else { return false }
                    state.endpoints[key]?.idle.remove(at: index)
                    return true
                }
                if expired { connection.close() }
            }
        }
    }

    /// Closes idle connections and fails waiters; later acquisitions fail.
    func shutdown() {
        let (idle, waiters) = state.withLock { state in
            state.isShutDown = true
            let idle = state.endpoints.values.flatMap { $0.idle.map(\.connection) }
            let waiters = state.endpoints.values.flatMap(\.waiters)
            for key in state.endpoints.keys {
                state.endpoints[key]?.idle = []
                state.endpoints[key]?.waiters = []
            }
            return (idle, waiters)
        }
        idle.forEach { $0.close() }
        waiters.forEach { $0.continuation.resume(throwing: Failure.shutDown) }
    }

    /// Number of open connections to `key` (tests).
    func openCount(_ key: PoolKey) -> Int { state.withLock { $0.endpoints[key]?.open ?? 0 } }

    /// A slot became free: the first waiter may open a connection in it.
    private func slotFreed(_ key: PoolKey) {
        let waiter: Waiter? = state.withLock { state in
            if let waiter = state.endpoints[key]?.waiters.first {
                state.endpoints[key]?.waiters.removeFirst()
                return waiter  // the slot passes to the waiter: `open` stays
            }
            state.endpoints[key]?.open -= 1
            return nil
        }
        waiter?.continuation.resume(returning: .create)
    }
}
