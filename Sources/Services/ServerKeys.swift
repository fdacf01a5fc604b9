import MatrixProtocol
import Sodium
import Store

/// Our published server keys (`GET /_matrix/key/v2/server`): the current verify key, the keys
/// we used before (from the store's history), signed by the current key.
public struct ServerKeys: Sendable {
    /// How long peers may cache our keys; Synapse publishes one day too.
    public static let validity: Int64 = 24 * 60 * 60 * 1000

    public let serverName: ServerName
    public let signingKey: SigningKey
    public let oldKeys: [OldSigningKey]

    public init(serverName: ServerName, signingKey: SigningKey, oldKeys: [OldSigningKey]) {
        self.serverName = serverName
        self.signingKey = signingKey
        self.oldKeys = oldKeys
    }

    /// The signed key response, valid until `now + validity`.
    public func response(now: Int64) throws -> JSONObject {
        var old = JSONObject()
        for key in oldKeys {
            old[key.keyID] = ["key": .string(key.publicKey), "expired_ts": .int(key.expiredTS)]
        }
        let body: JSONObject = [
            "server_name": .string(serverName.description),
            "valid_until_ts": .int(now + Self.validity),
            "verify_keys": [signingKey.keyID: ["key": .string(signingKey.publicKeyBase64)]],
            "old_verify_keys": .object(old),
        ]
        return try JSONSigning.sign(body, entity: serverName.description, key: signingKey)
    }
}
