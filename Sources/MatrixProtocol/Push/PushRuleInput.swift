/// Validation of push rules sent by clients (`PUT /pushrules/global/{kind}/{ruleId}`,
/// `.../actions`): what cannot be evaluated is refused with `M_INVALID_PARAM`, so a stored
/// rule always compiles.
public enum PushRuleInput {
    public static func kind(_ text: String) throws(MatrixError) -> PushRuleKind {
        guard let kind = PushRuleKind(rawValue: text) else {
            throw MatrixError.invalidParam("Unknown push rule kind '\(text)'; expected override, content, room, sender or underride")
        }
        return kind
    }

    /// A new user-defined rule from a request body.
    public static func rule(kind: PushRuleKind, ruleID: String, body: JSONObject) throws(MatrixError) -> PushRule {
        guard !ruleID.isEmpty else { throw MatrixError.invalidParam("The rule ID is empty") }
        guard !ruleID.hasPrefix(".") else { throw MatrixError.invalidParam("Rule IDs starting with '.' are reserved for server-default rules") }
        guard !ruleID.contains("/"), !ruleID.contains("\\") else { throw MatrixError.invalidParam("Rule IDs may not contain '/' or '\\'") }
        let actions = try actions(body["actions"])
        switch kind {
        case .override, .underride:
            var conditions: [JSONObject] = []
            if let value = body["conditions"] {
                guard let items = value.arrayValue else { throw MatrixError.invalidParam("'conditions' must be an array") }
                for item in items { conditions.append(try condition(item)) }
            }
            return PushRule(ruleID: ruleID, conditions: conditions, actions: actions)
        case .content:
            guard let value = body["pattern"] else { throw MatrixError.missingParam("Content rules need a 'pattern'") }
            guard let pattern = value.stringValue else { throw MatrixError.badJSON("'pattern' must be a string") }
            return PushRule(ruleID: ruleID, pattern: pattern, actions: actions)
        case .room:
            guard (try? RoomID(ruleID)) != nil else { throw MatrixError.invalidParam("The ID of a room rule must be a room ID") }
            return PushRule(ruleID: ruleID, actions: actions)
        case .sender:
            guard (try? UserID(ruleID)) != nil else { throw MatrixError.invalidParam("The ID of a sender rule must be a user ID") }
            return PushRule(ruleID: ruleID, actions: actions)
        }
    }

    /// The actions of a rule, with the historical `dont_notify` and `coalesce` stripped (spec
    /// "Historical Actions").
    public static func actions(_ value: JSONValue?) throws(MatrixError) -> [JSONValue] {
        guard let value else { throw MatrixError.missingParam("Missing 'actions'") }
        guard let items = value.arrayValue else { throw MatrixError.badJSON("'actions' must be an array") }
        var out: [JSONValue] = []
        for item in items {
            switch item {
            case .string("notify"): out.append(item)
            case .string("dont_notify"), .string("coalesce"): continue
            case .object(let o) where o["set_tweak"]?.stringValue != nil: out.append(item)
            default: throw MatrixError.invalidParam("Unknown push rule action \(item)")
            }
        }
        return out
    }

    /// One condition; unknown kinds are accepted (they never match), known kinds need their
    /// parameters with the right types.
    public static func condition(_ value: JSONValue) throws(MatrixError) -> JSONObject {
        guard let object = value.objectValue, let kind = object["kind"]?.stringValue else {
            throw MatrixError.invalidParam("Each condition must be an object with a string 'kind'")
        }
        func string(_ key: String) throws(MatrixError) {
            guard object[key]?.stringValue != nil else { throw MatrixError.invalidParam("Condition \(kind) needs a string '\(key)'") }
        }
        switch kind {
        case "event_match":
            try string("key")
            try string("pattern")
        case "event_property_is", "event_property_contains":
            try string("key")
            guard let v = object["value"], PushCondition.isScalar(v) else {
                throw MatrixError.invalidParam("Condition \(kind) needs a 'value' that is a string, integer, boolean or null")
            }
        case "room_member_count":
            guard let text = object["is"]?.stringValue, PushCondition.MemberCount(text) != nil else {
                throw MatrixError.invalidParam("Condition room_member_count needs 'is' like \"2\", \"<=10\" or \">1\"")
            }
        case "sender_notification_permission":
            try string("key")
        default:
            break
        }
        return object
    }
}
