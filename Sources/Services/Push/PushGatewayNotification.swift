import MatrixProtocol
import Store

/// The body of `POST /_matrix/push/v1/notify` (Push Gateway API) for one notification and one
/// pusher. With `data.format = "event_id_only"` only the event and room IDs, counts, priority
/// and device are sent, so the gateway (and the push provider after it) learns nothing else;
/// otherwise also the event's type, sender, content, and the room's name and alias.
enum PushGatewayNotification {
    static func body(for push: PendingPush, pdu: PDU, pusher: Pusher, unread: Int, roomContext: [String: [UInt8]]) -> JSONObject {
        let data = (try? JSONParser.parseObject(pusher.data)) ?? [:]
        let actions = (try? JSONParser.parse(push.actions))?.arrayValue ?? []
        let tweaks = Self.tweaks(actions)
        var device: JSONObject = [
            "app_id": .string(pusher.appID), "pushkey": .string(pusher.pushkey), "pushkey_ts": .int(pusher.createdTs / 1000),
        ]
        var deviceData = data
        _ = deviceData.removeValue(forKey: "url")  // the gateway's own address, not for the app
        if !deviceData.isEmpty { device["data"] = .object(deviceData) }
        if !tweaks.isEmpty { device["tweaks"] = .object(tweaks) }
        var notification: JSONObject = [
            "event_id": .string(pdu.eventID), "room_id": .string(push.roomID),
            "counts": ["unread": .int(Int64(unread))], "prio": .string(priority(pdu: pdu, tweaks: tweaks)),
            "devices": [.object(device)],
        ]
        if data["format"]?.stringValue != "event_id_only" {
            notification["type"] = .string(pdu.type)
            notification["sender"] = .string(pdu.sender)
            notification["content"] = .object(pdu.content)
            if pdu.type == "m.room.member", let stateKey = pdu.stateKey {
                notification["membership"] = pdu.content["membership"]
                notification["user_is_target"] = .bool(stateKey == pusher.userID)
            }
            func content(_ type: String) -> JSONObject? {
                roomContext[type].flatMap { try? JSONParser.parseObject($0) }?["content"]?.objectValue
            }
            if let name = content("m.room.name")?["name"]?.stringValue, !name.isEmpty { notification["room_name"] = .string(name) }
            if let alias = content("m.room.canonical_alias")?["alias"]?.stringValue { notification["room_alias"] = .string(alias) }
            if let displayName = content("m.room.member")?["displayname"]?.stringValue {
                notification["sender_display_name"] = .string(displayName)
            }
        }
        return ["notification": .object(notification)]
    }

    /// `set_tweak` actions as a tweaks object; `highlight` without a value means true.
    static func tweaks(_ actions: [JSONValue]) -> JSONObject {
        var tweaks: JSONObject = [:]
        for action in actions {
            guard let object = action.objectValue, let name = object["set_tweak"]?.stringValue else { continue }
            tweaks[name] = object["value"] ?? (name == "highlight" ? .bool(true) : nil)
        }
        return tweaks
    }

    /// `high` for what should wake the device: a highlight, a sound, or an encrypted event (its
    /// content cannot be judged); `low` otherwise, which gateways may deliver lazily.
    static func priority(pdu: PDU, tweaks: JSONObject) -> String {
        let highlight = tweaks["highlight"].map { $0.boolValue ?? true } ?? false
        return highlight || tweaks["sound"] != nil || pdu.type == "m.room.encrypted" ? "high" : "low"
    }
}
