import MatrixProtocol
import Store

extension Federation {
    /// EDUs of an inbound transaction. Only what the origin may speak for is applied: its own
    /// users, in rooms where they are joined. Unknown types are ignored, as the spec asks.
    func receiveEDU(_ edu: JSONObject, origin: String) async {
        guard let type = edu["edu_type"]?.stringValue, let content = edu["content"]?.objectValue else { return }
        do {
            switch type {
            case "m.typing":
                guard let roomID = content["room_id"]?.stringValue, let user = content["user_id"]?.stringValue,
                      MatrixIdentifier.server(of: user) == origin, try await rooms.membership(of: user, in: roomID) == "join" else { return }
                try await requireACL(origin, roomID: roomID)
                typing.set(roomID: roomID, userID: user, typing: content["typing"]?.boolValue ?? false, timeoutMs: 30_000)
            case "m.receipt":
                for (roomID, byType) in content {
                    guard (try? await requireACL(origin, roomID: roomID)) != nil else { continue }
                    for (receiptType, byUser) in byType.objectValue ?? [:] where receiptType == "m.read" {
                        for (user, receipt) in byUser.objectValue ?? [:] {
                            guard MatrixIdentifier.server(of: user) == origin, try await rooms.membership(of: user, in: roomID) == "join",
                                  let eventID = receipt["event_ids"]?.arrayValue?.first?.stringValue else { continue }
                            let thread = receipt["data"]?["thread_id"]?.stringValue
                            let ts = receipt["data"]?["ts"]?.intValue ?? clock.nowMillis()
                            let stream = try await database.setReceipt(roomID: roomID, type: receiptType, userID: user, threadID: thread,
                                                                       eventID: eventID, ts: ts)
                            notifier.advance(.receipts, to: stream)
                        }
                    }
                }
            case "m.direct_to_device":
                try await receiveToDevice(content, origin: origin)
            case "m.device_list_update", "m.signing_key_update":
                try await receiveDeviceListUpdate(content, origin: origin)
            default:
                logger.debug("ignoring EDU \(type) from \(origin)")
            }
        } catch {
            logger.info("EDU \(type) from \(origin) failed: \(error)")
        }
    }
}

extension Federation {
    /// Tells the other servers in the room that a local user is (not) typing.
    public func sendTyping(roomID: String, userID: String, typing: Bool) async {
        guard enabled, let room = try? await database.room(roomID), let servers = try? await database.joinedServers(roomNID: room.nid) else { return }
        await sender.queueEDU(["edu_type": "m.typing", "content": ["room_id": .string(roomID), "user_id": .string(userID),
                                                                  "typing": .bool(typing)]], to: servers)
    }

    /// Shares a local user's public read receipt with the other servers in the room.
    public func sendReceipt(roomID: String, userID: String, eventID: String, threadID: String?, ts: Int64) async {
        guard enabled, let room = try? await database.room(roomID), let servers = try? await database.joinedServers(roomNID: room.nid) else { return }
        var data: JSONObject = ["ts": .int(ts)]
        if let threadID { data["thread_id"] = .string(threadID) }
        let edu: JSONObject = ["edu_type": "m.receipt", "content": [roomID: ["m.read": [userID: ["event_ids": [.string(eventID)], "data": .object(data)]]]]]
        await sender.queueEDU(edu, to: servers)
    }
}
