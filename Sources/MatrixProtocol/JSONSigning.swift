import Sodium

/// Signing and verifying JSON objects (spec appendices, "Signing JSON"): the signature covers
/// the canonical JSON of the object without `signatures` and `unsigned`.
public enum JSONSigning {
    /// The exact bytes a signature covers.
    public static func signingBytes(_ object: JSONObject, lenientNumbers: Bool = false) throws(CanonicalJSONError) -> [UInt8] {
        var copy = object
        copy["signatures"] = nil
        copy["unsigned"] = nil
        // Old room versions allow floats and large integers; their bytes are still well defined.
        return lenientNumbers ? copy.encodedBytes() : try copy.canonicalBytes()
    }

    /// Adds `signatures.<entity>.<keyID>`, keeping other signatures already present.
    public static func sign(_ object: JSONObject, entity: String, key: SigningKey) throws(CanonicalJSONError) -> JSONObject {
        adding(key.keyPair.sign(try signingBytes(object)), by: entity, keyID: key.keyID, to: object)
    }

    /// `object` with one more signature under `signatures.<entity>.<keyID>`.
    static func adding(_ signature: [UInt8], by entity: String, keyID: String, to object: JSONObject) -> JSONObject {
        var result = object
        var signatures = object["signatures"]?.objectValue ?? JSONObject()
        var mine = signatures[entity]?.objectValue ?? JSONObject()
        mine[keyID] = .string(Base64.encode(signature))
        signatures[entity] = .object(mine)
        result["signatures"] = .object(signatures)
        return result
    }

    /// Checks the signature by `entity` with `keyID` against `publicKey`.
    public static func verify(_ object: JSONObject, entity: String, keyID: String, publicKey: [UInt8],
                              lenientNumbers: Bool = false) throws(SignatureError) {
        let signature = try signature(in: object, entity: entity, keyID: keyID)
        let bytes: [UInt8]
        do { bytes = try signingBytes(object, lenientNumbers: lenientNumbers) } catch { throw .malformed("not canonical JSON: \(error)") }
        try verify(signature, over: bytes, entity: entity, keyID: keyID, publicKey: publicKey)
    }

    /// `verify` over signing bytes the caller already has (an event's redacted canonical form,
    /// which its reference hash covers too), with the signature taken from `object`.
    public static func verify(_ bytes: [UInt8], signaturesOf object: JSONObject, entity: String, keyID: String,
                              publicKey: [UInt8]) throws(SignatureError) {
        try verify(try signature(in: object, entity: entity, keyID: keyID), over: bytes, entity: entity, keyID: keyID, publicKey: publicKey)
    }

    private static func verify(_ signature: [UInt8], over bytes: [UInt8], entity: String, keyID: String,
                               publicKey: [UInt8]) throws(SignatureError) {
        guard Ed25519.verify(signature: signature, message: bytes, publicKey: publicKey) else {
            throw .invalid("signature from \(entity) with key \(keyID) does not verify")
        }
    }

    /// The decoded signature by `entity` with `keyID`.
    public static func signature(in object: JSONObject, entity: String, keyID: String) throws(SignatureError) -> [UInt8] {
        guard let signatures = object["signatures"] else { throw .missing("the object has no signatures") }
        guard let byEntity = signatures.objectValue else { throw .malformed("'signatures' is not an object") }
        guard let entry = byEntity[entity] else { throw .missing("no signature from \(entity)") }
        guard let byKey = entry.objectValue else { throw .malformed("signatures.\(entity) is not an object") }
        guard let sigValue = byKey[keyID] else { throw .missing("no signature from \(entity) with key \(keyID)") }
        guard let sigText = sigValue.stringValue, let signature = Base64.decode(sigText) else {
            throw .malformed("signature from \(entity) with key \(keyID) is not base64")
        }
        return signature
    }

    /// Key IDs that `entity` signed with (supported algorithms only).
    public static func keyIDs(in object: JSONObject, entity: String) -> [String] {
        (object["signatures"]?[entity]?.objectValue?.keys ?? []).filter { $0.hasPrefix("ed25519:") }
    }
}

public enum SignatureError: Error, Equatable, Sendable, CustomStringConvertible {
    case missing(String)
    case malformed(String)
    case invalid(String)

    public var description: String {
        switch self {
        case .missing(let s), .malformed(let s), .invalid(let s): s
        }
    }
}
