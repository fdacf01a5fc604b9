extension AuthRules {
    /// v1–v2 rule 11: a redaction needs the redact level, unless it comes from the server of the
    /// event it redacts (compared by the servers in the two event IDs). From v3 the server
    /// applies this check when it applies the redaction, not in auth.
    static func checkRedaction(_ event: PDU, levels: PowerLevels) throws(AuthFailure) {
        // The m.room.redaction schema requires `redacts` in v1–v10, an event ID (`$…`); the
        // rule's second branch compares its server, so an event without one is malformed here.
        guard let target = event.redacts, (try? EventID(target)) != nil else {
            throw AuthFailure("m.room.redaction needs redacts to be an event ID, " + (event.redacts.map { "not \($0)" } ?? "and has none"))
        }
        // 11.1
        if levels.canRedact(event.sender) { return }
        // 11.2
        if let server = serverName(target), server == serverName(event.eventID) { return }
        // 11.3
        throw AuthFailure("\(event.sender) has power level \(levels.userLevel(event.sender)), below the redact level \(levels.redact), and \(target) is from another server than the redaction")
    }
}
