import MatrixProtocol

/// What the E2EE services need from federation: device keys and one-time keys of remote users,
/// and delivery of to-device messages (`m.direct_to_device` EDUs). Until federation provides an
/// implementation, remote users are reported in `failures` and to-device messages to them are
/// dropped with a log line.
public protocol RemoteE2EE: Sendable {
    /// `POST /_matrix/federation/v1/user/keys/query` to `server`; its JSON answer.
    func queryKeys(server: ServerName, deviceKeys: JSONObject) async throws -> JSONObject
    /// `POST /_matrix/federation/v1/user/keys/claim` to `server`; its JSON answer.
    func claimKeys(server: ServerName, oneTimeKeys: JSONObject) async throws -> JSONObject
    /// Queues an `m.direct_to_device` EDU for `server`.
    func sendToDevice(server: ServerName, sender: String, type: String, messageID: String, messages: JSONObject) async
}
