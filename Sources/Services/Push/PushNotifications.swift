import MatrixProtocol
import Store
import Synchronization

/// Notifications (spec "Receiving notifications"): which local members an event notifies, by
/// their push rules, decided once when the event is persisted and stored with it; the unread
/// counts `/sync` reports; the list `GET /notifications` returns.
public final class PushNotifications: Sendable {
    let database: Database
    let rules: PushRules
    let serverName: String

    /// Each room's joined members as of its latest state seen here (`MemberList`), by room ID.
    private let memberLists = Mutex<[String: MemberList]>([:])
    /// Rooms whose member lists are kept at most; past it the cache starts again.
    static let cachedRooms = 1_000

    init(database: Database, rules: PushRules, serverName: String) {
        self.database = database
        self.rules = rules
        self.serverName = serverName
    }

    /// The one entry point for a new timeline event, local or received: evaluates the push rules
    /// of every local joined member but the sender (and of a local user it invites) against
    /// `pdu`, given the room's state before it. Store the result with the event
    /// (`NewTimelineEvent.pushActions`, `ReceivedEvent.pushActions`).
    public func actions(for pdu: PDU, stateBefore state: [StateKey: PDU], version: RoomVersion) async throws -> EventPushActions {
        let suffix = Array((":" + serverName).utf8)
        // Bytes, not `hasSuffix`: Unicode-aware comparison per member of every event showed up.
        let isLocal = { (userID: String) in userID.utf8.count > suffix.count && userID.utf8.suffix(suffix.count).elementsEqual(suffix) }
        let threadID = try await thread(of: pdu)
        let localSender = isLocal(pdu.sender) ? pdu.sender : nil
        var members = memberList(of: pdu.roomID, state: state, isLocal: isLocal)
        // Every member's evaluator, as cached while no rule changed since; else from the rules.
        let generation = rules.generation
        if members.generation != generation || members.evaluators.contains(where: { $0 == nil }) {
            members.evaluators = try await rules.evaluators(for: members.local)
            members.generation = generation
            let updated = members
            memberLists.withLock { $0[pdu.roomID] = updated }
        }
        var recipients: [String] = []
        var evaluators: [PushEvaluator?] = []
        recipients.reserveCapacity(members.local.count)
        evaluators.reserveCapacity(members.local.count)
        for (userID, evaluator) in zip(members.local, members.evaluators) where userID != pdu.sender {
            recipients.append(userID)
            evaluators.append(evaluator)
        }
        if pdu.type == "m.room.member", pdu.content["membership"] == "invite", let invitee = pdu.stateKey,
           invitee != pdu.sender, isLocal(invitee), !recipients.contains(invitee) {
            recipients.append(invitee)
            evaluators += try await rules.evaluators(for: [invitee])
        }
        guard !recipients.isEmpty else { return EventPushActions(recipients: [], threadID: threadID, localSender: localSender) }
        let levels = PowerLevels(event: state[.powerLevels], create: state[.create], version: version)
        let sender = pdu.sender
        let event = PushEvent(json: pdu.json, memberCount: members.joinedCount) { levels.canNotify($0, user: sender) }
        var notified: [EventPushActions.Recipient] = []
        notified.reserveCapacity(recipients.count)
        for (userID, evaluator) in zip(recipients, evaluators) {
            guard let evaluator else { continue }
            // The default rules read no display name: no lookup per member for them.
            let displayName = evaluator.readsDisplayName ? members.displayNames[userID] : nil
            guard let actions = evaluator.evaluate(event, displayName: displayName), actions.notify else { continue }
            notified.append(EventPushActions.Recipient(userID: userID, highlight: actions.highlight, actions: actions.encoded))
        }
        return EventPushActions(recipients: notified, threadID: threadID, localSender: localSender)
    }

