import MatrixProtocol

/// `unsigned.replaces_state`, `prev_content` and `prev_sender` of a state event: what it replaced,
/// kept in the stored JSON from when the event is stored (the state before it is at hand then).
/// Clients tell a display-name change from a join, or a leave from a rejected invite, by
/// `prev_content`. `unsigned` is outside an event's hashes and signatures, and stripped before
/// the event goes to another server.
enum ReplacedState {
    /// `pdu` as stored: a state event with the state event it replaced in `unsigned` (and
    /// nothing else there), any other event as it is. The rooms' cached current state holds
    /// these, so the state lists show what a reload from the database would.
    static func stored(_ pdu: PDU, replacing replaced: PDU?) -> PDU {
        guard pdu.stateKey != nil else { return pdu }
        return pdu.replacingUnsigned(replaced.map { replaced in
            ["replaces_state": .string(replaced.eventID), "prev_content": .object(replaced.content), "prev_sender": .string(replaced.sender)]
        })
    }

    /// `stored` for an event whose state before is known as events.
    static func stored(_ pdu: PDU, stateBefore: [StateKey: PDU]) -> PDU {
        stored(pdu, replacing: pdu.stateKeyPair.flatMap { stateBefore[$0] })
    }
}
