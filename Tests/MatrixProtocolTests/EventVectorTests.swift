import Sodium
import Testing
@testable import MatrixProtocol

@Suite struct EventVectorTests {
    /// The signing keys of signing.json by name, with their server names.
    func vectorKeys() throws -> [String: SigningKey] {
        var out: [String: SigningKey] = [:]
        for (name, k) in try need(Vectors.load("signing.json")["keys"]?.objectValue) {
            let seed = try need(Base64.decode(try need(k["seed_base64"]?.stringValue)))
            out[name] = try SigningKey(keyID: try need(k["key_id"]?.stringValue), seed: seed)
        }
        return out
    }

    func version(forRules rules: String) throws -> RoomVersion {
        // "v1-v10" → any of those versions shares the rules; pick the newest with reference-hash IDs.
        try need(RoomVersion.named(rules == "v11-v12" ? "11" : "10"))
    }

    @Test func signingCases() throws {
        let file = try Vectors.load("event_signing.json")
        let keys = try vectorKeys()
        let cases = try need(file["signing_cases"]?.arrayValue)
        #expect(cases.count >= 8)
        for c in cases {
            let id = c["id"]?.stringValue ?? "?"
            let version = try version(forRules: try need(c["redaction_rules"]?.stringValue))
            let key = try need(keys[try need(c["key"]?.stringValue)])
            let server = try need(c["server_name"]?.stringValue)
            let input = try need(c["input"]?.objectValue)
            let derived = try need(c["derived"]?.objectValue)

            let hashed = try EventHashing.addingContentHash(input, version: version)
            #expect(hashed["hashes"]?["sha256"]?.stringValue == c["expected_content_hash_sha256"]?.stringValue, "\(id) content hash")
            let signed = try EventSigning.sign(hashed, serverName: server, key: key, version: version)
            #expect(signed["signatures"]?[server]?[key.keyID]?.stringValue == c["expected_signature"]?.stringValue, "\(id) signature")
            #expect(JSONValue.object(signed) == c["expected_signed_event"], "\(id) signed event")
            try EventSigning.verify(signed, serverName: server, keyID: key.keyID, publicKey: key.keyPair.publicKey, version: version)
            #expect(EventHashing.hasValidContentHash(signed, version: version), "\(id) content hash verifies")

            let reference = try EventHashing.referenceHash(signed, version: version)
            #expect(Base64.encode(reference) == derived["reference_hash_sha256_base64"]?.stringValue, "\(id) reference hash")
            let v3 = try need(RoomVersion.named("3"))
            #expect(try EventHashing.eventID(signed, version: version.redactionRules == .v11 ? version : v3)
                    == (version.redactionRules == .v11 ? derived["event_id_if_room_v4_plus"] : derived["event_id_if_room_v3"])?.stringValue,
                    "\(id) event ID")
            #expect(try EventHashing.eventID(signed, version: version) == derived["event_id_if_room_v4_plus"]?.stringValue, "\(id) v4+ event ID")

            // Signing that hands back the bytes it signed (what a new event's ID is made from):
            // the same signed event, and the bytes give the event's reference hash and ID.
            let both = try EventSigning.signWithRedactedCanonical(hashed, serverName: server, key: key, version: version)
            #expect(JSONValue.object(both.event) == c["expected_signed_event"], "\(id) signed event, with bytes")
            #expect(Base64.encode(SHA256.hash(both.redactedCanonical)) == derived["reference_hash_sha256_base64"]?.stringValue,
                    "\(id) reference hash from the signed bytes")
            #expect(EventHashing.eventID(redactedCanonical: both.redactedCanonical, version: version)
                    == derived["event_id_if_room_v4_plus"]?.stringValue, "\(id) event ID from the signed bytes")
        }
    }

    @Test func tamperedEventsFailVerification() throws {
        let key = SigningKey.generate()
        let version = try need(RoomVersion.named("10"))
        let event: JSONObject = ["type": "m.room.message", "room_id": "!r:x", "sender": "@a:x", "content": ["body": "hi"],
                                 "origin_server_ts": 1, "depth": 1, "prev_events": [], "auth_events": []]
        let signed = try EventSigning.sign(try EventHashing.addingContentHash(event, version: version),
                                           serverName: "x", key: key, version: version)
        var edited = signed
        edited["content"] = ["body": "bye"]
        // Content is redacted away before signing, so the signature holds but the hash does not.
        try EventSigning.verify(edited, serverName: "x", keyID: key.keyID, publicKey: key.keyPair.publicKey, version: version)
        #expect(!EventHashing.hasValidContentHash(edited, version: version))
        edited = signed
        edited["sender"] = "@b:x"
        #expect(throws: SignatureError.self) {
            try EventSigning.verify(edited, serverName: "x", keyID: key.keyID, publicKey: key.keyPair.publicKey, version: version)
        }
    }

    @Test func eventIDCases() throws {
        let file = try Vectors.load("event_signing.json")
        let cases = try need(file["event_id_cases"]?.arrayValue)
        #expect(cases.count >= 2)
        for c in cases {
            let id = c["id"]?.stringValue ?? "?"
            var input = try need(c["input"]?.objectValue)
            if let v3 = c["expected_event_id_room_v3"]?.stringValue {
                #expect(try EventHashing.eventID(input, version: need(RoomVersion.named("3"))) == v3, "\(id) v3")
            }
            if let v4 = c["expected_event_id_room_v4_plus"]?.stringValue {
                #expect(try EventHashing.eventID(input, version: need(RoomVersion.named("4"))) == v4, "\(id) v4")
            }
            if c["expected_content_hash_matches_hashes_field"]?.boolValue == true {
                #expect(EventHashing.hasValidContentHash(input, version: try need(RoomVersion.named("5"))), "\(id) hash")
            }
            if let roomID = c["expected_room_id"]?.stringValue {
                let v12 = try need(RoomVersion.named("12"))
                let keys = try vectorKeys()
                input = try EventHashing.addingContentHash(input, version: v12)
                #expect(input["hashes"]?["sha256"]?.stringValue == c["expected_content_hash_sha256"]?.stringValue, "\(id) hash")
                let signed = try EventSigning.sign(input, serverName: "domain", key: try need(keys["spec"]), version: v12)
                #expect(signed["signatures"]?["domain"]?["ed25519:1"]?.stringValue == c["expected_signature_spec_key"]?.stringValue, "\(id) sig")
                #expect(JSONValue.object(signed) == c["expected_signed_event"], "\(id) signed")
                #expect(try EventHashing.eventID(signed, version: v12) == c["expected_event_id"]?.stringValue, "\(id) event ID")
                #expect(try EventHashing.roomID(ofCreateEvent: signed, version: v12) == roomID, "\(id) room ID")
                let pdu = try PDU(json: signed, version: v12)
                #expect(pdu.roomID == roomID && pdu.eventID == c["expected_event_id"]?.stringValue)
            }
        }
    }

    @Test func redactionCases() throws {
        let cases = try need(Vectors.load("redaction.json")["cases"]?.arrayValue)
        #expect(cases.count >= 20)
        for c in cases {
            let id = c["id"]?.stringValue ?? "?"
            let version = try need(RoomVersion.named(try need(c["redaction_rules_of_room_version"]?.stringValue)))
            let redacted = Redaction.redact(try need(c["input"]?.objectValue), rules: version.redactionRules)
            #expect(JSONValue.object(redacted) == c["expected"], "\(id)")
        }
    }
}

