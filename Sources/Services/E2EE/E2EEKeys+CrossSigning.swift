import MatrixProtocol
import Sodium
import Store

/// Cross-signing (spec "Cross-signing"): `POST /keys/device_signing/upload` and
/// `POST /keys/signatures/upload`.
extension E2EEKeys {
    static let crossSigningFields = [("master_key", "master"), ("self_signing_key", "self_signing"), ("user_signing_key", "user_signing")]

    /// Stores the user's cross-signing keys. User-interactive authentication is required unless
    /// the user has no master key yet, or the request only repeats the keys already stored.
    public func uploadCrossSigningKeys(_ requester: Requester, body: JSONObject) async throws {
        var uploaded: [CrossSigningKeyRecord] = []
        var objects: [String: JSONObject] = [:]
        for (field, usage) in Self.crossSigningFields {
            guard let key = try body.optionalObject(field) else { continue }
            let publicKey = try checkCrossSigningKey(key, usage: usage, field: field, userID: requester.userID)
            uploaded.append(CrossSigningKeyRecord(type: usage, publicKey: publicKey, json: KeyJSON.bytes(.object(key))))
            objects[usage] = key
        }
        let stored = try await database.crossSigningKeys(of: requester.userID)
        let isRepeat = !uploaded.isEmpty && uploaded.allSatisfy { stored[$0.type]?.json == $0.json }
        if stored["master"] != nil, !isRepeat {
            _ = try await uia.authenticate(auth: try body.optionalObject("auth"), flows: [[.password]],
                                           operation: "device_signing_upload:\(requester.userID)",
                                           validate: stageValidator(requester.userID))
        }
        guard !uploaded.isEmpty, !isRepeat else { return }
        // The other keys must be signed by the master key: the new one, else the stored one.
        let master = uploaded.first { $0.type == "master" } ?? stored["master"]
        for type in ["self_signing", "user_signing"] {
            guard let object = objects[type] else { continue }
            guard let master else { throw MatrixError.missingParam("No master signing key is available to check the \(type) key") }
            try KeyJSON.verify(object, signer: requester.userID, keyName: master.publicKey, publicKey: master.publicKey)
        }
        let devices = Set(try await database.devices(of: requester.userID).map(\.deviceID))
        if let clash = uploaded.first(where: { devices.contains($0.publicKey) }) {
            throw MatrixError.forbidden("The public key \(clash.publicKey) is the ID of one of your devices")
        }
        let position = try await database.setCrossSigningKeys(of: requester.userID, uploaded)
        notifier.advance(.deviceLists, to: position)
    }

    /// Checks a cross-signing key object; returns its public key.
    private func checkCrossSigningKey(_ key: JSONObject, usage: String, field: String, userID: String) throws(MatrixError) -> String {
        guard try key.requiredString("user_id") == userID else { throw MatrixError.invalidParam("\(field).user_id must be the requesting user") }
        guard let usages = try key.optionalStringArray("usage") else { throw MatrixError.missingParam("Missing 'usage' in \(field)") }
        guard usages.contains(usage) else { throw MatrixError.invalidParam("\(field).usage must contain '\(usage)'") }
        let keys = try KeyJSON.keys(key, what: field)
        guard keys.count == 1, let (name, publicKey) = keys.first, name == "ed25519:\(publicKey)" else {
            throw MatrixError.invalidParam("\(field).keys must hold exactly one key, ed25519:<public key>")
        }
        guard let bytes = Base64.decode(publicKey), bytes.count == 32 else { throw MatrixError.invalidParam("\(field) is not an Ed25519 key") }
        return publicKey
    }

