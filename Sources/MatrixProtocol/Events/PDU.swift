/// An event of a room (a persistent data unit): the JSON it arrived as, kept whole so hashes and
/// signatures still verify and unknown fields survive, plus a parsed view of the fields the
/// protocol rules read.
///
/// `init` reads leniently (what auth rules and state resolution need); `validate` applies the
/// full format rules of the room version to events that arrive from outside.
public struct PDU: Sendable, Hashable {
    /// The fields live in one immutable object: PDUs are copied all the time (state maps, auth
    /// event lists, rows to store), and one reference to retain costs less than a dozen.
    private final class Fields: Sendable {
        let json: JSONObject
        let eventID: String
        let roomID: String
        let type: String
        let stateKey: String?
        let sender: String
        let content: JSONObject
        let prevEvents: [String]
        let authEvents: [String]
        let depth: Int64
        let originServerTS: Int64
        let redacts: String?

        init(json: JSONObject, eventID: String, roomID: String, type: String, stateKey: String?, sender: String,
             content: JSONObject, prevEvents: [String], authEvents: [String], depth: Int64, originServerTS: Int64,
             redacts: String?) {
            self.json = json
            self.eventID = eventID
            self.roomID = roomID
            self.type = type
            self.stateKey = stateKey
            self.sender = sender
            self.content = content
            self.prevEvents = prevEvents
            self.authEvents = authEvents
            self.depth = depth
            self.originServerTS = originServerTS
            self.redacts = redacts
        }
    }

    private let fields: Fields

    public var json: JSONObject { fields.json }
    public var eventID: String { fields.eventID }
    /// The room ID; for a v12 create event (which has none) the ID derived from its hash.
    public var roomID: String { fields.roomID }
    public var type: String { fields.type }
    public var stateKey: String? { fields.stateKey }
    public var sender: String { fields.sender }
    public var content: JSONObject { fields.content }
    public var prevEvents: [String] { fields.prevEvents }
    public var authEvents: [String] { fields.authEvents }
    public var depth: Int64 { fields.depth }
    public var originServerTS: Int64 { fields.originServerTS }
    /// The event a redaction redacts: top-level `redacts`, or `content.redacts` from v11.
    public var redacts: String? { fields.redacts }

    /// The same for copies of one parsed event, different for any other event: a cheap way to
    /// tell that a set of events changed (valid while the event is kept alive).
    public var identity: ObjectIdentifier { ObjectIdentifier(fields) }

    public var isState: Bool { stateKey != nil }

    /// The same event with another `unsigned` (outside hashes and signatures: nothing else
    /// changes, so nothing is parsed again).
    public func replacingUnsigned(_ unsigned: JSONObject?) -> PDU {
        var json = fields.json
        json["unsigned"] = unsigned.map(JSONValue.object)
        return PDU(fields: Fields(json: json, eventID: eventID, roomID: roomID, type: type, stateKey: stateKey, sender: sender,
                                  content: content, prevEvents: prevEvents, authEvents: authEvents, depth: depth,
                                  originServerTS: originServerTS, redacts: redacts))
    }

    private init(fields: Fields) {
        self.fields = fields
    }
    public var stateKeyPair: StateKey? { stateKey.map { StateKey(type, $0) } }

    /// Parses `json` for `version`. The event ID is `eventID` when given, else the `event_id`
    /// field (v1–v2, and test fixtures), else the reference hash (v3+).
    public init(json: JSONObject, version: RoomVersion, eventID: String? = nil) throws(PDUError) {
        guard let type = json["type"]?.stringValue else { throw Self.fieldError(json, "type", "a string") }
        guard let sender = json["sender"]?.stringValue else { throw Self.fieldError(json, "sender", "a string") }
        let stateKey: String?
        if let sk = json["state_key"] {
            guard let s = sk.stringValue else { throw .wrongType(field: "state_key", expected: "a string") }
            stateKey = s
        } else {
            stateKey = nil
        }
        let content: JSONObject
        if let c = json["content"] {
            guard let o = c.objectValue else { throw .wrongType(field: "content", expected: "an object") }
            content = o
        } else {
            content = JSONObject()
        }
        let prevEvents = try Self.eventReferences(json, "prev_events")
        let authEvents = try Self.eventReferences(json, "auth_events")
        let depth = try Self.integer(json, "depth") ?? 0
        let originServerTS = try Self.integer(json, "origin_server_ts") ?? 0
        let redacts: String?
        if version.creatorIsSender, let r = content["redacts"]?.stringValue, type == "m.room.redaction" {
            redacts = r
        } else if let r = json["redacts"] {
            guard let s = r.stringValue else { throw .wrongType(field: "redacts", expected: "a string") }
            redacts = s
        } else {
            redacts = nil
        }
        let id: String
        if let eventID {
            id = eventID
        } else if let given = json["event_id"]?.stringValue {
            id = given
        } else {
            id = try EventHashing.eventID(json, version: version)
        }
        let roomID: String
        if let room = json["room_id"] {
            guard let r = room.stringValue else { throw .wrongType(field: "room_id", expected: "a string") }
            roomID = r
        } else if version.hashedRoomIDs, type == "m.room.create" {
            roomID = "!" + id.dropFirst()
        } else {
            throw .missingField("room_id")
        }
        fields = Fields(json: json, eventID: id, roomID: roomID, type: type, stateKey: stateKey, sender: sender, content: content,
                        prevEvents: prevEvents, authEvents: authEvents, depth: depth, originServerTS: originServerTS,
                        redacts: redacts)
    }

    private static func fieldError(_ json: JSONObject, _ field: String, _ expected: String) -> PDUError {
        json[field] == nil ? .missingField(field) : .wrongType(field: field, expected: expected)
    }

    private static func integer(_ json: JSONObject, _ field: String) throws(PDUError) -> Int64? {
        guard let v = json[field] else { return nil }
        guard let i = v.intValue else { throw .wrongType(field: field, expected: "an integer") }
        return i
    }

    /// `prev_events`/`auth_events`: plain IDs from v3, `[id, {hashes}]` pairs in v1–v2.
    /// Fixtures use plain IDs for every version, so both shapes are read everywhere.
    private static func eventReferences(_ json: JSONObject, _ field: String) throws(PDUError) -> [String] {
        guard let value = json[field] else { return [] }
        guard let items = value.arrayValue else { throw .wrongType(field: field, expected: "an array") }
        var ids: [String] = []
        ids.reserveCapacity(items.count)
        for item in items {
            if let s = item.stringValue {
                ids.append(s)
            } else if let pair = item.arrayValue, let s = pair.first?.stringValue {
                ids.append(s)
            } else {
                throw .wrongType(field: field, expected: "an array of event IDs")
            }
        }
        return ids
    }

    /// The `auth_events` of an event's stored JSON, without parsing the rest of the event.
    public static func authEventIDs(in json: JSONObject) -> [String] {
        (try? eventReferences(json, "auth_events")) ?? []
    }

    public static func == (a: PDU, b: PDU) -> Bool { a.eventID == b.eventID && a.json == b.json }
    public func hash(into hasher: inout Hasher) { hasher.combine(eventID) }
}
