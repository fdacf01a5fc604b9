import Logging
import Synchronization
import MatrixProtocol
import Store

/// Sends our events to the other servers in their rooms. The event stream is fanned out into a
/// persistent per-destination outbox (with the fan-out position, in one transaction); one
/// worker per destination drains it in transactions of at most 50 PDUs, retrying with
/// exponential backoff, so nothing is lost across a restart or while a peer is down.
public final class FederationSender: Sendable {
    static let maxPDUsPerTransaction = 50
    static let maxEDUsPerTransaction = 100
    /// When this process started (ms): the prefix of its transaction IDs.
    static let runID = Date.nowMillis

    let serverName: String
    let database: Database
    let transport: any FederationTransport
    let notifier: Notifier
    let logger: Logger
    let enabled: Bool
    private let workers = SenderWorkers()
    /// Failed transaction attempts per destination (metrics).
    private let failureCounts = Mutex<[String: Int]>([:])

    public var failures: [String: Int] { failureCounts.withLock { $0 } }
    /// Destinations with something to send; `run` starts a worker for each that has none.
    private let wakeups: AsyncStream<String>
    private let wakeup: AsyncStream<String>.Continuation

    init(serverName: String, database: Database, transport: any FederationTransport, notifier: Notifier, logger: Logger, enabled: Bool) {
        self.serverName = serverName
        self.database = database
        self.transport = transport
        self.notifier = notifier
        self.logger = logger
        self.enabled = enabled
        (wakeups, wakeup) = AsyncStream.makeStream(of: String.self)
    }

    /// Runs the fan-out, and the destinations' workers, until cancelled.
    public func run() async {
        guard enabled else { return }
        await withDiscardingTaskGroup { group in
            group.addTask { await self.fanOut() }
            for await destination in wakeups {
                if await workers.start(destination) { group.addTask { await self.drain(destination) } }
            }
            group.cancelAll()
        }
    }

    private func wake(_ destination: String) {
        wakeup.yield(destination)
    }

    /// Rooms whose joined servers the fan-out keeps between batches.
    static let cachedRooms = 1_000

    private func fanOut() async {
        do {
            for destination in try await database.outboundDestinations() { wake(destination) }
            var position: Int64
            if let saved = try await database.federationPosition("outbox") { position = saved } else {
                position = try await database.currentStreamPosition()
            }
            var serversByRoom: [Int64: Set<String>] = [:]
            var savedPosition = position
            var savedAt = ContinuousClock.now
            var settle = Notifier.backgroundSettle
            while !Task.isCancelled {
                let batch = try await database.streamEvents(after: position, limit: 200)
                if batch.isEmpty {
                    await notifier.wait(for: .events, after: position, settle: settle)
                    continue
                }
                var entries: [(destination: String, eventNID: Int64)] = []
                for event in batch {
                    // The servers of a room change only with its state, which comes through here
                    // in stream order: a state event drops the room's cached list.
                    if event.stateKey != nil { serversByRoom[event.roomNID] = nil }
                    guard MatrixIdentifier.server(of: event.sender) == serverName else { continue }
                    if serversByRoom[event.roomNID] == nil {
                        if serversByRoom.count >= Self.cachedRooms { serversByRoom.removeAll() }
                        serversByRoom[event.roomNID] = try await database.joinedServers(roomNID: event.roomNID)
                    }
                    var destinations = serversByRoom[event.roomNID] ?? []
                    // A member event about someone on another server reaches it even when they are gone (kick, ban).
                    if let json = event.memberJSON, let target = event.stateKey, let server = MatrixIdentifier.server(of: target),
                       (try? JSONParser.parseObject(json))?["content"]?["membership"]?.stringValue != "invite" {
                        destinations.insert(server)
                    }
                    destinations.remove(serverName)
                    for destination in destinations.sorted() { entries.append((destination, event.nid)) }
                }
                position = batch.last!.stream
                settle = entries.isEmpty ? Notifier.idleSettle : Notifier.backgroundSettle
                // Events for no other server (a local-only room) need no commit of their own: the
                // position is saved with the next entries, or after a while. Re-reading a skipped
                // range after a crash queues nothing, since it held nothing for anyone.
                if entries.isEmpty && position - savedPosition < 1_000 && ContinuousClock.now - savedAt < .seconds(5) { continue }
                try await database.enqueueOutbound(entries, position: position)
                savedPosition = position
                savedAt = ContinuousClock.now
                for destination in Set(entries.map(\.destination)) { wake(destination) }
            }
        } catch is CancellationError {
            return
        } catch {
            logger.error("federation sender stopped: \(error)")
        }
    }

    /// Queues an EDU (typing, receipts) for destinations; EDUs are ephemeral, so they live in
    /// memory only and ride in the next transaction.
    public func queueEDU(_ edu: JSONObject, to destinations: Set<String>) async {
        guard enabled else { return }
        for destination in destinations where destination != serverName {
            await workers.addEDU(edu, for: destination)
            wake(destination)
        }
    }

