import MatrixProtocol
import Store

extension RoomLane {
    /// A `make_join`/`make_leave`/`make_knock` template for a user of another server, after
    /// checking that the auth rules would allow the event now.
    func template(_ draft: EventBuilder.Draft, origin: String) async throws -> JSONObject {
        try await exclusively {
            let current = try await loadState()
            let keys = AuthRules.authEventKeys(for: draft.type, stateKey: draft.stateKey, sender: draft.sender,
                                               content: draft.content, version: version)
            let json = EventBuilder.template(draft, roomID: room.roomID, version: version, prevEvents: extremities,
                                             authEvents: keys.compactMap { current[$0]?.eventID }, now: clock.nowMillis(), origin: origin)
            // Check as the remote server would build it: a throwaway ID stands in for the real one.
            var probe = json
            if version.eventIDFormat == .serverChosen { probe["event_id"] = .string("$probe:\(origin)") }
            let pdu: PDU
            do { pdu = try PDU(json: probe, version: version, eventID: "$probe") } catch {
                throw MatrixError.unknown("Cannot build the event template: \(error)")
            }
            do throws(AuthFailure) {
                try AuthRules.check(pdu, version: version) { current[$0] }
            } catch {
                throw MatrixError.forbidden(error.reason)
            }
            return json
        }
    }

    /// Builds and authorises a local event, lets `countersign` have it signed elsewhere (an invite
    /// of a remote user), then persists the countersigned event; nothing is stored if that fails.
    func send(_ draft: EventBuilder.Draft, countersign: @Sendable (PDU) async throws -> PDU) async throws -> PDU {
        try await exclusively {
            var current = try await loadState()
            var heads = extremities
            let built = try Self.buildAuthorised(draft, roomID: room.roomID, version: version, builder: builder, state: &current,
                                                 extremities: &heads, now: clock.nowMillis())
            let signed = try await countersign(built)
            guard signed.eventID == built.eventID else { throw MatrixError.unknown("The invited server changed the event") }
            let stream = try await database.appendTimelineEvent(NewTimelineEvent(pdu: signed, json: signed.json.encodedBytes()), room: room)
            if let key = signed.stateKeyPair { current[key] = signed }
            state = current
            extremities = heads
            onAppend(stream)
            return signed
        }
    }
}
