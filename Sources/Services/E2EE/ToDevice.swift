import Logging
import MatrixProtocol
import Sodium
import Store
import Synchronization

/// Send-to-device messaging (spec "Send-to-Device messaging"): messages queue in each target
/// device's inbox until that device syncs past them.
public final class ToDevice: Sendable {
    let database: Database
    let notifier: Notifier
    let clock: Clock
    let serverName: ServerName
    let logger: Logger
    private let remoteLink = Mutex<(any RemoteE2EE)?>(nil)

    init(database: Database, notifier: Notifier, clock: Clock, serverName: ServerName, logger: Logger) {
        self.database = database
        self.notifier = notifier
        self.clock = clock
        self.serverName = serverName
        self.logger = logger
    }

    /// Federation's delivery of `m.direct_to_device` EDUs; set once federation can send them.
    public func setRemote(_ remote: any RemoteE2EE) { remoteLink.withLock { $0 = remote } }

    /// `PUT /sendToDevice/{eventType}/{txnId}`: idempotent per sending device and transaction ID.
    public func send(_ requester: Requester, type: String, txnID: String, body: JSONObject) async throws {
        guard let messages = try body.optionalObject("messages") else { throw MatrixError.missingParam("Missing 'messages'") }
        var local: [ToDeviceDelivery] = []
        var remote: [ServerName: JSONObject] = [:]
        for (userID, value) in messages {
            guard let user = try? UserID(userID) else { throw MatrixError.invalidParam("Invalid user ID '\(userID)'") }
            guard let devices = value.objectValue else { throw MatrixError.badJSON("messages.\(userID) must map device IDs to contents") }
            for (deviceID, content) in devices {
                guard let content = content.objectValue else { throw MatrixError.badJSON("messages.\(userID).\(deviceID) must be an object") }
                if user.server == serverName { local.append(ToDeviceDelivery(userID: userID, deviceID: deviceID, content: content.encodedBytes())) }
            }
            if user.server != serverName { remote[user.server, default: JSONObject()][userID] = value }
        }
        guard let position = try await database.queueToDevice(sender: requester.userID, senderDevice: requester.deviceID, txnID: txnID,
                                                              type: type, deliveries: local, now: clock.nowMillis())
        else { return }  // a retry: already queued
        notifier.advance(.toDevice, to: position)
        for (server, users) in remote {
            if let federation = remoteLink.withLock({ $0 }) {
                await federation.sendToDevice(server: server, sender: requester.userID, type: type,
                                              messageID: SecureRandom.alphanumeric(16), messages: users)
            } else {
                // TODO(federation): send as an m.direct_to_device EDU once the sender queues EDUs for it.
                logger.info("to-device messages for a remote server dropped: federation of to-device is not available yet",
                            metadata: ["destination": "\(server)", "type": "\(type)"])
            }
        }
    }
}
