import MatrixProtocol
import Store

/// The end-to-end encryption parts of `/sync`: the device's to-device messages, device-list
/// changes, and its one-time and fallback key status.
extension Sync {
    /// To-device messages per response (the spec recommends 100).
    static let toDeviceLimit = 100

    struct E2EESection {
        var fields: JSONObject
        /// Where the next sync's to-device stream starts: before any message not delivered yet.
        var toDevicePosition: Int64
    }

    func e2eeSection(_ request: Request, upTo: SyncToken) async throws -> E2EESection {
        var fields: JSONObject = ["device_lists": ["changed": [], "left": []], "to_device": ["events": []],
                                  "device_one_time_keys_count": .object(E2EEKeys.countsJSON([:])),
                                  "device_unused_fallback_key_types": []]
        var position = upTo.toDevice
        if let since = request.since {
            let lists = try await DeviceListChanges(database: database).compute(for: request.userID, after: since, upTo: upTo)
            fields["device_lists"] = ["changed": JSONValue(lists.changed), "left": JSONValue(lists.left)]
        }
        guard let deviceID = request.deviceID else { return E2EESection(fields: fields, toDevicePosition: position) }
        let after = request.since?.toDevice ?? 0
        if after > 0, !toDeviceAcknowledged(userID: request.userID, deviceID: deviceID, upTo: after) {
            // Syncing from a token past them acknowledges the messages sent before it.
            try await database.deleteToDeviceMessages(userID: request.userID, deviceID: deviceID, upTo: after)
            markToDeviceAcknowledged(userID: request.userID, deviceID: deviceID, upTo: after)
        }
        let messages = try await database.toDeviceMessages(userID: request.userID, deviceID: deviceID, after: after,
                                                           upTo: upTo.toDevice, limit: Self.toDeviceLimit)
        if messages.count == Self.toDeviceLimit, let last = messages.last { position = last.streamID }
        fields["to_device"] = ["events": .array(messages.compactMap { message -> JSONValue? in
            guard let content = try? JSONParser.parseObject(message.content) else { return nil }
            return ["sender": .string(message.sender), "type": .string(message.type), "content": .object(content)]
        })]
        let keys = try await database.keyStatus(userID: request.userID, deviceID: deviceID)
        fields["device_one_time_keys_count"] = .object(E2EEKeys.countsJSON(keys.oneTimeKeys))
        fields["device_unused_fallback_key_types"] = JSONValue(keys.unusedFallbackTypes)
        return E2EESection(fields: fields, toDevicePosition: position)
    }

    /// True when this process already deleted the device's messages up to `position` (after a
    /// restart, the first sync looks once).
    func toDeviceAcknowledged(userID: String, deviceID: String, upTo position: Int64) -> Bool {
        acknowledgedToDevice.withLock { ($0[userID + "|" + deviceID] ?? 0) >= position }
    }

    /// Remembers a deletion that succeeded, so a sync from the same token again skips the lookup.
    func markToDeviceAcknowledged(userID: String, deviceID: String, upTo position: Int64) {
        acknowledgedToDevice.withLock { marks in
            if marks.count >= 100_000 { marks.removeAll() }
            marks[userID + "|" + deviceID] = max(marks[userID + "|" + deviceID] ?? 0, position)
        }
    }

    static func hasE2EEContent(_ response: JSONObject) -> Bool {
        !(response["to_device"]?["events"]?.arrayValue?.isEmpty ?? true)
            || !(response["device_lists"]?["changed"]?.arrayValue?.isEmpty ?? true)
            || !(response["device_lists"]?["left"]?.arrayValue?.isEmpty ?? true)
    }
}
