/// One user's push rules compiled for evaluation: only enabled rules, in priority order, with
/// globs and property paths parsed once. Evaluating an event is then a walk down this list.
public struct PushEvaluator: Sendable {
    struct Rule: Sendable {
        let ruleID: String
        let conditions: [PushCondition]
        let actions: [JSONValue]
    }

    public let userID: String
    let rules: [Rule]

    public init(ruleset: PushRuleSet, userID: String) {
        self.userID = userID
        var rules: [Rule] = []
        for kind in PushRuleKind.allCases {
            for rule in ruleset.rules[kind] ?? [] where rule.enabled {
                let conditions: [PushCondition]
                switch kind {
                case .override, .underride: conditions = (rule.conditions ?? []).map(PushCondition.init)
                case .content: conditions = [.eventMatch(PropertyPath("content.body"), PushGlob(rule.pattern ?? ""))]
                case .room: conditions = [.propertyIs(PropertyPath("room_id"), .string(rule.ruleID))]
                case .sender: conditions = [.propertyIs(PropertyPath("sender"), .string(rule.ruleID))]
                }
                rules.append(Rule(ruleID: rule.ruleID, conditions: conditions, actions: rule.actions))
            }
        }
        self.rules = rules
    }

    /// The actions of the first enabled rule the event matches for this user (nil when none
    /// does), given the user's display name in the room.
    public func evaluate(_ event: PushEvent, displayName: String?) -> PushActions? {
        for rule in rules where rule.conditions.allSatisfy({ holds($0, event, displayName) }) {
            return PushActions(ruleID: rule.ruleID, actions: rule.actions)
        }
        return nil
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

/// An event as push rules see it, evaluated once per recipient: lower-cased property values
/// are cached so a room of many members lower-cases the body once.
public final class PushEvent {
    let json: JSONObject
    let memberCount: Int
    let senderMayNotify: (String) -> Bool
    private var loweredValues: [String: [Unicode.Scalar]?] = [:]
    private var values: [String: JSONValue?] = [:]

    /// `json` is the event (with `type`, `sender`, `content`, …); `memberCount` the room's joined
    /// members; `senderMayNotify` answers `sender_notification_permission` for a key.
    public init(json: JSONObject, memberCount: Int, senderMayNotify: @escaping (String) -> Bool) {
        self.json = json
        self.memberCount = memberCount
        self.senderMayNotify = senderMayNotify
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
public struct PushActions: Sendable, Equatable {
    public let ruleID: String
    public let actions: [JSONValue]

    public init(ruleID: String, actions: [JSONValue]) {
        self.ruleID = ruleID
        self.actions = actions
    }

    public var notify: Bool { actions.contains("notify") }

    /// The `highlight` tweak: true when set without a value or with `true`.
    public var highlight: Bool {
        actions.contains { action in
            guard action["set_tweak"]?.stringValue == "highlight" else { return false }
            return action["value"].map { $0 == .bool(true) } ?? true
        }
    }
}
