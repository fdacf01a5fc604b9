import Foundation
import Logging
import MatrixProtocol
import Outbound
import Store

/// Delivers notifications to the push gateways of `http` pushers (Push Gateway API), off the
/// send path: the notifications are already stored with their events (`event_push_actions`,
/// which holds only `notify` actions of members other than the sender), and each pusher
/// records how far it has been sent (`pushers.last_stream_ordering`). One worker per pusher
/// sends its user's notifications in order, retrying a failing gateway with exponential
/// backoff; a restart resumes where each pusher stopped. A pushkey the gateway rejects
/// deletes its pusher.
public final class PushSender: Sendable {
    /// A notification is dropped after its gateway failed this long (the device missed it).
    static let giveUpMillis: Int64 = 24 * 3_600_000
    static let maxBackoff: Duration = .seconds(600)
    static let batchSize = 20

    let database: Database
    let notifier: Notifier
    let client: OutboundHTTPClient
    let clock: Clock
    let logger: Logger
    private let workers = PushWorkers()
    private let wakeups: AsyncStream<PusherKey>
    private let wakeup: AsyncStream<PusherKey>.Continuation

    init(database: Database, notifier: Notifier, client: OutboundHTTPClient, clock: Clock, logger: Logger) {
        self.database = database
        self.notifier = notifier
        self.client = client
        self.clock = clock
        self.logger = logger
        (wakeups, wakeup) = AsyncStream.makeStream(of: PusherKey.self)
    }

