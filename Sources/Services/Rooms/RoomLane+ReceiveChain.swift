import MatrixProtocol
import Store

extension RoomLane {
    /// The common shape of an inbound transaction: events that each extend the room's only
    /// forward extremity, with auth events from the current state. These are checked against
    /// the state kept in memory and stored in one transaction, instead of one fsync'd commit
    /// each. Returns the outcomes of the leading events taken (a prefix of `pdus`, all accepted);
    /// the first event off that path, and every one after it, is left to `receive`.
    func receiveChain(_ pdus: [PDU]) async throws -> [ReceiveOutcome] {
        try await exclusively {
            var current = try await loadState()
            guard extremities.count == 1, let first = pdus.first, first.prevEvents == [extremities[0].eventID] else { return [] }
            let missing = Set(try await database.missingEvents(pdus.map(\.eventID)))
            var tip = extremities[0]
            var events: [ReceivedEvent] = []
            for pdu in pdus {
                guard missing.contains(pdu.eventID), pdu.prevEvents == [tip.eventID],
                      let authEvents = Self.currentAuthEvents(of: pdu, in: current, version: version)
                else { break }
                do throws(AuthFailure) {
                    try AuthRules.check(pdu, authEvents: authEvents, create: version.hashedRoomIDs ? current[.create] : nil,
                                        version: version, rejected: [])
                    try AuthRules.check(pdu, version: version) { current[$0] }
                } catch {
                    break  // rejected: `receive` stores it with its reason
                }
                let stored = ReplacedState.stored(pdu, stateBefore: current)
                var event = ReceivedEvent.extendingCurrentState(pdu: pdu, json: stored.json.encodedBytes())
                event.pushActions = try? await notifications.actions(for: pdu, stateBefore: current, version: version)
                events.append(event)
                if let key = pdu.stateKeyPair { current[key] = stored }
                tip = (pdu.eventID, pdu.depth)
            }
            guard !events.isEmpty else { return [] }
            let streams = try await database.appendReceivedEvents(events, room: room)
            state = current
            extremities = [tip]
            if let last = streams.compactMap({ $0 }).max() { onAppend(last) }
            return streams.map { stream in stream.map { .accepted(stream: $0) } ?? .duplicate }
        }
    }

    /// The event's auth events when each is the current state event of a key the auth rules
    /// consult for it; nil when one is anything else (an older or unknown event).
    private static func currentAuthEvents(of pdu: PDU, in current: [StateKey: PDU], version: RoomVersion) -> [PDU]? {
        let keys = AuthRules.authEventKeys(for: pdu.type, stateKey: pdu.stateKey, sender: pdu.sender, content: pdu.content,
                                           version: version) + [.create]
        var out: [PDU] = []
        for id in pdu.authEvents {
            guard let event = keys.lazy.compactMap({ current[$0] }).first(where: { $0.eventID == id }) else { return nil }
            out.append(event)
        }
        return out
    }
}
