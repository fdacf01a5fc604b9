import MatrixProtocol
import Sodium

/// Checks on the signed JSON objects clients upload (device keys, one-time keys, cross-signing
/// keys): their shape and their Ed25519 signatures. The server verifies, it never decrypts.
enum KeyJSON {
    static func invalidSignature(_ message: String) -> MatrixError { MatrixError("M_INVALID_SIGNATURE", message, status: 400) }

    /// Verifies the signature of `signer` with `ed25519:<keyName>` over `object`, against the
    /// unpadded-base64 `publicKey`.
    static func verify(_ object: JSONObject, signer: String, keyName: String, publicKey: String) throws(MatrixError) {
        guard let key = Base64.decode(publicKey), key.count == Ed25519.publicKeyLength else {
            throw MatrixError.invalidParam("ed25519:\(keyName) is not an Ed25519 public key")
        }
        do {
            try JSONSigning.verify(object, entity: signer, keyID: "ed25519:\(keyName)", publicKey: key)
        } catch {
            throw invalidSignature("Invalid signature: \(error)")
        }
    }

    /// The `keys` map of a signed key object: names to unpadded-base64 strings.
    static func keys(_ object: JSONObject, what: String) throws(MatrixError) -> [String: String] {
        guard let value = object["keys"] else { throw MatrixError.missingParam("Missing 'keys' in \(what)") }
        guard let map = value.objectValue, !map.isEmpty else { throw MatrixError.badJSON("'keys' in \(what) must be a non-empty object") }
        var keys: [String: String] = [:]
        for (name, key) in map {
            guard let text = key.stringValue else { throw MatrixError.badJSON("'keys.\(name)' in \(what) must be a string") }
            keys[name] = text
        }
        return keys
    }

    /// `<algorithm>:<key id>` split in two; both parts non-empty.
    static func splitKeyName(_ name: String) throws(MatrixError) -> (algorithm: String, keyID: String) {
        guard let colon = name.firstIndex(of: ":"), colon != name.startIndex, name.index(after: colon) != name.endIndex else {
            throw MatrixError.invalidParam("Key name '\(name)' is not <algorithm>:<key_id>")
        }
        return (String(name[..<colon]), String(name[name.index(after: colon)...]))
    }

    /// Bytes to store: the object's compact encoding with sorted keys (what clients compare).
    static func bytes(_ value: JSONValue) -> [UInt8] { value.encodedBytes() }

    static func object(_ bytes: [UInt8]) -> JSONObject? { try? JSONParser.parseObject(bytes) }

    /// Adds uploaded signatures to a key object's `signatures`.
    static func merging(_ signatures: [(signer: String, keyID: String, signature: String)], into object: JSONObject) -> JSONObject {
        guard !signatures.isEmpty else { return object }
        var result = object
        var all = object["signatures"]?.objectValue ?? JSONObject()
        for s in signatures {
            var mine = all[s.signer]?.objectValue ?? JSONObject()
            mine[s.keyID] = .string(s.signature)
            all[s.signer] = .object(mine)
        }
        result["signatures"] = .object(all)
        return result
    }
}