    /// Stores the signatures that verify; lists the others in `failures` (user → key ID → error).
    public func uploadSignatures(_ requester: Requester, body: JSONObject) async throws -> JSONObject {
        var accepted: [KeySignature] = []
        var failures = JSONObject()
        let mine = try await database.crossSigningKeys(of: requester.userID)
        for (userID, value) in body {
            guard let objects = value.objectValue else { throw MatrixError.badJSON("'\(userID)' must map key IDs to signed objects") }
            var userFailures = JSONObject()
            for (keyID, signed) in objects {
                do {
                    guard let object = signed.objectValue else { throw MatrixError.badJSON("The signed key must be an object") }
                    accepted += try await checkSignatures(on: object, keyID: keyID, of: userID, by: requester, signerKeys: mine)
                } catch let error as MatrixError {
                    userFailures[keyID] = ["errcode": .string(error.errcode), "error": .string(error.message)]
                }
            }
            if !userFailures.isEmpty { failures[userID] = .object(userFailures) }
        }
        if let position = try await database.addSignatures(accepted) { notifier.advance(.deviceLists, to: position) }
        return ["failures": .object(failures)]
    }

    /// The new signatures `requester` made on one key: their own device (by their self-signing
    /// key), their own master key (by one of their devices), or another user's master key (by
    /// their user-signing key). The object must be the stored key plus signatures.
    private func checkSignatures(on object: JSONObject, keyID: String, of userID: String, by requester: Requester,
                                 signerKeys: [String: CrossSigningKeyRecord]) async throws -> [KeySignature] {
        guard try isLocal(userID) else { throw MatrixError.invalidParam("Signing keys of remote users is not supported yet") }
        let targetMaster = try await database.crossSigningKeys(of: userID)["master"]
        let stored: [UInt8]?
        var signingKeys: [String: String] = [:]  // key name → public key the signature must verify with
        if let master = targetMaster, master.publicKey == keyID {
            stored = master.json
            if userID == requester.userID {
                for device in try await database.deviceKeys(userID: userID, deviceIDs: []) {
                    if let key = KeyJSON.object(device.json)?["keys"]?["ed25519:\(device.deviceID)"]?.stringValue {
                        signingKeys[device.deviceID] = key
                    }
                }
            } else if let usk = signerKeys["user_signing"] {
                signingKeys[usk.publicKey] = usk.publicKey
            }
        } else if userID == requester.userID {
            stored = try await database.deviceKeys(userID: userID, deviceID: keyID)
            if let ssk = signerKeys["self_signing"] { signingKeys[ssk.publicKey] = ssk.publicKey }
        } else {
            stored = nil
        }
        guard let stored, let storedObject = KeyJSON.object(stored) else { throw MatrixError.notFound("Unknown key \(keyID) of \(userID)") }
        guard Self.unsignedPart(storedObject) == Self.unsignedPart(object) else {
            throw MatrixError.invalidParam("The signed object does not match the stored key \(keyID)")
        }
        let offered = object["signatures"]?[requester.userID]?.objectValue ?? [:]
        var result: [KeySignature] = []
        for (name, signature) in offered {
            guard let keyName = name.hasPrefix("ed25519:") ? String(name.dropFirst(8)) : nil, let publicKey = signingKeys[keyName] else { continue }
            guard storedObject["signatures"]?[requester.userID]?[name] != signature else { continue }  // already there
            try KeyJSON.verify(object, signer: requester.userID, keyName: keyName, publicKey: publicKey)
            guard let text = signature.stringValue else { throw KeyJSON.invalidSignature("Signature \(name) is not a string") }
            result.append(KeySignature(targetUserID: userID, targetKeyID: keyID, signerUserID: requester.userID, signingKeyID: name, signature: text))
        }
        guard !result.isEmpty else { throw KeyJSON.invalidSignature("No new signature by a key of yours that may sign \(keyID)") }
        return result
    }

    /// What a signature covers, for comparing an uploaded object with the stored key.
    static func unsignedPart(_ object: JSONObject) -> JSONObject {
        var copy = object
        copy["signatures"] = nil
        copy["unsigned"] = nil
        return copy
    }
}