@Suite struct RoomVersionTests {
    @Test func allTwelveVersionsAreKnown() throws {
        #expect(RoomVersion.all.map(\.id) == (1...12).map(String.init))
        #expect(RoomVersion.named("13") == nil)
        #expect(RoomVersion.named("org.example.custom") == nil)
        let v1 = try need(RoomVersion.named("1")), v12 = try need(RoomVersion.named("12"))
        #expect(v1.stateResolution == .v1 && v1.eventIDFormat == .serverChosen && v1.redactionAuthRule)
        #expect(try need(RoomVersion.named("2")).stateResolution == .v2)
        #expect(try need(RoomVersion.named("3")).eventIDFormat == .referenceHashStandard)
        #expect(try need(RoomVersion.named("11")).stateResolution == .v2)
        #expect(v12.stateResolution == .v2_1 && v12.hashedRoomIDs && v12.creatorIsSender)
        #expect(MatrixError.unsupportedRoomVersion("99").errcode == "M_UNSUPPORTED_ROOM_VERSION")
    }
}

@Suite struct PDUTests {
    let v10 = RoomVersion.named("10")!

    func validEvent() throws -> JSONObject {
        let e: JSONObject = ["type": "m.room.message", "room_id": "!r:x", "sender": "@a:x", "content": ["body": "hi"],
                             "origin_server_ts": 1, "depth": 3, "prev_events": ["$p"], "auth_events": ["$a1", "$a2"]]
        return try EventSigning.sign(try EventHashing.addingContentHash(e, version: v10), serverName: "x",
                                     key: .generate(), version: v10)
    }

    @Test func parsesFields() throws {
        let pdu = try PDU(json: try validEvent(), version: v10)
        #expect(pdu.type == "m.room.message" && pdu.sender == "@a:x" && pdu.roomID == "!r:x")
        #expect(pdu.prevEvents == ["$p"] && pdu.authEvents == ["$a1", "$a2"] && pdu.depth == 3)
        #expect(pdu.eventID.hasPrefix("$") && pdu.eventID.count == 44 && !pdu.isState)
        try PDU.validate(pdu.json, version: v10)
    }

    @Test func v1ReferencesArePairs() throws {
        let v1 = try need(RoomVersion.named("1"))
        let json: JSONObject = ["type": "m.room.message", "room_id": "!r:x", "sender": "@a:x", "event_id": "$e:x",
                                "prev_events": [["$p:x", ["sha256": "abc"]]], "auth_events": []]
        let pdu = try PDU(json: json, version: v1)
        #expect(pdu.eventID == "$e:x" && pdu.prevEvents == ["$p:x"])
    }

    @Test func validationRejectsBadEvents() throws {
        let good = try validEvent()
        var cases: [(String, JSONObject)] = []
        for field in ["type", "sender", "room_id", "content", "depth", "hashes", "signatures", "prev_events", "auth_events", "origin_server_ts"] {
            var e = good; e[field] = nil; cases.append(("missing \(field)", e))
        }
        var e = good; e["depth"] = "3"; cases.append(("string depth", e))
        e = good; e["sender"] = "not-a-user"; cases.append(("bad sender", e))
        e = good; e["content"] = ["big": .string(String(repeating: "x", count: 70_000))]; cases.append(("too large", e))
        e = good; e["content"] = ["f": 1.5]; cases.append(("float in v10", e))
        e = good; e["state_key"] = 5; cases.append(("int state_key", e))
        e = good; e["type"] = .string(String(repeating: "t", count: 256)); cases.append(("long type", e))
        e = good; e["prev_events"] = .array((0..<21).map { .string("$e\($0)") }); cases.append(("too many prevs", e))
        for (name, event) in cases {
            #expect(throws: PDUError.self, "\(name)") { try PDU.validate(event, version: v10) }
        }
        // Floats are tolerated in versions without strict canonical JSON.
        e = good; e["content"] = ["f": 1.5]
        try PDU.validate(e, version: try need(RoomVersion.named("5")))
    }
}
