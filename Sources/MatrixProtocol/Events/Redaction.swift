/// The redaction algorithm of each room version (spec "Redactions"): what an event keeps when
/// redacted, and so what its signature and reference hash cover.
public enum Redaction {
    private static let topLevelV1: Set<String> = [
        "event_id", "type", "room_id", "sender", "state_key", "content", "hashes", "signatures", "depth",
        "prev_events", "prev_state", "auth_events", "origin", "origin_server_ts", "membership",
    ]
    private static let topLevelV11: Set<String> = [
        "event_id", "type", "room_id", "sender", "state_key", "content", "hashes", "signatures", "depth",
        "prev_events", "auth_events", "origin_server_ts",
    ]

    /// The redacted form of `event` under `rules`. `unsigned` is dropped, as upstream servers do.
    public static func redact(_ event: JSONObject, rules: RoomVersion.RedactionRules) -> JSONObject {
        var out = event.filtering(keys: rules >= .v11 ? topLevelV11 : topLevelV1)
        let type = event["type"]?.stringValue ?? ""
        let content = event["content"]?.objectValue ?? JSONObject()
        out["content"] = .object(redactContent(content, type: type, rules: rules))
        return out
    }

    static func redactContent(_ content: JSONObject, type: String, rules: RoomVersion.RedactionRules) -> JSONObject {
        switch type {
        case "m.room.member":
            var keep: Set<String> = ["membership"]
            if rules >= .v9 { keep.insert("join_authorised_via_users_server") }
            var out = content.filtering(keys: keep)
            if rules >= .v11, let signed = content["third_party_invite"]?["signed"] {
                out["third_party_invite"] = ["signed": signed]
            }
            return out
        case "m.room.create":
            return rules >= .v11 ? content : content.filtering(keys: ["creator"])
        case "m.room.join_rules":
            return content.filtering(keys: rules >= .v8 ? ["join_rule", "allow"] : ["join_rule"])
        case "m.room.power_levels":
            var keep: Set<String> = ["ban", "events", "events_default", "kick", "redact", "state_default", "users", "users_default"]
            if rules >= .v11 { keep.insert("invite") }
            return content.filtering(keys: keep)
        case "m.room.aliases":
            return rules < .v6 ? content.filtering(keys: ["aliases"]) : JSONObject()
        case "m.room.history_visibility":
            return content.filtering(keys: ["history_visibility"])
        case "m.room.redaction":
            return rules >= .v11 ? content.filtering(keys: ["redacts"]) : JSONObject()
        default:
            return JSONObject()
        }
    }
}
