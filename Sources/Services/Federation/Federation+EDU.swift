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
                      Self.server(of: user) == origin, try await rooms.membership(of: user, in: roomID) == "join" else { return }
                await typing.set(roomID: roomID, userID: user, typing: content["typing"]?.boolValue ?? false, timeoutMs: 30_000)
            case "m.receipt":
                for (roomID, byType) in content {
                    for (receiptType, byUser) in byType.objectValue ?? [:] where receiptType == "m.read" {
                        for (user, receipt) in byUser.objectValue ?? [:] {
                            guard Self.server(of: user) == origin, try await rooms.membership(of: user, in: roomID) == "join",
                                  let eventID = receipt["event_ids"]?.arrayValue?.first?.stringValue else { continue }
                            let thread = receipt["data"]?["thread_id"]?.stringValue
                            let ts = receipt["data"]?["ts"]?.intValue ?? clock.nowMillis()
                            let stream = try await database.setReceipt(roomID: roomID, type: receiptType, userID: user, threadID: thread,
                                                                       eventID: eventID, ts: ts)
                            await notifier.advance(.receipts, to: stream)
                        }
                    }
                }
            default:
                logger.debug("ignoring EDU \(type) from \(origin)")
            }
        } catch {
            logger.info("EDU \(type) from \(origin) failed: \(error)")
        }
    }
}
