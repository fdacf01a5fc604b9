import Synchronization

/// One user's push rules compiled for evaluation: only enabled rules, in priority order, with
/// globs and property paths parsed once. Evaluating an event is then a walk down this list.
///
/// A room's members mostly share their rules, so a condition that reads only the event (not
/// the user's display name or ID) is decided once per event: it has a slot in a process-wide
/// table, and the event (`PushEvent`) remembers the answer in that slot for the next member.
public final class PushEvaluator: Sendable {
    public let userID: String
    /// Each rule's outcome, by rule.
    let rules: [PushActions]
    /// Where each rule's conditions end in `conditions` (they start where the previous ones end).
    let ends: [Int]
    let conditions: [PushCondition]
    /// Each condition's slot of `PushConditionSlots`, or -1: decided for each user.
    let slots: [Int]

    public init(ruleset: PushRuleSet, userID: String) {
        self.userID = userID
        var rules: [PushActions] = []
        var ends: [Int] = []
        var conditions: [PushCondition] = []
        var slots: [Int] = []
        func add(_ condition: PushCondition, key: String?) {
            conditions.append(condition)
            slots.append(key.map(PushConditionSlots.slot) ?? -1)
        }
        for kind in PushRuleKind.allCases {
            for rule in ruleset.rules[kind] ?? [] where rule.enabled {
                switch kind {
                case .override, .underride:
                    for json in rule.conditions ?? [] {
                        let condition = PushCondition(json)
                        // Reads the display name, or names the user: only this user's evaluations would share it.
                        var personal = json["pattern"] == .string(userID) || json["value"] == .string(userID)
                        if case .containsDisplayName = condition { personal = true }
                        add(condition, key: personal ? nil : String(decoding: JSONValue.object(json).encodedBytes(), as: UTF8.self))
                    }
                case .content:
                    add(.eventMatch(PropertyPath("content.body"), PushGlob(rule.pattern ?? "")), key: "content.body " + (rule.pattern ?? ""))
                case .room:
                    add(.propertyIs(PropertyPath("room_id"), .string(rule.ruleID)), key: "room_id " + rule.ruleID)
                case .sender:
                    add(.propertyIs(PropertyPath("sender"), .string(rule.ruleID)), key: "sender " + rule.ruleID)
                }
                ends.append(conditions.count)
                rules.append(PushActions(ruleID: rule.ruleID, actions: rule.actions))
            }
        }
        self.rules = rules
        self.ends = ends
        self.conditions = conditions
        self.slots = slots
    }

    /// The actions of the first enabled rule the event matches for this user (nil when none
    /// does), given the user's display name in the room.
    public func evaluate(_ event: PushEvent, displayName: String?) -> PushActions? {
        var start = 0
        for (index, end) in ends.enumerated() {
            var matched = true
            for c in start..<end where !decide(c, event, displayName) {
                matched = false
                break
            }
            if matched { return rules[index] }
            start = end
        }
        return nil
    }

    private func decide(_ c: Int, _ event: PushEvent, _ displayName: String?) -> Bool {
        let slot = slots[c]
        guard slot >= 0 else { return holds(conditions[c], event, displayName) }
        if let known = event.decided(slot) { return known }
        let result = holds(conditions[c], event, displayName)
        event.decide(slot, result)
        return result
    }

    private func holds(_ condition: PushCondition, _ event: PushEvent, _ displayName: String?) -> Bool {
        switch condition {
        case .eventMatch(let path, let glob):
            guard let text = event.lowercased(path) else { return false }
            // `content.body` matches on words, every other key the whole value.
            return path.text == "content.body" ? glob.matchesWords(lowercased: text) : glob.matches(lowercased: text)
        case .propertyIs(let path, let value):
            guard let found = event.value(path) else { return false }
            return found == value
        case .propertyContains(let path, let value):
            guard let items = event.value(path)?.arrayValue else { return false }
            return items.contains(value)
        case .containsDisplayName:
            guard let name = displayName, !name.isEmpty, let body = event.lowercased(PropertyPath("content.body")) else { return false }
            return PushGlob(literal: name).matchesWords(lowercased: body)
        case .memberCount(let count):
            return count.holds(event.memberCount)
        case .senderNotificationPermission(let key):
            return event.senderMayNotify(key)
        case .never:
            return false
        }
    }
}

/// Numbers for conditions that read only the event, the same number for the same condition in
/// anyone's rules. Bounded: past `capacity` distinct conditions, new ones are not shared.
enum PushConditionSlots {
    static let capacity = 1 << 16
    private static let table = Mutex<[String: Int]>([:])

    static func slot(_ key: String) -> Int {
        table.withLock { table in
            if let slot = table[key] { return slot }
            guard table.count < capacity else { return -1 }
            table[key] = table.count
            return table.count - 1
        }
    }
}

/// An event as push rules see it, evaluated once per recipient: lower-cased property values
/// are cached so a room of many members lower-cases the body once.
public final class PushEvent {
    let json: JSONObject
    let memberCount: Int
    let senderMayNotify: (String) -> Bool
    private var loweredValues: [String: [Unicode.Scalar]?] = [:]
    private var values: [String: JSONValue?] = [:]
    /// Decided conditions by slot: 0 not yet, 1 false, 2 true.
    private var decisions: [UInt8] = []

    /// `json` is the event (with `type`, `sender`, `content`, …); `memberCount` the room's joined
    /// members; `senderMayNotify` answers `sender_notification_permission` for a key.
    public init(json: JSONObject, memberCount: Int, senderMayNotify: @escaping (String) -> Bool) {
        self.json = json
        self.memberCount = memberCount
        self.senderMayNotify = senderMayNotify
    }

    func decided(_ slot: Int) -> Bool? {
        guard slot < decisions.count, decisions[slot] != 0 else { return nil }
        return decisions[slot] == 2
    }

    func decide(_ slot: Int, _ value: Bool) {
        if slot >= decisions.count { decisions += repeatElement(0, count: slot + 1 - decisions.count) }
        decisions[slot] = value ? 2 : 1
    }

    func value(_ path: PropertyPath) -> JSONValue? {
        if let cached = values[path.text] { return cached }
        let result = path.value(in: json)
        values[path.text] = .some(result)
        return result
    }

    /// A string property lower-cased, or nil when absent or not a string.
    func lowercased(_ path: PropertyPath) -> [Unicode.Scalar]? {
        if let cached = loweredValues[path.text] { return cached }
        let result = value(path)?.stringValue.map { Array($0.lowercased().unicodeScalars) }
        loweredValues[path.text] = .some(result)
        return result
    }
}

/// What a matched rule asks for.
/// Made once per compiled rule, so a room's members matching the same rule cost nothing more.
public struct PushActions: Sendable, Equatable {
    public let ruleID: String
    public let actions: [JSONValue]
    public let notify: Bool
    /// The `highlight` tweak: true when set without a value or with `true`.
    public let highlight: Bool
    /// `actions` as JSON, as notifications store them.
    public let encoded: [UInt8]

    public init(ruleID: String, actions: [JSONValue]) {
        self.ruleID = ruleID
        self.actions = actions
        notify = actions.contains("notify")
        highlight = actions.contains { action in
            guard action["set_tweak"]?.stringValue == "highlight" else { return false }
            return action["value"].map { $0 == .bool(true) } ?? true
        }
        encoded = JSONValue.array(actions).encodedBytes()
    }
}
