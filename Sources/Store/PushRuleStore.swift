import Foundation
import GRDB
import MatrixProtocol

extension Database {
    /// The user's own push rules (none stored: only the server defaults apply).
    public func pushRules(of userID: String) async throws -> UserPushRules {
        try await read { db in try Self.loadPushRules(db, userID) }
    }

    /// The push rules of several users in one read (filling the evaluation cache).
    public func pushRules(of userIDs: [String]) async throws -> [String: UserPushRules] {
        try await read { db in
            var out: [String: UserPushRules] = [:]
            for userID in userIDs { out[userID] = try Self.loadPushRules(db, userID) }
            return out
        }
    }

    /// Changes a user's push rules in one transaction and stores the whole ruleset, as rendered
    /// by `render`, as their `m.push_rules` account data in the same transaction. Returns what
    /// `change` returned and the account data's stream position. When `change` throws nothing
    /// is written.
    public func updatePushRules<T: Sendable>(of userID: String,
                                             _ change: @escaping @Sendable (inout UserPushRules) throws -> T,
                                             render: @escaping @Sendable (UserPushRules) -> [UInt8]) async throws -> (T, Int64) {
        try await writer.write { db in
            var rules = try Self.loadPushRules(db, userID)
            let result = try change(&rules)
            try db.cachedStatement(sql: "DELETE FROM push_rules WHERE user_id = ?").execute(arguments: [userID])
            try db.cachedStatement(sql: "DELETE FROM push_rule_defaults WHERE user_id = ?").execute(arguments: [userID])
            for (kind, list) in rules.rules {
                for (priority, rule) in list.enumerated() {
                    try db.cachedStatement(sql: """
                        INSERT INTO push_rules (user_id, kind, rule_id, priority, rule, enabled) VALUES (?, ?, ?, ?, ?, ?)
                        """).execute(arguments: [userID, kind.rawValue, rule.ruleID, priority, Data(rule.storedJSON.encodedBytes()), rule.enabled])
                }
            }
            for (ruleID, change) in rules.defaultChanges where change.enabled != nil || change.actions != nil {
                try db.cachedStatement(sql: "INSERT INTO push_rule_defaults (user_id, rule_id, enabled, actions) VALUES (?, ?, ?, ?)").execute(arguments: [userID, ruleID, change.enabled, change.actions.map { Data(JSONValue.array($0).encodedBytes()) }])
            }
            let position = try Self.putAccountData(db, userID: userID, roomID: nil, type: "m.push_rules", content: render(rules))
            return (result, position)
        }
    }

    static func loadPushRules(_ db: GRDB.Database, _ userID: String) throws -> UserPushRules {
        var rules = UserPushRules()
        for row in try Row.fetchAll(db.cachedStatement(sql: """
            SELECT kind, rule_id, rule, enabled FROM push_rules WHERE user_id = ? ORDER BY kind, priority
            """), arguments: [userID]) {
            guard let kind = PushRuleKind(rawValue: row["kind"]),
                  let stored = try? JSONParser.parseObject([UInt8](row["rule"] as Data)) else { continue }
            rules.rules[kind, default: []].append(PushRule(ruleID: row["rule_id"], storedJSON: stored, enabled: row["enabled"]))
        }
        for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT rule_id, enabled, actions FROM push_rule_defaults WHERE user_id = ?"), arguments: [userID]) {
            let actions = (row["actions"] as Data?).flatMap { try? JSONParser.parse([UInt8]($0)).arrayValue }
            rules.defaultChanges[row["rule_id"]] = UserPushRules.DefaultRuleChange(enabled: row["enabled"], actions: actions)
        }
        return rules
    }
}
