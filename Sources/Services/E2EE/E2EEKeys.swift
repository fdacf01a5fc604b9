import Logging
import MatrixProtocol
import Store
import Synchronization

/// Device keys, one-time and fallback keys, and cross-signing keys (spec "End-to-End
/// Encryption", "Key management API" and "Cross-signing"): the server checks signatures, stores
/// and hands out keys, and tells other users' clients when keys change.
public final class E2EEKeys: Sendable {
    let database: Database
    let notifier: Notifier
    let uia: UserInteractiveAuth
    let stageValidator: @Sendable (String) -> UserInteractiveAuth.StageValidator
    let serverName: ServerName
    let logger: Logger
    private let remoteLink = Mutex<(any RemoteE2EE)?>(nil)

    init(database: Database, notifier: Notifier, accounts: Accounts, serverName: ServerName, logger: Logger) {
        self.database = database
        self.notifier = notifier
        self.uia = accounts.uia
        self.stageValidator = { [accounts] user in accounts.stageValidator(for: user) }
        self.serverName = serverName
        self.logger = logger
    }

    /// Federation's side of key queries and claims; set once federation can serve them.
    public func setRemote(_ remote: any RemoteE2EE) { remoteLink.withLock { $0 = remote } }
    var remote: (any RemoteE2EE)? { remoteLink.withLock { $0 } }

    func isLocal(_ userID: String) throws(MatrixError) -> Bool {
        guard let id = try? UserID(userID) else { throw MatrixError.invalidParam("Invalid user ID '\(userID)'") }
        return id.server == serverName
    }

    // MARK: Upload

    /// `POST /keys/upload`: checks every key, then stores them all in one transaction. Returns
    /// `one_time_key_counts`.
    public func upload(_ requester: Requester, body: JSONObject) async throws -> JSONObject {
        var deviceKeysBytes: [UInt8]?
        var ed25519: String?
        if let deviceKeys = try body.optionalObject("device_keys") {
            ed25519 = try checkDeviceKeys(deviceKeys, requester: requester)
            deviceKeysBytes = KeyJSON.bytes(.object(deviceKeys))
        } else if let stored = try await database.deviceKeys(userID: requester.userID, deviceID: requester.deviceID),
                  let object = KeyJSON.object(stored) {
            ed25519 = object["keys"]?["ed25519:\(requester.deviceID)"]?.stringValue
        }
        let oneTimeKeys = try parseKeys(try body.optionalObject("one_time_keys"), field: "one_time_keys", requester: requester, ed25519: ed25519)
        let fallbackKeys = try parseKeys(try body.optionalObject("fallback_keys"), field: "fallback_keys", requester: requester, ed25519: ed25519)
        guard Set(fallbackKeys.map(\.algorithm)).count == fallbackKeys.count else {
            throw MatrixError.invalidParam("At most one fallback key per algorithm may be uploaded")
        }
        let result: (counts: [String: Int], deviceListPosition: Int64?)
        do {
            result = try await database.uploadKeys(userID: requester.userID, deviceID: requester.deviceID, deviceKeys: deviceKeysBytes,
                                                   oneTimeKeys: oneTimeKeys, fallbackKeys: fallbackKeys, compatible: Self.sameIdentityKeys)
        } catch E2EEStoreError.deviceKeysChanged {
            throw MatrixError.invalidParam("This device already has different identity keys; log in as a new device to change them")
        } catch E2EEStoreError.oneTimeKeyConflict(let name) {
            throw MatrixError.invalidParam("One-time key \(name) already exists with different content")
        }
        if let position = result.deviceListPosition { notifier.advance(.deviceLists, to: position) }
        return ["one_time_key_counts": .object(Self.countsJSON(result.counts))]
    }

    /// Checks `device_keys`: the requester's own device, with its Ed25519 key, and self-signed
    /// by it. Returns that key.
    private func checkDeviceKeys(_ keys: JSONObject, requester: Requester) throws(MatrixError) -> String {
        let what = "device_keys"
        guard try keys.requiredString("user_id") == requester.userID else {
            throw MatrixError.invalidParam("device_keys.user_id must be the requesting user")
        }
        guard try keys.requiredString("device_id") == requester.deviceID else {
            throw MatrixError.invalidParam("device_keys.device_id must be the requesting device")
        }
        guard let algorithms = try keys.optionalStringArray("algorithms") else { throw MatrixError.missingParam("Missing 'algorithms' in \(what)") }
        guard !algorithms.isEmpty else { throw MatrixError.invalidParam("'algorithms' in \(what) is empty") }
        let map = try KeyJSON.keys(keys, what: what)
        for name in map.keys { _ = try KeyJSON.splitKeyName(name) }
        guard let ed25519 = map["ed25519:\(requester.deviceID)"] else {
            throw MatrixError.invalidParam("device_keys.keys lacks ed25519:\(requester.deviceID)")
        }
        guard keys["signatures"] != nil else { throw MatrixError.missingParam("Missing 'signatures' in \(what)") }
        try KeyJSON.verify(keys, signer: requester.userID, keyName: requester.deviceID, publicKey: ed25519)
        return ed25519
    }

    /// Parses one-time or fallback keys; signed ones must carry the device's signature.
    private func parseKeys(_ object: JSONObject?, field: String, requester: Requester, ed25519: String?) throws(MatrixError) -> [UploadedKey] {
        guard let object else { return [] }
        var keys: [UploadedKey] = []
        for (name, value) in object {
            let (algorithm, keyID) = try KeyJSON.splitKeyName(name)
            switch value {
            case .string:
                guard !algorithm.hasPrefix("signed_") else { throw MatrixError.badJSON("\(field).\(name) must be a signed key object") }
            case .object(let key):
                guard key["key"]?.stringValue != nil else { throw MatrixError.badJSON("\(field).\(name) lacks a string 'key'") }
                if algorithm.hasPrefix("signed_") || key["signatures"] != nil {
                    guard let ed25519 else {
                        throw MatrixError.invalidParam("Upload the device keys before signed \(field): there is no key to check them with")
                    }
                    try KeyJSON.verify(key, signer: requester.userID, keyName: requester.deviceID, publicKey: ed25519)
                }
            default:
                throw MatrixError.badJSON("\(field).\(name) must be a string or an object")
            }
            keys.append(UploadedKey(algorithm: algorithm, keyID: keyID, json: KeyJSON.bytes(value)))
        }
        return keys
    }

    /// Device keys may be uploaded again (with more signatures, say) but not changed.
    @Sendable static func sameIdentityKeys(_ old: [UInt8], _ new: [UInt8]) -> Bool {
        KeyJSON.object(old)?["keys"] == KeyJSON.object(new)?["keys"]
    }

    /// Counts as clients expect them: `signed_curve25519` is always present, even at 0.
    static func countsJSON(_ counts: [String: Int]) -> JSONObject {
        var object = JSONObject(counts.map { ($0.key, JSONValue($0.value)) })
        if object["signed_curve25519"] == nil { object["signed_curve25519"] = 0 }
        return object
    }
}
