import MatrixProtocol
import Store

/// End-to-end encryption across servers: the `RemoteE2EE` hooks the E2EE services call for remote
/// users, the `user/*` endpoints other servers call for ours, and the EDUs both ways.
extension Federation: RemoteE2EE {
    public func queryKeys(server: ServerName, deviceKeys: JSONObject) async throws -> JSONObject {
        try await transport.json(to: server, method: "POST", path: "/_matrix/federation/v1/user/keys/query",
                                 body: ["device_keys": .object(deviceKeys)], signed: true)
    }

    public func claimKeys(server: ServerName, oneTimeKeys: JSONObject) async throws -> JSONObject {
        try await transport.json(to: server, method: "POST", path: "/_matrix/federation/v1/user/keys/claim",
                                 body: ["one_time_keys": .object(oneTimeKeys)], signed: true)
    }

    public func sendToDevice(server: ServerName, sender: String, type: String, messageID: String, messages: JSONObject) async {
        await queue(edu: ["edu_type": "m.direct_to_device", "content": [
            "sender": .string(sender), "type": .string(type), "message_id": .string(messageID), "messages": .object(messages),
        ]], to: server)
    }

    private func queue(edu: JSONObject, to server: ServerName) async {
        await self.sender.queueEDU(edu, to: [server.description])
    }
}

extension Federation {
    /// Keeps only the entries of a request that name our own users.
    private func ours(_ object: JSONObject) -> JSONObject {
        JSONObject(object.filter { MatrixIdentifier.server(of: $0.key) == ourServer }.map { ($0.key, $0.value) })
    }

    /// A stand-in requester for another server: it sees what any other user may see.
    private var remoteViewer: Requester { Requester(userID: "", deviceID: "", isGuest: false, isAdmin: false, accessTokenHash: []) }

    /// `POST /user/keys/query` for our users.
    public func serveKeysQuery(body: JSONObject, keys e2ee: E2EEKeys) async throws -> JSONObject {
        guard let request = body["device_keys"]?.objectValue else { throw MatrixError.missingParam("Missing 'device_keys'") }
        var answer = try await e2ee.query(remoteViewer, body: ["device_keys": .object(ours(request))])
        answer["failures"] = nil
        answer["user_signing_keys"] = nil
        return answer
    }

    /// `POST /user/keys/claim` for our users.
    public func serveKeysClaim(body: JSONObject, keys e2ee: E2EEKeys) async throws -> JSONObject {
        guard let request = body["one_time_keys"]?.objectValue else { throw MatrixError.missingParam("Missing 'one_time_keys'") }
        var answer = try await e2ee.claim(remoteViewer, body: ["one_time_keys": .object(ours(request))])
        answer["failures"] = nil
        return answer
    }

    /// `GET /user/devices/{userId}`: a user's devices with their keys, and cross-signing keys.
    public func serveUserDevices(userID: String) async throws -> JSONObject {
        guard MatrixIdentifier.server(of: userID) == ourServer, try await database.user(userID) != nil else { throw MatrixError.notFound("Unknown user") }
        var devices: [JSONValue] = []
        let keys = try await database.deviceKeys(userID: userID, deviceIDs: [])
        for device in try await database.devices(of: userID) {
            var entry: JSONObject = ["device_id": .string(device.deviceID)]
            if let name = device.displayName { entry["device_display_name"] = .string(name) }
            if let json = keys.first(where: { $0.deviceID == device.deviceID })?.json, let object = try? JSONParser.parseObject(json) {
                entry["keys"] = .object(object)
            }
            devices.append(.object(entry))
        }
        var answer: JSONObject = ["user_id": .string(userID), "stream_id": .int(try await database.currentDeviceListPosition()),
                                  "devices": .array(devices)]
        let crossSigning = try await database.crossSigningKeys(of: userID)
        if let master = crossSigning["master"], let object = try? JSONParser.parseObject(master.json) { answer["master_key"] = .object(object) }
        if let key = crossSigning["self_signing"], let object = try? JSONParser.parseObject(key.json) { answer["self_signing_key"] = .object(object) }
        return answer
    }

    /// `m.direct_to_device` from `origin`: messages from its users to our devices.
    func receiveToDevice(_ content: JSONObject, origin: String) async throws {
        guard let sender = content["sender"]?.stringValue, MatrixIdentifier.server(of: sender) == origin,
              let type = content["type"]?.stringValue, let messageID = content["message_id"]?.stringValue,
              let messages = content["messages"]?.objectValue else { return }
        var deliveries: [ToDeviceDelivery] = []
        for (userID, devices) in messages where MatrixIdentifier.server(of: userID) == ourServer {
            for (deviceID, body) in devices.objectValue ?? [:] {
                guard let body = body.objectValue else { continue }
                deliveries.append(ToDeviceDelivery(userID: userID, deviceID: deviceID, content: body.encodedBytes()))
            }
        }
        // The message ID makes a retried EDU idempotent, like a client's transaction ID.
        if let position = try await database.queueToDevice(sender: sender, senderDevice: "federation:" + origin, txnID: messageID, type: type,
                                                           deliveries: deliveries, now: clock.nowMillis()) {
            notifier.advance(.toDevice, to: position)
        }
    }

    /// `m.device_list_update` / `m.signing_key_update`: a remote user's devices changed.
    func receiveDeviceListUpdate(_ content: JSONObject, origin: String) async throws {
        guard let user = content["user_id"]?.stringValue, MatrixIdentifier.server(of: user) == origin else { return }
        let position = try await database.recordRemoteDeviceListChange(userID: user)
        notifier.advance(.deviceLists, to: position)
    }

    /// Tells the servers sharing rooms with our users when their devices change (they fetch the
    /// details with `user/devices` or `user/keys/query`). Runs until cancelled.
    public func runDeviceListUpdates() async {
        guard enabled else { return }
        var position = (try? await database.currentDeviceListPosition()) ?? 0
        while !Task.isCancelled {
            let upTo = notifier.current.deviceLists
            if upTo <= position {
                await notifier.wait(for: .deviceLists, after: position)
                continue
            }
            for (user, stream) in (try? await database.localDeviceListChanges(after: position, upTo: upTo, serverSuffix: ":" + ourServer)) ?? [] {
                var servers: Set<String> = []
                for other in (try? await database.usersSharingRoom(with: user)) ?? [] {
                    if let server = MatrixIdentifier.server(of: other), server != ourServer { servers.insert(server) }
                }
                guard !servers.isEmpty else { continue }
                await sender.queueEDU(["edu_type": "m.device_list_update", "content": [
                    "user_id": .string(user), "device_id": "", "stream_id": .int(stream), "prev_id": [], "deleted": false,
                ]], to: servers)
            }
            position = upTo
        }
    }
}
