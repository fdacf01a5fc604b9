import MatrixProtocol
import Sodium

/// Builds events this server creates: fills in the graph fields, hashes and signs them, and
/// computes their ID for the room version.
struct EventBuilder: Sendable {
    let serverName: ServerName
    let signingKey: SigningKey

    /// Most prev events a new event references; more extremities are merged over several events.
    static let maxPrevEvents = 10

    struct Draft {
        var type: String
        var stateKey: String?
        var sender: String
        var content: JSONObject
        var redacts: String?
    }

    /// A signed event for `roomID` (nil for a v12 create event, whose ID names the room).
    func build(_ draft: Draft, roomID: String?, version: RoomVersion, prevEvents: [(eventID: String, depth: Int64)],
               authEvents: [String], now: Int64) throws -> PDU {
        let prevs = prevEvents.sorted { $0.depth > $1.depth }.prefix(Self.maxPrevEvents)
        let depth = min((prevs.map(\.depth).max() ?? 0) + 1, JSONValue.maxSafeInteger)
        var json: JSONObject = [
            "type": .string(draft.type),
            "sender": .string(draft.sender),
            "content": .object(draft.content),
            "origin_server_ts": .int(now),
            "depth": .int(depth),
        ]
        if let roomID { json["room_id"] = .string(roomID) }
        if let key = draft.stateKey { json["state_key"] = .string(key) }
        if let redacts = draft.redacts {
            // Top-level for old rooms and old clients; in content from v11 (set by the caller).
            json["redacts"] = .string(redacts)
        }
        if version.eventIDFormat == .serverChosen {
            json["prev_events"] = .array(prevs.map { [.string($0.eventID), ["sha256": ""]] })
            json["auth_events"] = .array(authEvents.map { [.string($0), ["sha256": ""]] })
            json["event_id"] = .string("$\(SecureRandom.alphanumeric(18)):\(serverName)")
        } else {
            json["prev_events"] = JSONValue(prevs.map(\.eventID))
            json["auth_events"] = JSONValue(authEvents)
        }
        json = try EventHashing.addingContentHash(json, version: version)
        let signed = try EventSigning.signWithRedactedCanonical(json, serverName: serverName.description, key: signingKey, version: version)
        return try PDU(json: signed.event, version: version,
                       eventID: EventHashing.eventID(redactedCanonical: signed.redactedCanonical, version: version))
    }
}

extension EventBuilder {
    /// The unsigned event another server completes and signs (`make_join`, `make_leave`,
    /// `make_knock`): graph fields filled in, no hashes or signatures.
    static func template(_ draft: Draft, roomID: String, version: RoomVersion, prevEvents: [(eventID: String, depth: Int64)],
                         authEvents: [String], now: Int64, origin: String) -> JSONObject {
        let prevs = prevEvents.sorted { $0.depth > $1.depth }.prefix(maxPrevEvents)
        var json: JSONObject = [
            "type": .string(draft.type), "sender": .string(draft.sender), "content": .object(draft.content),
            "origin_server_ts": .int(now), "depth": .int(min((prevs.map(\.depth).max() ?? 0) + 1, JSONValue.maxSafeInteger)),
            "room_id": .string(roomID), "origin": .string(origin),
        ]
        if let key = draft.stateKey { json["state_key"] = .string(key) }
        if version.eventIDFormat == .serverChosen {
            json["prev_events"] = .array(prevs.map { [.string($0.eventID), ["sha256": ""]] })
            json["auth_events"] = .array(authEvents.map { [.string($0), ["sha256": ""]] })
        } else {
            json["prev_events"] = JSONValue(prevs.map(\.eventID))
            json["auth_events"] = JSONValue(authEvents)
        }
        return json
    }
}
