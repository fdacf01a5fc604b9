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
            members.groupByShape()
            let updated = members
            memberLists.withLock { $0[pdu.roomID] = updated }
        }
        var invitee: String?
        if pdu.type == "m.room.member", pdu.content["membership"] == "invite", let user = pdu.stateKey,
           user != pdu.sender, isLocal(user), members.index[user] == nil {
            invitee = user
        }
        var result = EventPushActions(groups: [], threadID: threadID, localSender: localSender)
        let sender = members.index[pdu.sender]
        guard members.local.count > (sender == nil ? 0 : 1) || invitee != nil else { return result }
        let levels = PowerLevels(event: state[.powerLevels], create: state[.create], version: version)
        let event = PushEvent(json: pdu.json, memberCount: members.joinedCount) { [sender = pdu.sender] in levels.canNotify($0, user: sender) }
        var notified = NotifiedGroups()
        for group in members.shapes {
            if let shared = group.evaluator.sharedOutcome(event) {
                guard let actions = shared, actions.notify else { continue }
                let except = sender.flatMap { members.evaluators[$0]?.shape == group.evaluator.shape ? pdu.sender : nil }
                result.groups.append(.init(highlight: actions.highlight, actions: actions.encoded, members: group.members, except: except))
                continue
            }
            for i in group.indices where i != sender {
                notified.add(members.local[i], members.evaluators[i]?.evaluate(event, displayName: members.displayName(i)))
            }
        }
        for i in members.loners where i != sender {
            notified.add(members.local[i], members.evaluators[i]?.evaluate(event, displayName: members.displayName(i)))
        }
        if let invitee, let evaluator = try await rules.evaluators(for: [invitee]).first ?? nil {
            notified.add(invitee, evaluator.evaluate(event, displayName: nil))
        }
        result.groups += notified.groups
        return result
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
            list.index[key.stateKey] = list.local.count
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

    /// `GET /notifications`: newest first, from a `next_token`; each event with its `age` at `now`.
    public func list(userID: String, from: String?, limit: Int, onlyHighlights: Bool, now: Int64) async throws -> JSONObject {
        var before = Int64.max
        if let from {
            guard let position = Int64(from) else { throw MatrixError.invalidParam("Invalid 'from' token") }
            before = position
        }
        let limit = max(1, min(limit, 100))
        let rows = try await database.notifications(userID: userID, before: before, limit: limit + 1, onlyHighlights: onlyHighlights)
        var items: [JSONValue] = []
        for row in rows.prefix(limit) {
            guard let version = RoomVersion.named(row.roomVersion),
                  let pdu = try? row.event.clientPDU(version: version, for: EventAudience(userID: userID, deviceID: nil, now: now)) else { continue }
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
    /// Positions in `local`, by user.
    var index: [String: Int] = [:]
    /// The members grouped by the shape of their rules (`groupByShape`), and the others.
    var shapes: [ShapeGroup] = []
    var loners: [Int] = []

    /// Members whose rules share a shape: one evaluation decides them all for most events.
    struct ShapeGroup: Sendable {
        /// One of them, whose rules stand for all.
        let evaluator: PushEvaluator
        let indices: [Int]
        /// Their user IDs, one object from event to event while the list holds.
        let members: PushMembers
    }

    init(fingerprint: Fingerprint) { self.fingerprint = fingerprint }

    func displayName(_ i: Int) -> String? {
        evaluators[i]?.readsDisplayName == true ? displayNames[local[i]] : nil
    }

    mutating func groupByShape() {
        var byShape: [Int: Int] = [:]
        var groups: [(evaluator: PushEvaluator, indices: [Int])] = []
        loners = []
        for (i, evaluator) in evaluators.enumerated() {
            guard let evaluator, evaluator.shape >= 0 else {
                loners.append(i)
                continue
            }
            if let number = byShape[evaluator.shape] {
                groups[number].indices.append(i)
            } else {
                byShape[evaluator.shape] = groups.count
                groups.append((evaluator, [i]))
            }
        }
        shapes = groups.map { group in
            ShapeGroup(evaluator: group.evaluator, indices: group.indices,
                       members: PushMembers(group.indices.map { local[$0] }, recurring: true))
        }
    }
}

/// Members evaluated one by one, grouped by what their rules decided.
private struct NotifiedGroups {
    private var found: [(actions: PushActions, users: [String])] = []

    mutating func add(_ userID: String, _ actions: PushActions?) {
        guard let actions, actions.notify else { return }
        if let i = found.firstIndex(where: { $0.actions.highlight == actions.highlight && $0.actions.encoded == actions.encoded }) {
            found[i].users.append(userID)
        } else {
            found.append((actions, [userID]))
        }
    }

    var groups: [EventPushActions.Group] {
        found.map { .init(highlight: $0.actions.highlight, actions: $0.actions.encoded, members: PushMembers($0.users)) }
    }
}
