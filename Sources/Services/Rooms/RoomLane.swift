import Logging
import MatrixProtocol
import Store

/// The one place a room's local events are created: builds each event on the current forward
/// extremities and state, checks it with the auth rules, persists it. An actor per room, so a
/// room's events never race each other (no accidental forks), while rooms run in parallel.
actor RoomLane {
    let room: RoomRecord
    let version: RoomVersion
    let database: Database
    let builder: EventBuilder
    let clock: Clock
    let notifications: PushNotifications
    /// Tells syncs an event is stored: called before the request that appended it returns.
    /// Synchronous, so a send can call it from the commit itself (`submitTimelineEvent`).
    let onAppend: @Sendable (Int64) -> Void
    /// Current state events by key, loaded on first use and kept in step with each append.
    var state: [StateKey: PDU]?
    /// The latest send's write, queued but maybe not committed yet: the next send builds on it
    /// in memory meanwhile (so a room's sends share commits instead of waiting for each).
    private var pendingWrite: QueuedWrite<Int64>?
    /// Sends of a client transaction whose write is not settled yet: a retry of one (a client
    /// that gave up waiting) gets the same event instead of a duplicate.
    private var unsettledTransactions: [(transaction: ClientTransaction, pdu: PDU, write: QueuedWrite<Int64>)] = []
    var extremities: [(eventID: String, depth: Int64)] = []
    /// Actor methods interleave at every `await`; the lane must not (an event built while the
    /// previous one is being stored would miss it), so each operation holds this turn.
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    private func acquire() async {
        if busy {
            await withCheckedContinuation { waiting.append($0) }  // ownership is handed over
        } else {
            busy = true
        }
    }

    private func release() {
        if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() }
    }

    /// Runs `body` alone on the lane, after the sends still committing when it reads the
    /// database (`waitForWrites`); operations on the state in memory need not wait.
    func exclusively<T>(waitForWrites: Bool = true, _ body: () async throws -> T) async rethrows -> T {
        await acquire()
        defer { release() }
        if waitForWrites { await settleWrites() }
        return try await body()
    }

    /// Waits for the last send queued without waiting (`send`), so the database has every event
    /// the lane has in memory.
    private func settleWrites() async {
        guard let write = pendingWrite else { return }
        _ = try? await write.value
        pendingWrite = nil
    }

    init(room: RoomRecord, version: RoomVersion, database: Database, builder: EventBuilder, clock: Clock,
         notifications: PushNotifications, onAppend: @escaping @Sendable (Int64) -> Void) {
        self.room = room
        self.version = version
        self.database = database
        self.builder = builder
        self.clock = clock
        self.notifications = notifications
        self.onAppend = onAppend
    }

    /// Loads state for an existing room.
    func loadState() async throws -> [StateKey: PDU] {
        if let state { return state }
        await settleWrites()
        let map = try await database.currentState(of: room)
        let stored = try await database.events(Array(map.values))
        var loaded: [StateKey: PDU] = [:]
        for event in stored {
            let pdu = try event.pdu(version: version)
            if let key = pdu.stateKeyPair { loaded[key] = pdu }
        }
        extremities = try await database.forwardExtremities(of: room)
        state = loaded
        return loaded
    }

    /// The user's membership now, from the state in memory.
    func membership(of userID: String) async throws -> String? {
        try await exclusively(waitForWrites: false) { Self.membership(of: userID, in: try await loadState()) }
    }

    private static func membership(of userID: String, in state: [StateKey: PDU]) -> String? {
        state[.member(userID)]?.content["membership"]?.stringValue
    }

    /// The current state event for a key.
    func stateEvent(_ key: StateKey) async throws -> PDU? {
        try await exclusively { try await loadState()[key] }
    }

    func currentState() async throws -> [StateKey: PDU] {
        try await exclusively { try await loadState() }
    }

    /// Creates, authorises and persists one event; `M_FORBIDDEN` with the auth rules' reason
    /// when they reject it.
    /// The event is built, checked and queued for writing on the lane; its commit is awaited
    /// off the lane, so the room's next send need not wait for it. Returns once it is durable.
    /// `requireJoined`: `M_FORBIDDEN` unless the sender is joined now (the auth rules would
    /// refuse too, with a less helpful reason).
    func send(_ draft: EventBuilder.Draft, transaction: ClientTransaction? = nil, requireJoined: Bool = false) async throws -> PDU {
        let (pdu, write) = try await exclusively(waitForWrites: false) {
            try await queueSend(draft, transaction: transaction, requireJoined: requireJoined)
        }
        guard let write else { return pdu }  // a retry of a committed transaction
        do {
            _ = try await write.value  // syncs were told by the commit itself (`afterCommit`)
        } catch {
            // The memory is ahead of a write that failed: read the room again from the database.
            await exclusively { state = nil }
            throw error
        }
        return pdu
    }

    private func queueSend(_ draft: EventBuilder.Draft, transaction: ClientTransaction?,
                           requireJoined: Bool) async throws -> (PDU, QueuedWrite<Int64>?) {
        if let transaction {
            unsettledTransactions.removeAll { $0.write.isSettled }
            if let earlier = unsettledTransactions.first(where: { $0.transaction.isRetry(of: transaction) }) {
                return (earlier.pdu, earlier.write)
            }
            // Committed since the caller looked (the map is filled before the write settles).
            if let eventID = database.eventForTransaction(userID: transaction.userID, deviceID: transaction.deviceID,
                                                          txnID: transaction.txnID),
               let stored = try await database.event(eventID) {
                return (try stored.pdu(version: version), nil)
            }
        }
        var current = try await loadState()
        if requireJoined, Self.membership(of: draft.sender, in: current) != "join" {
            throw Self.notJoined(room.roomID)
        }
        let before = current
        var heads = extremities
        let pdu = try Self.buildAuthorised(draft, roomID: room.roomID, version: version, builder: builder, state: &current,
                                           extremities: &heads, now: clock.nowMillis())
        let stored = ReplacedState.stored(pdu, stateBefore: before)
        if let key = pdu.stateKeyPair { current[key] = stored }
        var event = NewTimelineEvent(pdu: pdu, json: stored.json.encodedBytes())
        event.transaction = transaction
        // Push rules cannot refuse an event: if they cannot be evaluated, it is sent unnotified.
        event.pushActions = try? await notifications.actions(for: pdu, stateBefore: before, version: version)
        // Long-polling syncs wake as the commit ends, on the writer's thread: before this send's
        // own task resumes, so the woken sync is not queued behind the send's response.
        let write = database.submitTimelineEvent(event, room: room, afterCommit: onAppend)
        state = current
        extremities = heads
        pendingWrite = write
        if let transaction { unsettledTransactions.append((transaction, pdu, write)) }
        return (pdu, write)
    }

    static func notJoined(_ roomID: String) -> MatrixError { .forbidden("You are not joined to room \(roomID)") }

    /// Builds and checks an event without storing it: would the auth rules let it through now?
    func check(_ draft: EventBuilder.Draft) async throws {
        await acquire()
        defer { release() }
        var current = try await loadState()
        var heads = extremities
        _ = try Self.buildAuthorised(draft, roomID: room.roomID, version: version, builder: builder, state: &current,
                                     extremities: &heads, now: clock.nowMillis())
    }

    /// Builds an event against `state`, checks it, and advances `state` and `extremities`
    /// in memory (room creation builds a whole batch this way before persisting any of it).
    static func buildAuthorised(_ draft: EventBuilder.Draft, roomID: String?, version: RoomVersion, builder: EventBuilder,
                                state: inout [StateKey: PDU], extremities: inout [(eventID: String, depth: Int64)],
                                now: Int64) throws -> PDU {
        let keys = AuthRules.authEventKeys(for: draft.type, stateKey: draft.stateKey, sender: draft.sender,
                                           content: draft.content, version: version)
        let authEvents = keys.compactMap { state[$0]?.eventID }
        let pdu = try builder.build(draft, roomID: roomID, version: version, prevEvents: extremities,
                                    authEvents: authEvents, now: now)
        let snapshot = state
        do throws(AuthFailure) {
            try AuthRules.check(pdu, version: version) { snapshot[$0] }
        } catch {
            throw MatrixError.forbidden(error.reason)
        }
        if let key = pdu.stateKeyPair { state[key] = pdu }
        extremities = [(pdu.eventID, pdu.depth)]
        return pdu
    }
}
