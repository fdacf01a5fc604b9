/// The kinds of push rule, in the order they are checked (spec "Push Rules").
public enum PushRuleKind: String, Sendable, CaseIterable, Hashable {
    case override, content, room, sender, underride
}

/// One push rule as the spec's `PushRule` object describes it. Conditions are kept as the JSON
/// the client sent (validated by `PushRuleInput`), so unknown condition kinds survive and are
/// served back unchanged; `PushEvaluator` compiles them.
public struct PushRule: Sendable, Equatable {
    public var ruleID: String
    /// Server-default rules (IDs starting with `.`).
    public var isDefault: Bool
    public var enabled: Bool
    /// `override` and `underride` only.
    public var conditions: [JSONObject]?
    /// `content` only: the glob matched against `content.body`.
    public var pattern: String?
    public var actions: [JSONValue]

    public init(ruleID: String, isDefault: Bool = false, enabled: Bool = true, conditions: [JSONObject]? = nil,
                pattern: String? = nil, actions: [JSONValue]) {
        self.ruleID = ruleID
        self.isDefault = isDefault
        self.enabled = enabled
        self.conditions = conditions
        self.pattern = pattern
        self.actions = actions
    }

    /// The rule in the client format.
    public var json: JSONObject {
        var out: JSONObject = [
            "rule_id": .string(ruleID), "default": .bool(isDefault), "enabled": .bool(enabled), "actions": .array(actions),
        ]
        if let conditions { out["conditions"] = .array(conditions.map { .object($0) }) }
        if let pattern { out["pattern"] = .string(pattern) }
        return out
    }

    /// The stored part of a user-defined rule (what `PushRuleInput` accepted).
    public init(ruleID: String, storedJSON: JSONObject, enabled: Bool) {
        self.init(ruleID: ruleID, enabled: enabled,
                  conditions: storedJSON["conditions"]?.arrayValue?.compactMap(\.objectValue),
                  pattern: storedJSON["pattern"]?.stringValue, actions: storedJSON["actions"]?.arrayValue ?? [])
    }

    public var storedJSON: JSONObject {
        var out: JSONObject = ["actions": .array(actions)]
        if let conditions { out["conditions"] = .array(conditions.map { .object($0) }) }
        if let pattern { out["pattern"] = .string(pattern) }
        return out
    }
}

/// A user's own part of their push rules: the rules they defined (most important first within
/// each kind) and their changes to server-default rules (`enabled`, `actions`).
public struct UserPushRules: Sendable, Equatable {
    public var rules: [PushRuleKind: [PushRule]] = [:]
    public var defaultChanges: [String: DefaultRuleChange] = [:]

    public struct DefaultRuleChange: Sendable, Equatable {
        public var enabled: Bool?
        public var actions: [JSONValue]?

        public init(enabled: Bool? = nil, actions: [JSONValue]? = nil) {
            self.enabled = enabled
            self.actions = actions
        }
    }

    public init(rules: [PushRuleKind: [PushRule]] = [:], defaultChanges: [String: DefaultRuleChange] = [:]) {
        self.rules = rules
        self.defaultChanges = defaultChanges
    }

    /// The whole ruleset in priority order: `.m.rule.master` first, then each kind's user rules
    /// before its server-default rules (spec "Predefined Rules").
    public func ruleset(for userID: String) -> PushRuleSet {
        var set = PushRuleSet()
        let defaults = DefaultPushRules.rules(for: userID)
        for kind in PushRuleKind.allCases {
            var list: [PushRule] = []
            var serverRules = defaults[kind] ?? []
            if kind == .override, let master = serverRules.first, master.ruleID == DefaultPushRules.master {
                list.append(master)
                serverRules.removeFirst()
            }
            list += rules[kind] ?? []
            list += serverRules
            set.rules[kind] = list.map { rule in
                guard rule.isDefault, let change = defaultChanges[rule.ruleID] else { return rule }
                var changed = rule
                if let enabled = change.enabled { changed.enabled = enabled }
                if let actions = change.actions { changed.actions = actions }
                return changed
            }
        }
        return set
    }
}

/// A user's whole ruleset (spec `PushRuleset`), each kind in priority order.
public struct PushRuleSet: Sendable, Equatable {
    public var rules: [PushRuleKind: [PushRule]] = [:]

    public init() {}

    public func rule(_ kind: PushRuleKind, _ ruleID: String) -> PushRule? {
        rules[kind]?.first { $0.ruleID == ruleID }
    }

    /// The `global` ruleset object of `GET /pushrules/` and of `m.push_rules`.
    public var json: JSONObject {
        JSONObject(PushRuleKind.allCases.map { kind in (kind.rawValue, JSONValue.array((rules[kind] ?? []).map { .object($0.json) })) })
    }
}