    /// The room's joined members in `state`: from the cache when its member events are the ones
    /// the list was made from (told by their identities, cheaply), else worked out and kept.
    private func memberList(of roomID: String, state: [StateKey: PDU], isLocal: (String) -> Bool) -> MemberList {
        var fingerprint = MemberList.Fingerprint()
        for (key, member) in state where key.type == "m.room.member" { fingerprint.add(member) }
        if let cached = memberLists.withLock({ $0[roomID] }), cached.fingerprint == fingerprint { return cached }
        var list = MemberList(fingerprint: fingerprint)
        for (key, member) in state where key.type == "m.room.member" {
            list.events.append(member)
            guard member.content["membership"] == "join" else { continue }
            list.joinedCount += 1
            guard isLocal(key.stateKey) else { continue }
            list.local.append(key.stateKey)
            if let name = member.content["displayname"]?.stringValue { list.displayNames[key.stateKey] = name }
        }
        list.evaluators = Array(repeating: nil, count: list.local.count)
        let made = list
        memberLists.withLock { lists in
            if lists.count >= Self.cachedRooms { lists.removeAll() }
            lists[roomID] = made
        }
        return made
    }

    /// Most relations followed to find an event's thread (spec: "a maximum of 3 hops").
    static let threadHops = 3

    /// `main`, or the root of the thread the event belongs to: its `m.thread` relation, or that
    /// of an event it relates to (a reaction to a reply in a thread is in the thread).
    func thread(of pdu: PDU) async throws -> String {
        guard let relation = pdu.content["m.relates_to"]?.objectValue, var target = relation["event_id"]?.stringValue else {
            return "main"
        }
        if relation["rel_type"] == "m.thread" { return target }
        for _ in 1..<Self.threadHops {
            guard let next = try await database.relation(of: target) else { return "main" }
            if next.relType == "m.thread" { return next.target }
            target = next.target
        }
        return "main"
    }
}

extension PushNotifications {
    /// A room's `unread_notifications` and, when `threaded`, `unread_thread_notifications`
    /// (then the first counts only the main timeline).
    public func unread(userID: String, room: RoomRecord, threaded: Bool) async throws -> (room: UnreadCounts, threads: [String: UnreadCounts]) {
        let counts = try await database.unreadCounts(userID: userID, room: room)
        guard threaded else {
            return (counts.values.reduce(into: UnreadCounts()) { $0.notifications += $1.notifications; $0.highlights += $1.highlights }, [:])
        }
        return (counts["main"] ?? UnreadCounts(), counts.filter { $0.key != "main" })
    }

    /// `GET /notifications`: newest first, from a `next_token`.
    public func list(userID: String, from: String?, limit: Int, onlyHighlights: Bool) async throws -> JSONObject {
        var before = Int64.max
        if let from {
            guard let position = Int64(from) else { throw MatrixError.invalidParam("Invalid 'from' token") }
            before = position
        }
        let limit = max(1, min(limit, 100))
        let rows = try await database.notifications(userID: userID, before: before, limit: limit + 1, onlyHighlights: onlyHighlights)
        var items: [JSONValue] = []
        for row in rows.prefix(limit) {
            guard let version = RoomVersion.named(row.roomVersion), let pdu = try? row.event.clientPDU(version: version) else { continue }
            items.append([
                "actions": (try? JSONParser.parse(row.actions)) ?? [],
                "event": .object(ClientEvent.format(pdu, includeRoomID: false)),
                "read": .bool(row.read),
                "room_id": .string(row.roomID),
                "ts": .int(row.ts),
            ])
        }
        var body: JSONObject = ["notifications": .array(items)]
        if rows.count > limit, let last = rows.prefix(limit).last { body["next_token"] = .string(String(last.stream)) }
        return body
    }
}

/// A room's joined members as of one state: who counts for `room_member_count`, the local ones
/// whose rules are evaluated, their display names and (cached) evaluators.
private struct MemberList: Sendable {
    /// The member events a list was made from, as a count and two sums of their identities.
    struct Fingerprint: Equatable, Sendable {
        var count = 0
        var sum: UInt = 0
        var mixed: UInt = 0

        mutating func add(_ event: PDU) {
            let bits = UInt(bitPattern: event.identity)
            count += 1
            sum &+= bits
            mixed ^= bits &* 0x9E37_79B9_7F4A_7C15
        }
    }

    let fingerprint: Fingerprint
    /// Keeps the fingerprinted events alive, so their identities cannot be reused by others.
    var events: [PDU] = []
    var joinedCount = 0
    var local: [String] = []
    var displayNames: [String: String] = [:]
    /// One per `local` member; current while the rules' generation is `generation`.
    var evaluators: [PushEvaluator?] = []
    var generation = -1

    init(fingerprint: Fingerprint) { self.fingerprint = fingerprint }
}
