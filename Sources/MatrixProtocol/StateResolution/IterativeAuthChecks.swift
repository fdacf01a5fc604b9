/// The iterative auth checks (spec `v2-state-res.md`, "Iterative auth checks", algorithm steps 2
/// and 4).
extension Resolver {
    /// Authorises each event, in order, against the partial state and applies the ones the rules
    /// allow. A key the rules need that the partial state lacks is taken from the event's own
    /// auth events. Events the provider flags as rejected are never admitted nor used as auth
    /// events (spec "Rejected events").
    ///
    /// Each check reads only the few keys the rules ask for (``AuthRules/authEventKeys(for:stateKey:sender:content:version:)``
    /// and the create event), so its cost does not grow with the size of the room.
    /// `applied` collects the keys of the events applied.
    mutating func iterativeAuthChecks(_ nodes: [Node], state: inout [StateKey: Node], applied: inout Set<StateKey>,
                                      phase: ResolutionPhase) throws(StateResolutionError) {
        for n in nodes {
            let e = try graph.pdu(n)
            guard let key = e.stateKeyPair else { continue }
            if graph.isRejected(n) {
                record(key, n, phase, rejection: "rejected when it was received")
                continue
            }
            var lookup: [StateKey: PDU] = [:]
            for a in try graph.parents(n) {
                guard !graph.isRejected(a), let ae = graph.knownPDU(a), let k = ae.stateKeyPair else { continue }
                lookup[k] = ae
            }
            let needed = AuthRules.authEventKeys(for: e.type, stateKey: e.stateKey, sender: e.sender, content: e.content, version: version)
            for k in needed + [.create] {
                if let s = state[k], !graph.isRejected(s), let se = graph.knownPDU(s) { lookup[k] = se }
            }
            do {
                try AuthRules.check(e, version: version) { lookup[$0] }
                state[key] = n
                applied.insert(key)
                record(key, n, phase, rejection: nil)
            } catch {
                record(key, n, phase, rejection: error.reason)
            }
        }
    }
}
