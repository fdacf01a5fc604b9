import MatrixProtocol
import Store

/// A user's push rules (spec "Push Rules: API"): the server defaults merged with what the
/// user changed, stored per user; every change is also published as `m.push_rules` account
/// data, in the same transaction, for `/sync`.
public final class PushRules: Sendable {
    let database: Database
    let notifier: Notifier
    let cache = PushRuleCache()

    init(database: Database, notifier: Notifier) {
        self.database = database
        self.notifier = notifier
    }

    public func ruleset(of userID: String) async throws -> PushRuleSet {
        try await database.pushRules(of: userID).ruleset(for: userID)
    }

    /// The content of `m.push_rules`.
    static func accountDataContent(_ ruleset: PushRuleSet) -> JSONObject {
        ["global": .object(ruleset.json)]
    }

    /// `m.push_rules` of a user without it in their account data: it is written with every
    /// change, so such a user has never changed a rule and has the server defaults.
    static func defaultAccountData(for userID: String) -> JSONObject {
        accountDataContent(UserPushRules().ruleset(for: userID))
    }

    public func rule(of userID: String, kind: PushRuleKind, ruleID: String) async throws -> PushRule {
        guard let rule = try await ruleset(of: userID).rule(kind, ruleID) else { throw Self.notFound(kind, ruleID) }
        return rule
    }

    /// Creates or updates a user-defined rule, placed by `before`/`after` (spec
    /// `PUT /pushrules/global/{kind}/{ruleId}`).
    public func put(userID: String, kind: PushRuleKind, ruleID: String, body: JSONObject, before: String?, after: String?) async throws {
        let new = try PushRuleInput.rule(kind: kind, ruleID: ruleID, body: body)
        for anchor in [before, after].compactMap({ $0 }) where anchor.hasPrefix(".") {
            throw MatrixError.invalidParam("Rules cannot be placed relative to the server-default rule \(anchor)")
        }
        try await update(userID) { rules throws(MatrixError) in
            var list = rules.rules[kind] ?? []
            let existing = list.firstIndex { $0.ruleID == ruleID }
            var rule = new
            if let existing { rule.enabled = list[existing].enabled }  // an update keeps the rule's enabled state
            if before == nil, after == nil, let existing {
                list[existing] = rule
            } else {
                if let existing { list.remove(at: existing) }
                var index = 0  // a new rule without an anchor is the most important of its kind
                if let anchor = before ?? after {
                    guard let found = list.firstIndex(where: { $0.ruleID == anchor }) else {
                        throw MatrixError("M_UNKNOWN", "before/after rule not found: \(anchor)", status: 400)
                    }
                    index = before != nil ? found : found + 1
                }
                list.insert(rule, at: index)
            }
            rules.rules[kind] = list
        }
    }

    /// Deletes a user-defined rule; server-default rules can only be disabled.
    public func delete(userID: String, kind: PushRuleKind, ruleID: String) async throws {
        try await update(userID) { rules throws(MatrixError) in
            guard let index = rules.rules[kind]?.firstIndex(where: { $0.ruleID == ruleID }) else {
                if DefaultPushRules.rules(for: userID)[kind]?.contains(where: { $0.ruleID == ruleID }) == true {
                    throw MatrixError.invalidParam("Server-default rules cannot be deleted; disable \(ruleID) instead")
                }
                throw Self.notFound(kind, ruleID)
            }
            rules.rules[kind]?.remove(at: index)
        }
    }

    public func setEnabled(userID: String, kind: PushRuleKind, ruleID: String, enabled: Bool) async throws {
        try await change(userID, kind, ruleID) { rule, defaultChange in
            if rule != nil { rule?.enabled = enabled } else { defaultChange.enabled = enabled }
        }
    }

    public func setActions(userID: String, kind: PushRuleKind, ruleID: String, actions: [JSONValue]) async throws {
        try await change(userID, kind, ruleID) { rule, defaultChange in
            if rule != nil { rule?.actions = actions } else { defaultChange.actions = actions }
        }
    }

    /// Changes one existing rule: a user rule in place, or the user's change to a default rule.
    private func change(_ userID: String, _ kind: PushRuleKind, _ ruleID: String,
                        _ apply: @escaping @Sendable (inout PushRule?, inout UserPushRules.DefaultRuleChange) -> Void) async throws {
        try await update(userID) { rules throws(MatrixError) in
            if let index = rules.rules[kind]?.firstIndex(where: { $0.ruleID == ruleID }) {
                var rule = rules.rules[kind]?[index]
                var unused = UserPushRules.DefaultRuleChange()
                apply(&rule, &unused)
                if let rule { rules.rules[kind]?[index] = rule }
            } else if DefaultPushRules.rules(for: userID)[kind]?.contains(where: { $0.ruleID == ruleID }) == true {
                var none: PushRule?
                var change = rules.defaultChanges[ruleID] ?? UserPushRules.DefaultRuleChange()
                apply(&none, &change)
                rules.defaultChanges[ruleID] = change
            } else {
                throw Self.notFound(kind, ruleID)
            }
        }
    }

    private func update(_ userID: String, _ change: @escaping @Sendable (inout UserPushRules) throws(MatrixError) -> Void) async throws {
        let (_, position) = try await database.updatePushRules(of: userID, { rules in try change(&rules) },
                                                               render: { Self.accountDataContent($0.ruleset(for: userID)).encodedBytes() })
        cache.invalidate(userID)
        notifier.advance(.accountData, to: position)
    }

    static func notFound(_ kind: PushRuleKind, _ ruleID: String) -> MatrixError {
        MatrixError.notFound("No \(kind.rawValue) push rule '\(ruleID)'")
    }

    /// Compiled rules of these users, in their order (nil: none), from the cache or one read for the missing ones.
    /// See `PushRuleCache.generation`.
    var generation: Int { cache.generation }

    func evaluators(for userIDs: [String]) async throws -> [PushEvaluator?] {
        let cached = cache.lookup(userIDs)
        var found = cached.found
        let missing = userIDs.indices.filter { found[$0] == nil }
        guard !missing.isEmpty else { return found }
        var loaded: [String: PushEvaluator] = [:]
        for (userID, rules) in try await database.pushRules(of: missing.map { userIDs[$0] }) {
            loaded[userID] = PushEvaluator(ruleset: rules.ruleset(for: userID), userID: userID)
        }
        cache.store(loaded, loadedAt: cached.generation)
        for index in missing { found[index] = loaded[userIDs[index]] }
        return found
    }
}
