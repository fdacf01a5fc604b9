import MatrixProtocol
import Store

extension Rooms {
    /// Redacts an event (`PUT /rooms/{roomId}/redact/{eventId}/{txnId}`): allowed for the event's
    /// own sender, or for a user at or above the room's redact level. The redaction is sent as an
    /// event and applied to the stored target at once.
    public func redact(roomID: String, eventID: String, requester: Requester, txnID: String, reason: String?) async throws -> String {
        if let existing = database.eventForTransaction(userID: requester.userID, deviceID: requester.deviceID, txnID: txnID) {
            return existing
        }
        let lane = try await joinedLane(requester.userID, roomID)
        let target = try await event(eventID, in: roomID)
        let version = lane.version
        if target.sender != requester.userID {
            let levels = PowerLevels(event: try await lane.stateEvent(.powerLevels), create: try await lane.stateEvent(.create), version: version)
            guard levels.canRedact(requester.userID) else {
                throw MatrixError.forbidden("You may only redact your own events (your power level is below the redact level)")
            }
        }
        var content: JSONObject = [:]
        if let reason { content["reason"] = .string(reason) }
        // From v11 `redacts` lives in content; before, at the top level.
        if version.creatorIsSender { content["redacts"] = .string(eventID) }
        let transaction = ClientTransaction(userID: requester.userID, deviceID: requester.deviceID, txnID: txnID, now: clock.nowMillis())
        let pdu = try await lane.send(EventBuilder.Draft(type: "m.room.redaction", stateKey: nil, sender: requester.userID,
                                                         content: content, redacts: version.creatorIsSender ? nil : eventID),
                                      transaction: transaction)
        try await database.markRedacted(eventID, by: pdu)
        return pdu.eventID
    }
}
