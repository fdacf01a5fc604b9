/// Signing events as a server, and verifying a server's signature on an event: the signature
/// covers the *redacted* event (spec "Signing events"), so it survives redaction.
public enum EventSigning {
    /// Adds our signature to `event` (which should already carry its content hash).
    public static func sign(_ event: JSONObject, serverName: String, key: SigningKey, version: RoomVersion) throws(CanonicalJSONError) -> JSONObject {
        try signWithRedactedCanonical(event, serverName: serverName, key: key, version: version).event
    }

    /// `sign`, also handing back the bytes it signed: the redacted event without `signatures`
    /// and `unsigned`, which is what the reference hash covers too (the signature adds only
    /// `signatures`), so the new event's ID need not redact and serialise it again.
    public static func signWithRedactedCanonical(_ event: JSONObject, serverName: String, key: SigningKey,
                                                 version: RoomVersion) throws(CanonicalJSONError) -> (event: JSONObject, redactedCanonical: [UInt8]) {
        let bytes = try EventHashing.redactedCanonical(event, version: version)
        let signature = key.keyPair.sign(bytes)
        return (JSONSigning.adding(signature, by: serverName, keyID: key.keyID, to: event), bytes)
    }

    /// Verifies `serverName`'s signature with `keyID` over the redacted event.
    public static func verify(_ event: JSONObject, serverName: String, keyID: String, publicKey: [UInt8],
                              version: RoomVersion) throws(SignatureError) {
        var redacted = Redaction.redact(event, rules: version.redactionRules)
        redacted["signatures"] = event["signatures"]
        if version.strictCanonicalJSON {
            try JSONSigning.verify(redacted, entity: serverName, keyID: keyID, publicKey: publicKey)
        } else {
            try JSONSigning.verify(redacted, entity: serverName, keyID: keyID, publicKey: publicKey, lenientNumbers: true)
        }
    }

    /// `verify` over the event's `EventHashing.redactedCanonical` bytes, already computed.
    public static func verify(_ event: JSONObject, redactedCanonical: [UInt8], serverName: String, keyID: String,
                              publicKey: [UInt8]) throws(SignatureError) {
        try JSONSigning.verify(redactedCanonical, signaturesOf: event, entity: serverName, keyID: keyID, publicKey: publicKey)
    }
}
