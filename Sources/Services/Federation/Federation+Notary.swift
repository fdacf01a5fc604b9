import MatrixProtocol

extension Federation {
    /// A server's key response countersigned by us, fetching it when we hold none or not the
    /// wanted keys. Nil when the server's keys cannot be had.
    public func notaryResponse(server: String, keyIDs: [String]) async throws -> JSONObject? {
        guard (try? ServerName(server)) != nil else { return nil }
        if server == ourServer {
            return try keys.ourKeys.response(now: clock.nowMillis())
        }
        for keyID in keyIDs { _ = try? await keys.key(server: server, keyID: keyID, at: clock.nowMillis()) }
        if keyIDs.isEmpty, try await database.remoteKeyResponse(server: server) == nil {
            _ = try? await keys.refresh(server: server)
        }
        guard let stored = try await database.remoteKeyResponse(server: server),
              let response = try? JSONParser.parseObject(stored.json) else { return nil }
        return try JSONSigning.sign(response, entity: ourServer, key: signingKey)
    }
}

extension RemoteKeys {
    /// Fetches and stores a server's current keys directly.
    func refresh(server: String) async throws {
        guard let name = try? ServerName(server) else { return }
        let response = try await transport.json(to: name, method: "GET", path: "/_matrix/key/v2/server", body: nil, signed: false)
        try await accept(response, from: server, notary: nil)
    }
}
