import Synchronization

/// One user's push rules compiled for evaluation: only enabled rules, in priority order, with
/// globs and property paths parsed once. Evaluating an event is then a walk down this list.
///
/// A room's members mostly share their rules, so a condition that reads only the event (not
/// the user's display name or ID) is decided once per event: it has a slot in a process-wide
/// table, and the event (`PushEvent`) remembers the answer in that slot for the next member.
///
/// Going further, members whose rules differ only in the conditions that name them (the
/// default rules, say) share a shape: the event remembers each shape's outcome for each answer
/// of those personal conditions, so the next such member costs only their personal conditions.
public final class PushEvaluator: Sendable {
    public let userID: String
    /// Each rule's outcome, by rule.
    let rules: [PushActions]
    /// Where each rule's conditions end in `conditions` (they start where the previous ones end).
    let ends: [Int]
    let conditions: [PushCondition]
    /// Each condition's slot of `PushConditionSlots`, or -1: decided for each user.
    let slots: [Int]
    /// The conditions decided for each user (slot -1), by index.
    let personal: [Int]
    /// The number of these rules' shape in `PushRuleShapes` (-1: not shared).
    public let shape: Int
    /// Whether a condition reads the display name (callers need not look it up otherwise).
    public let readsDisplayName: Bool
    /// What the personal conditions read (the display name reads the body); nil when one of
    /// them may hold without any of it. The same for every member of a shape.
    let personalReads: [PropertyPath]?

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
        let localpart = userID.dropFirst().prefix { $0 != ":" }
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
                    // The legacy rule on the user's localpart would take a slot per user.
                    let pattern = rule.pattern ?? ""
                    add(.eventMatch(.body, PushGlob(pattern)),
                        key: pattern == localpart ? nil : "content.body " + pattern)
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
        let personal = slots.indices.filter { slots[$0] < 0 }
        self.personal = personal
        readsDisplayName = conditions.contains { if case .containsDisplayName = $0 { true } else { false } }
        var reads: [PropertyPath]? = []
        for c in personal {
            switch conditions[c].reads {
            case nil: reads = nil
            case let path??: reads?.append(path)
            case .some(nil): break
            }
        }
        personalReads = reads
        shape = Self.shape(rules: rules, ends: ends, conditions: conditions, slots: slots, personal: personal.count)
    }

    /// Rules with the same actions, shared conditions and places and kinds of personal ones
    /// share a shape; past `PushRuleShapes.maxPersonal` personal conditions, none is shared.
    private static func shape(rules: [PushActions], ends: [Int], conditions: [PushCondition], slots: [Int], personal: Int) -> Int {
        guard personal <= PushRuleShapes.maxPersonal else { return -1 }
        var key = ""
        var start = 0
        for (rule, end) in zip(rules, ends) {
            key += rule.ruleID + "\u{0}" + String(decoding: rule.encoded, as: UTF8.self)
            for c in start..<end { key += slots[c] < 0 ? " p" + conditions[c].template : " \(slots[c])" }
            key += "\n"
            start = end
        }
        return PushRuleShapes.table.number(key)
    }

    /// The outcome of every member of this shape on `event` when none of their personal
    /// conditions can hold (the event has none of what they read), or nil when one may: then
    /// each member is evaluated. A room's members of one shape are thus decided at once.
    public func sharedOutcome(_ event: PushEvent) -> PushActions?? {
        guard shape >= 0, let personalReads else { return nil }
        for path in personalReads where event.value(path) != nil { return nil }
        let key = shape << PushRuleShapes.maxPersonal
        if let known = event.outcome(key) { return known }
        // Every personal condition is false here, as `holds` finds nothing to read.
        let outcome = walk(event, nil)
        event.remember(key, outcome)
        return .some(outcome)
    }

    /// The actions of the first enabled rule the event matches for this user (nil when none
    /// does), given the user's display name in the room.
    public func evaluate(_ event: PushEvent, displayName: String?) -> PushActions? {
        guard shape >= 0 else { return walk(event, displayName) }
        var answers = 0
        for (bit, c) in personal.enumerated() where holds(conditions[c], event, displayName) { answers |= 1 << bit }
        let key = shape << PushRuleShapes.maxPersonal | answers
        if let known = event.outcome(key) { return known }
        let outcome = walk(event, displayName)
        event.remember(key, outcome)
        return outcome
    }

    private func walk(_ event: PushEvent, _ displayName: String?) -> PushActions? {
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
            guard let name = displayName, !name.isEmpty, let body = event.lowercased(.body) else { return false }
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
/// anyone's rules.
enum PushConditionSlots {
    private static let table = InternTable(capacity: 1 << 16)

    static func slot(_ key: String) -> Int { table.number(key) }
}

/// Numbers for shapes of compiled rules (see `PushEvaluator`).
enum PushRuleShapes {
    static let table = InternTable(capacity: 1 << 12)
    /// Personal conditions a shared shape may have: their answers are bits of the event's key.
    static let maxPersonal = 16
}

/// Distinct strings numbered from 0 in the order first seen. Bounded: past `capacity`
/// strings, new ones get -1 (not shared).
final class InternTable: Sendable {
    private let capacity: Int
    private let table = Mutex<[String: Int]>([:])

    init(capacity: Int) { self.capacity = capacity }

    func number(_ key: String) -> Int {
        table.withLock { table in
            if let number = table[key] { return number }
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
    /// By path number: nil not yet read, `.some(nil)` absent (or not a string).
    private var loweredValues: [[Unicode.Scalar]??] = []
    private var values: [JSONValue??] = []
    /// Decided conditions by slot: 0 not yet, 1 false, 2 true.
    private var decisions: [UInt8] = []
    /// Outcomes by rule shape and personal answers (nil inside: no rule matched).
    private var outcomes: [Int: PushActions?] = [:]

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

    func outcome(_ key: Int) -> PushActions?? { outcomes[key] }

    func remember(_ key: Int, _ outcome: PushActions?) { outcomes[key] = .some(outcome) }

    func value(_ path: PropertyPath) -> JSONValue? {
        Self.cached(path, in: &values) { path.value(in: json) }
    }

    /// A string property lower-cased, or nil when absent or not a string.
    func lowercased(_ path: PropertyPath) -> [Unicode.Scalar]? {
        Self.cached(path, in: &loweredValues) { value(path)?.stringValue.map { Array($0.lowercased().unicodeScalars) } }
    }

    private static func cached<T>(_ path: PropertyPath, in cache: inout [T??], _ read: () -> T?) -> T? {
        let n = path.number
        guard n >= 0 else { return read() }
        if n < cache.count, let known = cache[n] { return known }
        let result = read()
        if n >= cache.count { cache += repeatElement(nil, count: n + 1 - cache.count) }
        cache[n] = .some(result)
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
