import MatrixProtocol
import Sodium
import Store

extension Federation {
    /// A local user knocks on a room of another server: `make_knock`, sign, `send_knock`; the
    /// knock and the room's stripped state are kept for the user's /sync (`knock` section).
    public func knockRemote(roomID: String, servers: [String], userID: String, content: JSONObject) async throws {
        var lastError: Error = MatrixError.unknown("No server to knock through")
        let query = Self.supportedVersions.filter { (Int($0) ?? 0) >= 7 }.map { "ver=\($0)" }.joined(separator: "&")
        for server in servers where server != ourServer {
            guard let destination = try? ServerName(server) else { continue }
            do {
                let made = try await transport.json(to: destination, method: "GET",
                                                    path: "/_matrix/federation/v1/make_knock/\(pathSegment(roomID))/\(pathSegment(userID))?\(query)",
                                                    body: nil, signed: true)
                guard let version = RoomVersion.named(made["room_version"]?.stringValue ?? ""), version.knocking,
                      var event = made["event"]?.objectValue, event["state_key"]?.stringValue == userID,
                      event["sender"]?.stringValue == userID, event["type"]?.stringValue == "m.room.member" else {
                    throw MatrixError.unknown("Bad make_knock answer")
                }
                var knockContent = content
                knockContent["membership"] = "knock"
                event["content"] = .object(knockContent)
                event["origin"] = .string(ourServer)
                event["origin_server_ts"] = .int(clock.nowMillis())
                event = try EventHashing.addingContentHash(event, version: version)
                event = try EventSigning.sign(event, serverName: ourServer, key: signingKey, version: version)
                let knock = try PDU(json: event, version: version)
                let answer = try await transport.json(to: destination, method: "PUT",
                                                      path: "/_matrix/federation/v1/send_knock/\(pathSegment(roomID))/\(pathSegment(knock.eventID))",
                                                      body: .object(event), signed: true)
                let stripped = answer["knock_room_state"]?.arrayValue ?? answer["knock_state_events"]?.arrayValue ?? []
                let row = PDUEventRow(eventID: knock.eventID, sender: userID, stateKey: userID, depth: knock.depth,
                                      originServerTS: knock.originServerTS)
                let stream = try await database.recordRemoteInvite(roomID: roomID, version: version.id, invite: (row, event.encodedBytes()),
                                                                   strippedState: JSONValue.array(stripped).encodedBytes(),
                                                                   now: clock.nowMillis(), membership: "knock")
                notifier.advance(.events, to: stream)
                return
            } catch let error as RemoteError where error.status == 403 {
                throw MatrixError.forbidden(error.message ?? "Not allowed to knock on \(roomID)")
            } catch {
                lastError = error
            }
        }
        throw lastError
    }
}
