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

    /// The client format served at `now`, with `unsigned.age`: for the state lists, which serve
    /// the room's cached state as PDUs rather than stored rows (`StoredEvent.clientPDU`).
    public static func format(_ pdu: PDU, includeRoomID: Bool = true, servedAt now: Int64) -> JSONObject {
        var out = format(pdu, includeRoomID: includeRoomID)
        var unsigned = out["unsigned"]?.objectValue ?? [:]
        unsigned["age"] = .int(max(0, now - pdu.originServerTS))
        out["unsigned"] = .object(unsigned)
        return out
    }
}
