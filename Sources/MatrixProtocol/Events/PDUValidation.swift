/// The format rules a PDU from outside must meet before anything else looks at it (spec
/// server-server API "Checks performed on receipt of a PDU", step 1, and the PDU schemas).
extension PDU {
    public static let maxSize = 65_536
    static let maxIdentifierBytes = 255

    /// Checks size, required fields and their types, identifier lengths and, from v6, strict
    /// canonical JSON. Throws the first problem found.
    public static func validate(_ json: JSONObject, version: RoomVersion) throws(PDUError) {
        let size: Int
        do {
            size = version.strictCanonicalJSON ? try json.canonicalBytes().count : json.encodedBytes().count
        } catch {
            throw .notCanonical("\(error)")
        }
        guard size <= maxSize else { throw .tooLarge("event is \(size) bytes, over the \(maxSize)-byte limit") }

        let isV12Create = version.hashedRoomIDs && json["type"]?.stringValue == "m.room.create"
        var required: [(String, String)] = [
            ("type", "string"), ("sender", "string"), ("content", "object"), ("origin_server_ts", "integer"),
            ("depth", "integer"), ("prev_events", "array"), ("auth_events", "array"), ("hashes", "object"),
            ("signatures", "object"),
        ]
        if !isV12Create { required.append(("room_id", "string")) }
        if version.eventIDFormat == .serverChosen { required.append(("event_id", "string")) }
        for (field, kind) in required {
            guard let value = json[field] else { throw .missingField(field) }
            let ok: Bool = switch kind {
            case "string": value.stringValue != nil
            case "object": value.objectValue != nil
            case "integer": value.intValue != nil
            default: value.arrayValue != nil
            }
            guard ok else { throw .wrongType(field: field, expected: kind == "integer" ? "an integer" : "a \(kind)") }
        }
        if isV12Create, json["room_id"] != nil {
            throw .invalidValue(field: "room_id", reason: "a v12 create event has no room_id")
        }
        for field in ["sender", "room_id", "type", "state_key", "event_id"] {
            if let s = json[field]?.stringValue, s.utf8.count > maxIdentifierBytes {
                throw .invalidValue(field: field, reason: "longer than \(maxIdentifierBytes) bytes")
            }
        }
        if let sk = json["state_key"], sk.stringValue == nil { throw .wrongType(field: "state_key", expected: "a string") }
        do { _ = try UserID(json["sender"]!.stringValue!) } catch {
            throw .invalidValue(field: "sender", reason: "\(error)")
        }
        let depth = json["depth"]!.intValue!
        guard depth >= 0, !version.strictCanonicalJSON || depth <= JSONValue.maxSafeInteger else {
            throw .invalidValue(field: "depth", reason: "out of range")
        }
        guard json["hashes"]?["sha256"]?.stringValue != nil else { throw .missingField("hashes.sha256") }
        let maxRefs = 20
        for field in ["prev_events", "auth_events"] where json[field]!.arrayValue!.count > maxRefs {
            throw .invalidValue(field: field, reason: "more than \(maxRefs) entries")
        }
    }
}
