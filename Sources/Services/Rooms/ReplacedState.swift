import MatrixProtocol

/// `unsigned.replaces_state`, `prev_content` and `prev_sender` of a state event: what it replaced,
/// kept in the stored JSON from when the event is stored (the state before it is at hand then).
/// Clients tell a display-name change from a join, or a leave from a rejected invite, by
/// `prev_content`. `unsigned` is outside an event's hashes and signatures, and stripped before
/// the event goes to another server.
enum ReplacedState {
    /// The bytes to store for `pdu`: its JSON, with the state event it replaced in `unsigned`.
    /// Whatever the sending server put in `unsigned` is not kept for a state event.
    static func storedJSON(_ pdu: PDU, replacing replaced: PDU?) -> [UInt8] {
        var json = pdu.json
        guard pdu.stateKey != nil else { return json.encodedBytes() }
        if let replaced {
            json["unsigned"] = [
                "replaces_state": .string(replaced.eventID),
                "prev_content": .object(replaced.content),
                "prev_sender": .string(replaced.sender),
            ]
        } else {
            json["unsigned"] = nil
        }
        return json.encodedBytes()
    }

    /// `storedJSON` for an event whose state before is known as events.
    static func storedJSON(_ pdu: PDU, stateBefore: [StateKey: PDU]) -> [UInt8] {
        storedJSON(pdu, replacing: pdu.stateKeyPair.flatMap { stateBefore[$0] })
    }
}