    /// A destination that just contacted us is up: a worker backing off from it retries now.
    public func peerIsUp(_ destination: String) async {
        await workers.requestRetry(destination)
    }

    /// Sends the destination's queue until it is empty, backing off on failures.
    private func drain(_ destination: String) async {
        var delay: Duration = .seconds(1)
        while !Task.isCancelled {
            do {
                let batch = try await database.outboundBatch(destination: destination, limit: Self.maxPDUsPerTransaction)
                let edus = await workers.peekEDUs(destination, limit: Self.maxEDUsPerTransaction)
                if batch.isEmpty && edus.isEmpty {
                    if await workers.finish(destination) { return } else { continue }
                }
                let pdus = batch.compactMap { try? JSONParser.parseObject($0.json) }.map { pdu -> JSONValue in
                    var wire = pdu
                    wire["unsigned"] = nil
                    return .object(wire)
                }
                guard let name = try? ServerName(destination) else {
                    if let last = batch.last { try await database.removeOutbound(destination: destination, upTo: last.seq) }
                    await workers.dropEDUs(destination, count: edus.count)
                    continue
                }
                // Unique per destination, also across restarts and a database started afresh under the
                // same name (peers remember transaction IDs): this run's start time, then a sequence.
                let serial = await workers.nextSerial()
                let txnID = batch.last.map { "\(Self.runID)-\($0.seq)" } ?? "\(Self.runID)-e\(serial)"
                let body: JSONValue = ["origin": .string(serverName), "origin_server_ts": .int(Int64(Date.nowMillis)),
                                       "pdus": .array(pdus), "edus": .array(edus.map(JSONValue.object))]
                // What was read may have been committed but not synced yet: it leaves once on disk.
                await database.durability.wait()
                let answer = try await transport.json(to: name, method: "PUT", path: "/_matrix/federation/v1/send/\(txnID)", body: body, signed: true)
                for (eventID, result) in answer["pdus"]?.objectValue ?? [:] {
                    if let error = result["error"]?.stringValue { logger.info("\(destination) refused \(eventID): \(error)") }
                }
                if let last = batch.last { try await database.removeOutbound(destination: destination, upTo: last.seq) }
                await workers.dropEDUs(destination, count: edus.count)
                delay = .seconds(1)
            } catch {
                if Task.isCancelled { return }
                failureCounts.withLock { $0[destination, default: 0] += 1 }
                logger.info("sending to \(destination) failed (retrying in \(delay)): \(error)")
                // Wait out the delay, unless the destination shows it is back (it contacted us).
                let until = ContinuousClock.now + delay
                while ContinuousClock.now < until, !Task.isCancelled {
                    if await workers.takeRetryNow(destination) { break }
                    try? await Task.sleep(for: .milliseconds(250))
                }
                delay = min(delay * 2, .seconds(60))
            }
        }
    }
}

/// Which destinations have a worker draining their queue.
actor SenderWorkers {
    private var running: Set<String> = []
    private var rewake: Set<String> = []
    private var retryNow: Set<String> = []

    /// A backing-off worker should retry at once.
    func requestRetry(_ destination: String) {
        if running.contains(destination) { retryNow.insert(destination) }
    }

    func takeRetryNow(_ destination: String) -> Bool { retryNow.remove(destination) != nil }

    private var edus: [String: [JSONObject]] = [:]
    private var serial = 0

    /// Caps what waits for a peer that is down: typing and receipts go stale anyway.
    static let maxQueuedEDUs = 1000

    func addEDU(_ edu: JSONObject, for destination: String) {
        var queue = edus[destination] ?? []
        queue.append(edu)
        if queue.count > Self.maxQueuedEDUs { queue.removeFirst(queue.count - Self.maxQueuedEDUs) }
        edus[destination] = queue
        if running.contains(destination) { rewake.insert(destination) }
    }

    func peekEDUs(_ destination: String, limit: Int) -> [JSONObject] { Array((edus[destination] ?? []).prefix(limit)) }

    func dropEDUs(_ destination: String, count: Int) {
        guard var queue = edus[destination] else { return }
        queue.removeFirst(min(count, queue.count))
        edus[destination] = queue.isEmpty ? nil : queue
    }

    func nextSerial() -> Int {
        serial += 1
        return serial
    }

    /// True when the caller should start a worker; otherwise the running one goes round again.
    func start(_ destination: String) -> Bool {
        if running.contains(destination) {
            rewake.insert(destination)
            return false
        }
        running.insert(destination)
        return true
    }

    /// True when the worker may stop; false when new work arrived while it was finishing.
    func finish(_ destination: String) -> Bool {
        if rewake.remove(destination) != nil { return false }
        running.remove(destination)
        return true
    }
}

import Foundation

extension Date {
    static var nowMillis: Int { Int(Date().timeIntervalSince1970 * 1000) }
}
