import MatrixProtocol
import Store

/// Notifications (spec "Receiving notifications"): which local members an event notifies, by
/// their push rules, decided once when the event is persisted and stored with it; the unread
/// counts `/sync` reports; the list `GET /notifications` returns.
public final class PushNotifications: Sendable {
    let database: Database
    let rules: PushRules
    let serverName: String

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
        var memberCount = 0
        var recipients: [String] = []
        var displayNames: [String: String] = [:]
        for (key, member) in state where key.type == "m.room.member" && member.content["membership"] == "join" {
            memberCount += 1
            guard key.stateKey != pdu.sender, isLocal(key.stateKey) else { continue }
            recipients.append(key.stateKey)
            if let name = member.content["displayname"]?.stringValue { displayNames[key.stateKey] = name }
        }
        if pdu.type == "m.room.member", pdu.content["membership"] == "invite", let invitee = pdu.stateKey,
           invitee != pdu.sender, isLocal(invitee), !recipients.contains(invitee) {
            recipients.append(invitee)
        }
        let threadID = try await thread(of: pdu)
        let localSender = isLocal(pdu.sender) ? pdu.sender : nil
        guard !recipients.isEmpty else { return EventPushActions(recipients: [], threadID: threadID, localSender: localSender) }
        let evaluators = try await rules.evaluators(for: recipients)
        let levels = PowerLevels(event: state[.powerLevels], create: state[.create], version: version)
        let sender = pdu.sender
        let event = PushEvent(json: pdu.json, memberCount: memberCount) { levels.canNotify($0, user: sender) }
        var notified: [EventPushActions.Recipient] = []
        notified.reserveCapacity(recipients.count)
        for (userID, evaluator) in zip(recipients, evaluators) {
            guard let actions = evaluator?.evaluate(event, displayName: displayNames[userID]), actions.notify else { continue }
            notified.append(EventPushActions.Recipient(userID: userID, highlight: actions.highlight, actions: actions.encoded))
        }
        return EventPushActions(recipients: notified, threadID: threadID, localSender: localSender)
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
