import MatrixProtocol
import Store

/// `POST /keys/query`, `POST /keys/claim`, `GET /keys/changes`.
extension E2EEKeys {
    /// The device keys and cross-signing keys of the requested users. Remote users go to
    /// federation; unreachable servers (for now: every remote server) are listed in `failures`.
    public func query(_ requester: Requester, body: JSONObject) async throws -> JSONObject {
        guard let request = try body.optionalObject("device_keys") else { throw MatrixError.missingParam("Missing 'device_keys'") }
        var deviceKeys = JSONObject(), masterKeys = JSONObject(), selfSigningKeys = JSONObject(), userSigningKeys = JSONObject()
        var failures = JSONObject()
        var remote: [ServerName: JSONObject] = [:]
        for (userID, value) in request {
            guard let ids = value.arrayValue, ids.allSatisfy({ $0.stringValue != nil }) else {
                throw MatrixError.badJSON("device_keys.\(userID) must be an array of device IDs")
            }
            guard try isLocal(userID) else {
                remote[try UserID(userID).server, default: JSONObject()][userID] = value
                continue
            }
            var devices = JSONObject()
            for d in try await database.deviceKeys(userID: userID, deviceIDs: ids.compactMap(\.stringValue)) {
                guard var object = KeyJSON.object(d.json) else { continue }
                object = try await withUploadedSignatures(object, on: d.deviceID, of: userID, visibleTo: [userID])
                if let name = d.displayName { object["unsigned"] = ["device_display_name": .string(name)] }
                devices[d.deviceID] = .object(object)
            }
            deviceKeys[userID] = .object(devices)
            let crossSigning = try await database.crossSigningKeys(of: userID)
            if let master = crossSigning["master"], let object = KeyJSON.object(master.json) {
                // Signatures on a master key: its owner's devices, and the requester's user-signing key.
                masterKeys[userID] = .object(try await withUploadedSignatures(object, on: master.publicKey, of: userID,
                                                                              visibleTo: [userID, requester.userID]))
            }
            if let key = crossSigning["self_signing"], let object = KeyJSON.object(key.json) { selfSigningKeys[userID] = .object(object) }
            if userID == requester.userID, let key = crossSigning["user_signing"], let object = KeyJSON.object(key.json) {
                userSigningKeys[userID] = .object(object)
            }
        }
        for (server, users) in remote {
            guard let federation = self.remote else {
                failures[server.description] = Self.unreachable
                continue
            }
            do {
                let answer = try await federation.queryKeys(server: server, deviceKeys: users)
                for (userID, devices) in answer["device_keys"]?.objectValue ?? [:] where users[userID] != nil { deviceKeys[userID] = devices }
                for (userID, key) in answer["master_keys"]?.objectValue ?? [:] where users[userID] != nil { masterKeys[userID] = key }
                for (userID, key) in answer["self_signing_keys"]?.objectValue ?? [:] where users[userID] != nil { selfSigningKeys[userID] = key }
            } catch {
                failures[server.description] = Self.unreachable
            }
        }
        return ["device_keys": .object(deviceKeys), "failures": .object(failures), "master_keys": .object(masterKeys),
                "self_signing_keys": .object(selfSigningKeys), "user_signing_keys": .object(userSigningKeys)]
    }

    /// Hands out one key per requested device: a one-time key, else the fallback key.
    public func claim(_ requester: Requester, body: JSONObject) async throws -> JSONObject {
        guard let request = try body.optionalObject("one_time_keys") else { throw MatrixError.missingParam("Missing 'one_time_keys'") }
        var local: [(userID: String, deviceID: String, algorithm: String)] = []
        var remote: [ServerName: JSONObject] = [:]
        for (userID, value) in request {
            guard let devices = value.objectValue else { throw MatrixError.badJSON("one_time_keys.\(userID) must be an object") }
            let isLocal = try isLocal(userID)
            for (deviceID, algorithm) in devices {
                guard let algorithm = algorithm.stringValue else {
                    throw MatrixError.badJSON("one_time_keys.\(userID).\(deviceID) must be an algorithm name")
                }
                if isLocal { local.append((userID, deviceID, algorithm)) }
            }
            if !isLocal { remote[try UserID(userID).server, default: JSONObject()][userID] = value }
        }
        var keys = JSONObject(), failures = JSONObject()
        for key in try await database.claimKeys(local) {
            guard let value = try? JSONParser.parse(key.json) else { continue }
            var devices = keys[key.userID]?.objectValue ?? JSONObject()
            devices[key.deviceID] = [ "\(key.algorithm):\(key.keyID)": value ]
            keys[key.userID] = .object(devices)
        }
        for (server, users) in remote {
            guard let federation = self.remote else {
                failures[server.description] = Self.unreachable
                continue
            }
            do {
                let answer = try await federation.claimKeys(server: server, oneTimeKeys: users)
                for (userID, devices) in answer["one_time_keys"]?.objectValue ?? [:] where users[userID] != nil { keys[userID] = devices }
            } catch {
                failures[server.description] = Self.unreachable
            }
        }
        return ["one_time_keys": .object(keys), "failures": .object(failures)]
    }

    /// `GET /keys/changes`: who changed keys or started/stopped sharing a room between two tokens.
    public func changes(_ requester: Requester, from: SyncToken, to: SyncToken) async throws -> JSONObject {
        let lists = try await DeviceListChanges(database: database).compute(for: requester.userID, after: from, upTo: to)
        return ["changed": JSONValue(lists.changed), "left": JSONValue(lists.left)]
    }

    static let unreachable: JSONValue = ["status": 503, "message": "Federation is not available for end-to-end keys yet"]

    /// `object` with the signatures uploaded for it by `signers` merged in.
    func withUploadedSignatures(_ object: JSONObject, on keyID: String, of userID: String, visibleTo signers: Set<String>) async throws -> JSONObject {
        let uploaded = try await database.signatures(on: keyID, of: userID, by: signers)
        return KeyJSON.merging(uploaded.map { ($0.signerUserID, $0.signingKeyID, $0.signature) }, into: object)
    }
}
