/// The server-default push rules of spec v1.19 ("Predefined Rules"), in the spec's order. The
/// legacy body-matching rules (`.m.rule.contains_display_name`, `.m.rule.roomnotif`,
/// `.m.rule.contains_user_name`) were removed in v1.17 and are not served.
public enum DefaultPushRules {
    public static let master = ".m.rule.master"

    /// The default rules of `userID` (some conditions name the user).
    public static func rules(for userID: String) -> [PushRuleKind: [PushRule]] {
        let sound: JSONValue = ["set_tweak": "sound", "value": "default"]
        let highlight: JSONValue = ["set_tweak": "highlight"]
        func rule(_ id: String, enabled: Bool = true, _ conditions: [JSONObject], _ actions: [JSONValue]) -> PushRule {
            PushRule(ruleID: id, isDefault: true, enabled: enabled, conditions: conditions, actions: actions)
        }
        func match(_ key: String, _ pattern: String) -> JSONObject {
            ["kind": "event_match", "key": .string(key), "pattern": .string(pattern)]
        }
        return [
            .override: [
                rule(master, enabled: false, [], []),
                rule(".m.rule.suppress_notices", [match("content.msgtype", "m.notice")], []),
                rule(".m.rule.invite_for_me", [match("type", "m.room.member"), match("content.membership", "invite"),
                                                match("state_key", userID)], ["notify", sound]),
                rule(".m.rule.member_event", [match("type", "m.room.member")], []),
                rule(".m.rule.is_user_mention",
                     [["kind": "event_property_contains", "key": #"content.m\.mentions.user_ids"#, "value": .string(userID)]],
                     ["notify", sound, highlight]),
                rule(".m.rule.is_room_mention",
                     [["kind": "event_property_is", "key": #"content.m\.mentions.room"#, "value": true],
                      ["kind": "sender_notification_permission", "key": "room"]],
                     ["notify", highlight]),
                rule(".m.rule.tombstone", [match("type", "m.room.tombstone"), match("state_key", "")], ["notify", highlight]),
                rule(".m.rule.reaction", [match("type", "m.reaction")], []),
                rule(".m.rule.room.server_acl", [match("type", "m.room.server_acl"), match("state_key", "")], []),
                rule(".m.rule.suppress_edits",
                     [["kind": "event_property_is", "key": #"content.m\.relates_to.rel_type"#, "value": "m.replace"]], []),
            ],
            .content: [],
            .room: [],
            .sender: [],
            .underride: [
                rule(".m.rule.call", [match("type", "m.call.invite")], ["notify", ["set_tweak": "sound", "value": "ring"]]),
                rule(".m.rule.encrypted_room_one_to_one", [["kind": "room_member_count", "is": "2"], match("type", "m.room.encrypted")],
                     ["notify", sound]),
                rule(".m.rule.room_one_to_one", [["kind": "room_member_count", "is": "2"], match("type", "m.room.message")],
                     ["notify", sound]),
                rule(".m.rule.message", [match("type", "m.room.message")], ["notify"]),
                rule(".m.rule.encrypted", [match("type", "m.room.encrypted")], ["notify"]),
            ],
        ]
    }
}
