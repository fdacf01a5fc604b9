import Sodium

/// Content hashes, reference hashes and the IDs derived from them (spec server-server API,
/// "Calculating the content hash" and "Calculating the reference hash").
public enum EventHashing {
    /// Canonical bytes under the room version's number rules: strict from v6, lenient before,
    /// where old events may carry floats or large integers.
    static func canonical(_ object: JSONObject, version: RoomVersion) throws(CanonicalJSONError) -> [UInt8] {
        version.strictCanonicalJSON ? try object.canonicalBytes() : object.encodedBytes()
    }

    /// SHA-256 over the event without `unsigned`, `signatures` and `hashes`.
    public static func contentHash(_ event: JSONObject, version: RoomVersion) throws(CanonicalJSONError) -> [UInt8] {
        var copy = event
        copy["unsigned"] = nil
        copy["signatures"] = nil
        copy["hashes"] = nil
        return SHA256.hash(try canonical(copy, version: version))
    }

    /// The event with `hashes.sha256` set to its content hash.
    public static func addingContentHash(_ event: JSONObject, version: RoomVersion) throws(CanonicalJSONError) -> JSONObject {
        var out = event
        out["hashes"] = ["sha256": .string(Base64.encode(try contentHash(event, version: version)))]
        return out
    }

    /// True when `hashes.sha256` matches the content (false when absent or malformed).
    public static func hasValidContentHash(_ event: JSONObject, version: RoomVersion) -> Bool {
        guard let claimed = event["hashes"]?["sha256"]?.stringValue, let bytes = Base64.decode(claimed),
              let actual = try? contentHash(event, version: version) else { return false }
        return bytes == actual
    }

    /// The redacted event without `signatures` and `unsigned`, as canonical bytes: what the
    /// reference hash and every server signature cover (computed once per received event).
    public static func redactedCanonical(_ event: JSONObject, version: RoomVersion) throws(CanonicalJSONError) -> [UInt8] {
        var redacted = Redaction.redact(event, rules: version.redactionRules)
        redacted["signatures"] = nil
        redacted["unsigned"] = nil
        return try canonical(redacted, version: version)
    }

    /// SHA-256 over the redacted event without `signatures` and `unsigned`.
    public static func referenceHash(_ event: JSONObject, version: RoomVersion) throws(CanonicalJSONError) -> [UInt8] {
        SHA256.hash(try redactedCanonical(event, version: version))
    }

    /// The event ID from `redactedCanonical` bytes; nil in v1–v2, where servers choose IDs.
    public static func eventID(redactedCanonical bytes: [UInt8], version: RoomVersion) -> String? {
        switch version.eventIDFormat {
        case .serverChosen: nil
        case .referenceHashStandard: "$" + Base64.encode(SHA256.hash(bytes))
        case .referenceHashURLSafe: "$" + Base64.encodeURLSafe(SHA256.hash(bytes))
        }
    }

    /// The event ID: the `event_id` field in v1–v2, the reference hash from v3.
    public static func eventID(_ event: JSONObject, version: RoomVersion) throws(PDUError) -> String {
        switch version.eventIDFormat {
        case .serverChosen:
            guard let id = event["event_id"]?.stringValue else { throw .missingField("event_id") }
            return id
        case .referenceHashStandard:
            return "$" + Base64.encode(try hash(event, version))
        case .referenceHashURLSafe:
            return "$" + Base64.encodeURLSafe(try hash(event, version))
        }
    }

    /// A v12 room's ID: `!` + the create event's reference hash, URL-safe.
    public static func roomID(ofCreateEvent event: JSONObject, version: RoomVersion) throws(PDUError) -> String {
        "!" + Base64.encodeURLSafe(try hash(event, version))
    }

    private static func hash(_ event: JSONObject, _ version: RoomVersion) throws(PDUError) -> [UInt8] {
        do { return try referenceHash(event, version: version) } catch { throw .notCanonical("\(error)") }
    }
}