    /// Runs until cancelled. `initialBackoff`: the first retry delay (doubling up to 10 min).
    public func run(initialBackoff: Duration = .seconds(1)) async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.followStream() }
            for await key in wakeups {
                if await workers.start(key) { group.addTask { await self.drain(key, initialBackoff: initialBackoff) } }
            }
            group.cancelAll()
        }
    }

    /// Wakes every pusher at start (they catch up from their own positions), then the pushers
    /// of each user a new event notifies.
    private func followStream() async {
        do {
            var position = try await database.currentStreamPosition()
            for pusher in try await database.httpPushers() { wakeup.yield(PusherKey(pusher)) }
            var settle = Notifier.backgroundSettle
            while !Task.isCancelled {
                let (next, users) = try await database.pushRecipients(after: position, limit: 200)
                guard next > position else {
                    await notifier.wait(for: .events, after: position, settle: settle)
                    continue
                }
                position = next
                settle = users.isEmpty ? Notifier.idleSettle : Notifier.backgroundSettle
                for user in users.sorted() {
                    for pusher in try await database.pushers(of: user) where pusher.kind == "http" { wakeup.yield(PusherKey(pusher)) }
                }
            }
        } catch is CancellationError {
            return
        } catch {
            logger.error("push sender stopped: \(error)")
        }
    }

    /// Sends the pusher's pending notifications, oldest first, until there are none.
    private func drain(_ key: PusherKey, initialBackoff: Duration) async {
        var delay = initialBackoff
        var failingSince: Int64?
        while !Task.isCancelled {
            do {
                guard let pusher = try await database.pushers(of: key.userID).first(where: { PusherKey($0) == key }) else {
                    await workers.stop(key)
                    return
                }
                let batch = try await database.pendingPushes(userID: key.userID, after: pusher.lastStreamOrdering, limit: Self.batchSize)
                if batch.isEmpty {
                    if await workers.finish(key) { return } else { continue }
                }
                for push in batch {
                    do {
                        if try await send(push, to: pusher) == .rejected {
                            logger.notice("push gateway rejected the pushkey; pusher removed", metadata: ["user": "\(key.userID)", "app_id": "\(key.appID)"])
                            try await database.deletePusher(userID: key.userID, appID: key.appID, pushkey: key.pushkey)
                            await workers.stop(key)
                            return
                        }
                        delay = initialBackoff
                        failingSince = nil
                    } catch let error as PushFailure {
                        let now = clock.nowMillis()
                        failingSince = failingSince ?? now
                        guard now - failingSince! >= Self.giveUpMillis || error.isPermanent else { throw error }
                        logger.warning("push dropped", metadata: ["user": "\(key.userID)", "event_id": "\(push.event.eventID)", "error": "\(error)"])
                        failingSince = nil
                    }
                    try await database.advancePusher(userID: key.userID, appID: key.appID, pushkey: key.pushkey, to: push.stream)
                }
            } catch {
                if Task.isCancelled { return }
                logger.info("push to gateway failed (retrying in \(delay))", metadata: ["user": "\(key.userID)", "app_id": "\(key.appID)", "error": "\(error)"])
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, Self.maxBackoff)
            }
        }
    }

    enum Outcome { case delivered, rejected }

    struct PushFailure: Error, CustomStringConvertible {
        var description: String
        /// Retrying cannot help (the pusher's URL is unusable): drop the notification.
        var isPermanent = false
    }

    /// POSTs one notification to the pusher's gateway.
    private func send(_ push: PendingPush, to pusher: Pusher) async throws -> Outcome {
        guard let version = RoomVersion.named(push.roomVersion), let pdu = try? push.event.clientPDU(version: version) else {
            throw PushFailure(description: "unreadable event \(push.event.eventID)", isPermanent: true)
        }
        // The push actions never name the sender; a pusher is never told of its own user's events.
        guard pdu.sender != pusher.userID else { return .delivered }
        let data = (try? JSONParser.parseObject(pusher.data)) ?? [:]
        guard let text = data["url"]?.stringValue, let url = HTTPURL(text) else {
            throw PushFailure(description: "the pusher's data.url is not an http(s) URL", isPermanent: true)
        }
        let unread = try await database.unreadNotificationTotal(userID: pusher.userID)
        let context = try await database.pushRoomContext(roomNID: push.event.roomNID, sender: pdu.sender)
        let body = PushGatewayNotification.body(for: push, pdu: pdu, pusher: pusher, unread: unread, roomContext: context)
        await database.durability.wait()  // nothing read leaves before it is on disk
        let response: OutboundResponse
        do {
            response = try await client.send(OutboundRequest(method: "POST", url: url, headers: [("Content-Type", "application/json")],
                                                             body: JSONValue.object(body).encodedBytes()), followRedirects: false) { _ in
                .read(max: 64 * 1024, truncate: false)
            }
        } catch {
            throw PushFailure(description: "\(url.authority): \(error)", isPermanent: error.isAddressBlocked)
        }
        guard (200..<300).contains(response.status) else {
            throw PushFailure(description: "\(url.authority) answered HTTP \(response.status)")
        }
        let rejected = (try? JSONParser.parseObject(response.body))?["rejected"]?.arrayValue ?? []
        return rejected.contains(.string(pusher.pushkey)) ? .rejected : .delivered
    }
}

extension OutboundError {
    /// The gateway's address is refused by policy: asking again will not change that.
    var isAddressBlocked: Bool {
        if case .blockedAddress = self { true } else { false }
    }
}

/// A pusher's identity.
struct PusherKey: Hashable, Sendable {
    var userID: String
    var appID: String
    var pushkey: String

    init(_ pusher: Pusher) {
        userID = pusher.userID
        appID = pusher.appID
        pushkey = pusher.pushkey
    }
}

/// Which pushers have a worker, and which were woken while theirs was running.
actor PushWorkers {
    private var running: Set<PusherKey> = []
    private var rewake: Set<PusherKey> = []

    /// True when the caller should start a worker; otherwise the running one looks again.
    func start(_ key: PusherKey) -> Bool {
        if running.contains(key) {
            rewake.insert(key)
            return false
        }
        running.insert(key)
        return true
    }

    /// A worker found nothing to send: true if it may stop, false if it was woken meanwhile.
    func finish(_ key: PusherKey) -> Bool {
        if rewake.remove(key) != nil { return false }
        running.remove(key)
        return true
    }

    func stop(_ key: PusherKey) {
        running.remove(key)
        rewake.remove(key)
    }
}
