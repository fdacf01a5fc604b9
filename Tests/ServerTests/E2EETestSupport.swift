import Foundation
import HummingbirdTesting
import MatrixProtocol
import Sodium
import Testing

let e2eeBase = "/_matrix/client/v3"

/// `object` signed by `user` with `ed25519:<keyName>`, as a client signs its keys.
func signed(_ object: JSONObject, by user: String, keyName: String, with pair: Ed25519.KeyPair) throws -> JSONObject {
    let signature = pair.sign(try JSONSigning.signingBytes(object))
    var result = object
    var all = object["signatures"]?.objectValue ?? JSONObject()
    var mine = all[user]?.objectValue ?? JSONObject()
    mine["ed25519:\(keyName)"] = .string(Base64.encode(signature))
    all[user] = .object(mine)
    result["signatures"] = .object(all)
    return result
}

/// A random Curve25519-sized public key, unpadded base64 (the server never looks inside).
func randomKey() -> String { Base64.encode(SecureRandom.bytes(32)) }

/// A logged-in device with its own Ed25519 identity key, as an E2EE client holds it.
struct E2EEDevice: Sendable {
    let userID: String
    let deviceID: String
    let token: String
    let password: String
    let identity = Ed25519.KeyPair.generate()
    let curve25519 = randomKey()

    var ed25519: String { Base64.encode(identity.publicKey) }

    static func register(_ client: some TestClientProtocol, _ username: String) async throws -> E2EEDevice {
        let password = "pw-\(UUID())"
        let r = try await registerUser(client, username, password: password, extra: ["initial_device_display_name": .string("\(username)'s phone")])
        return E2EEDevice(userID: r.userID, deviceID: r.deviceID, token: r.token, password: password)
    }

    /// Another device of the same user, by password login.
    func login(_ client: some TestClientProtocol, deviceID: String? = nil) async throws -> E2EEDevice {
        var body: JSONObject = ["type": "m.login.password", "identifier": ["type": "m.id.user", "user": .string(userID)],
                                "password": .string(password)]
        if let deviceID { body["device_id"] = .string(deviceID) }
        let r = try await client.call(.post, "\(e2eeBase)/login", body: body)
        #expect(r.status == .ok, "login: \(r.json)")
        return E2EEDevice(userID: userID, deviceID: r.json["device_id"]?.stringValue ?? "", token: r.json["access_token"]?.stringValue ?? "",
                          password: password)
    }

    /// The device's self-signed `device_keys`.
    func deviceKeys() throws -> JSONObject {
        try signed(["user_id": .string(userID), "device_id": .string(deviceID),
                    "algorithms": ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"],
                    "keys": .object(["curve25519:\(deviceID)": .string(curve25519), "ed25519:\(deviceID)": .string(ed25519)])],
                   by: userID, keyName: deviceID, with: identity)
    }

    /// Signed one-time keys `signed_curve25519:<id>` for each id.
    func oneTimeKeys(_ ids: [String], fallback: Bool = false) throws -> JSONObject {
        var keys = JSONObject()
        for id in ids {
            var key: JSONObject = ["key": .string(randomKey())]
            if fallback { key["fallback"] = true }
            keys["signed_curve25519:\(id)"] = .object(try signed(key, by: userID, keyName: deviceID, with: identity))
        }
        return keys
    }

    /// Uploads device keys (and one-time keys) and expects success.
    @discardableResult
    func upload(_ client: some TestClientProtocol, oneTimeKeyIDs: [String] = [], fallbackID: String? = nil) async throws -> JSONObject {
        var body: JSONObject = ["device_keys": .object(try deviceKeys())]
        if !oneTimeKeyIDs.isEmpty { body["one_time_keys"] = .object(try oneTimeKeys(oneTimeKeyIDs)) }
        if let fallbackID { body["fallback_keys"] = .object(try oneTimeKeys([fallbackID], fallback: true)) }
        let r = try await client.call(.post, "\(e2eeBase)/keys/upload", token: token, body: body)
        #expect(r.status == .ok, "keys/upload: \(r.json)")
        return r.json
    }

    func sync(_ client: some TestClientProtocol, since: String? = nil, timeout: Int = 0) async throws -> JSONObject {
        var uri = "\(e2eeBase)/sync?timeout=\(timeout)"
        if let since { uri += "&since=\(since)" }
        let r = try await client.call(.get, uri, token: token)
        #expect(r.status == .ok, "sync: \(r.json)")
        return r.json
    }
}

extension JSONObject {
    var nextBatch: String { self["next_batch"]?.stringValue ?? "" }
    var toDeviceEvents: [JSONValue] { self["to_device"]?["events"]?.arrayValue ?? [] }
    var changedDeviceLists: [String] { (self["device_lists"]?["changed"]?.arrayValue ?? []).compactMap(\.stringValue) }
    var leftDeviceLists: [String] { (self["device_lists"]?["left"]?.arrayValue ?? []).compactMap(\.stringValue) }
}
