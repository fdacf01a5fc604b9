extension AuthRules {
    /// The servers whose signatures an event needs before it is authorised (server-server API
    /// "Validating hashes and signatures on received events", and the auth rules' preamble):
    /// - the sender's server;
    /// - v1–v2: the server of the `event_id`, when it differs;
    /// - v8+ rule 5.2: for a membership `join` with `join_authorised_via_users_server`, that
    ///   user's server.
    ///
    /// Sorted; a malformed ID contributes nothing (its event fails elsewhere).
    public static func requiredSigningServers(of event: PDU, version: RoomVersion) -> [String] {
        var servers: Set<String> = []
        if let server = serverName(event.sender) { servers.insert(server) }
        if version.eventIDFormat == .serverChosen, let server = serverName(event.eventID) { servers.insert(server) }
        if version.restrictedJoins, event.type == "m.room.member", event.content["membership"]?.stringValue == "join",
           let via = event.content["join_authorised_via_users_server"]?.stringValue, let server = serverName(via) {
            servers.insert(server)
        }
        return servers.sorted()
    }
}
