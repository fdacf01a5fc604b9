import MatrixProtocol

/// The client format of an event (spec "ClientEvent"): what clients see of a PDU.
public enum ClientEvent {
    public static func format(_ pdu: PDU, includeRoomID: Bool = true) -> JSONObject {
        var out: JSONObject = [
            "event_id": .string(pdu.eventID),
            "type": .string(pdu.type),
            "sender": .string(pdu.sender),
            "content": .object(pdu.content),
            "origin_server_ts": .int(pdu.originServerTS),
        ]
        if includeRoomID { out["room_id"] = .string(pdu.roomID) }
        if let key = pdu.stateKey { out["state_key"] = .string(key) }
        if let redacts = pdu.redacts { out["redacts"] = .string(redacts) }
        if let unsigned = pdu.json["unsigned"]?.objectValue, !unsigned.isEmpty { out["unsigned"] = .object(unsigned) }
        return out
    }
}
