import MatrixProtocol
import Sodium
import Store

extension Federation {
    /// The room versions we can join, for `make_join`'s `ver`.
    static let supportedVersions = (1...12).map(String.init)

    /// A local user joins (or knocks on) a room through another server: `make_join` on each
    /// candidate server until one answers, sign the completed event, `send_join`, then verify
    /// the returned state and auth chain (signatures, hashes, auth rules) before installing the
    /// room here. Nothing is stored until the answer passed every check. A 403 ends the attempt;
    /// other refusals (a server that cannot vouch for a restricted join answers 400
    /// `M_UNABLE_TO_AUTHORISE_JOIN` or `M_UNABLE_TO_GRANT_JOIN`) move on to the next server, and
    /// the last one reaches the client when no server let us in.
    public func joinRemote(roomID: String, servers: [String], userID: String, content: JSONObject) async throws {
        var failures: [String] = []
        var refusal: MatrixError?
        for server in servers where server != ourServer {
            guard let destination = try? ServerName(server) else { continue }
            do {
                // Checking and storing a room's state can take a big room's join hundreds of
                // milliseconds: in Swift's pool, not on the event loop serving other requests.
                try await withTaskExecutorPreference(globalConcurrentExecutor) {
                    try await join(roomID: roomID, via: destination, userID: userID, content: content)
                }
                return
            } catch let error as MatrixError where error.status == 403 {
                throw error
            } catch let error as RemoteError where (400..<500).contains(error.status) {
                refusal = MatrixError(error.errcode ?? "M_UNKNOWN", "\(server): \(error.message ?? "HTTP \(error.status)")",
                                      status: error.status, extra: error.extra)
                failures.append("\(server): \(error)")
                logger.info("joining \(roomID) via \(server) refused: \(error)")
            } catch {
                failures.append("\(server): \(error)")
                logger.info("joining \(roomID) via \(server) failed: \(error)")
            }
        }
        if let refusal { throw refusal }
        throw MatrixError("M_UNKNOWN", failures.isEmpty ? "No server to join \(roomID) through"
                          : "Could not join through any server: " + failures.joined(separator: "; "), status: 502)
    }

    private func join(roomID: String, via destination: ServerName, userID: String, content: JSONObject) async throws {
        let query = Self.supportedVersions.map { "ver=\($0)" }.joined(separator: "&")
        let made = try await Self.forbiddenPassedOn(roomID) {
            try await transport.json(to: destination, method: "GET",
                                     path: "/_matrix/federation/v1/make_join/\(pathSegment(roomID))/\(pathSegment(userID))?\(query)",
                                     body: nil, signed: true)
        }
        guard let versionID = made["room_version"]?.stringValue ?? Optional("1"), let version = RoomVersion.named(versionID),
              var event = made["event"]?.objectValue else { throw MatrixError.unknown("Bad make_join answer") }
        guard event["type"]?.stringValue == "m.room.member", event["state_key"]?.stringValue == userID,
              event["sender"]?.stringValue == userID, event["room_id"]?.stringValue == roomID else {
            throw MatrixError.unknown("make_join answered a template for another event")
        }
        // A restricted room's resident server names who vouches for us; it must stay in the event.
        let voucher = version.restrictedJoins ? event["content"]?["join_authorised_via_users_server"] : nil
        var eventContent = content
        if let voucher { eventContent["join_authorised_via_users_server"] = voucher }
        eventContent["membership"] = "join"
        event["content"] = .object(eventContent)
        event["origin"] = .string(ourServer)
        event["origin_server_ts"] = .int(clock.nowMillis())
        if version.eventIDFormat == .serverChosen { event["event_id"] = .string("$\(SecureRandom.alphanumeric(18)):\(ourServer)") }
        event = try EventHashing.addingContentHash(event, version: version)
        event = try EventSigning.sign(event, serverName: ourServer, key: signingKey, version: version)
        let join = try PDU(json: event, version: version)
        let answer = try await Self.forbiddenPassedOn(roomID) {
            try await transport.json(to: destination, method: "PUT",
                                     path: "/_matrix/federation/v2/send_join/\(pathSegment(roomID))/\(pathSegment(join.eventID))",
                                     body: .object(event), signed: true)
        }
        // The voucher's server signs the join (restricted rooms); its copy is the one to keep.
        var final = join
        if var returned = answer["event"]?.objectValue {
            returned["unsigned"] = nil
            if let pdu = try? await verified(returned, version: version), pdu.eventID == join.eventID { final = pdu }
        }
        if let server = voucher?.stringValue.flatMap(MatrixIdentifier.server(of:)), JSONSigning.keyIDs(in: final.json, entity: server).isEmpty {
            throw MatrixError.unknown("\(destination) did not return the join signed by \(server), which vouches for it", status: 502)
        }
        if try await rooms.knowsMembership(of: roomID) {
            // We are in the room (none of our users could vouch for this join): the join is one
            // more event of it, through the pipeline like any other.
            guard let room = try await database.room(roomID) else { throw MatrixError.notFound("Unknown room \(roomID)") }
            switch try await process(final, room: room, version: version, origin: destination.description, fillGaps: true) {
            case .rejected(let reason), .softFailed(let reason): throw MatrixError.forbidden(reason)
            case .accepted, .duplicate: break
            }
            try await database.unforgetRoom(roomID, userID: userID)
            return
        }
        try await install(join: final, version: version, answer: answer)
    }

    /// A 403 from the resident server means the room will not have us: no other server will differ.
    private static func forbiddenPassedOn(_ roomID: String, _ request: () async throws -> JSONObject) async throws -> JSONObject {
        do {
            return try await request()
        } catch let error as RemoteError where error.status == 403 || error.status == 404 && error.errcode == "M_FORBIDDEN" {
            throw MatrixError.forbidden(error.message ?? "Not allowed to join \(roomID)")
        }
    }

    /// Checks and stores the room a `send_join` answer describes, then the join on top of it.
    private func install(join: PDU, version: RoomVersion, answer: JSONObject) async throws {
        let roomID = join.roomID
        let room: RoomRecord
        if let existing = try await database.room(roomID) {
            room = existing
        } else {
            room = try await database.createRoom(roomID: roomID, version: version.id, now: clock.nowMillis())
        }
        let state = answer["state"]?.arrayValue ?? []
        try await storeChecked((answer["auth_chain"]?.arrayValue ?? []) + state, room: room, version: version)
        var stateMap = StateMap()
        var ids: [String] = []
        for case .object(let json) in state {
            guard let pdu = try? PDU(json: json, version: version), let key = pdu.stateKeyPair else { continue }
            ids.append(pdu.eventID)
            stateMap[key] = pdu.eventID
        }
        var stateEvents: [StateKey: PDU] = [:]
        for stored in try await database.events(ids) where stored.rejectedReason == nil {
            let pdu = try stored.pdu(version: version)
            if let key = pdu.stateKeyPair { stateEvents[key] = pdu }
        }
        stateMap = stateMap.filter { stateEvents[$0.key]?.eventID == $0.value }
        guard let create = stateEvents[.create] else { throw MatrixError.unknown("The room state has no create event") }
        if version.hashedRoomIDs {
            guard (try? EventHashing.roomID(ofCreateEvent: create.json, version: version)) == roomID else {
                throw MatrixError.unknown("The create event does not name room \(roomID)")
            }
        }
        do throws(AuthFailure) {
            try AuthRules.check(join, version: version) { stateEvents[$0] }
        } catch {
            throw MatrixError.forbidden("The join is not allowed by the room's state: \(error.reason)")
        }
        try await database.retireMembershipMarkers(room: room)
        let lane = try await rooms.lane(roomID)
        _ = try await lane.appendJoinEvent(join, json: join.json.encodedBytes(), stateBefore: stateMap)
        try await database.unforgetRoom(roomID, userID: join.sender)
    }

    /// Invites a user of another server: their server countersigns the invite before we persist it.
    public func inviteRemote(roomID: String, sender: String, target: String, content: JSONObject) async throws {
        guard let server = MatrixIdentifier.server(of: target), let destination = try? ServerName(server) else {
            throw MatrixError.invalidParam("Invalid user ID \(target)")
        }
        let lane = try await rooms.lane(roomID)
        let version = lane.version
        let stripped = try await strippedState(roomID: roomID)
        let transport = self.transport
        let draft = EventBuilder.Draft(type: "m.room.member", stateKey: target, sender: sender, content: content, redacts: nil)
        _ = try await lane.send(draft) { pdu in
            var wire = pdu.json
            wire["unsigned"] = nil
            let answer: JSONObject
            do {
                answer = try await transport.json(to: destination, method: "PUT",
                                                  path: "/_matrix/federation/v2/invite/\(pathSegment(roomID))/\(pathSegment(pdu.eventID))",
                                                  body: ["room_version": .string(version.id), "event": .object(wire),
                                                         "invite_room_state": .array(stripped)], signed: true)
            } catch let error as RemoteError {
                throw MatrixError(error.errcode ?? "M_UNKNOWN", "\(server) refused the invite: \(error.message ?? "HTTP \(error.status)")",
                                  status: error.status == 403 ? 403 : 502)
            }
            guard let signed = answer["event"]?.objectValue else { throw MatrixError.unknown("\(server) returned no event") }
            // Their signature must be valid, and nothing else about the event may change.
            let checked = try await self.verified(signed, version: version)
            guard checked.eventID == pdu.eventID, JSONSigning.keyIDs(in: signed, entity: server).count > 0 else {
                throw MatrixError.unknown("\(server) returned a different event")
            }
            var merged = pdu.json
            merged["signatures"] = signed["signatures"]
            return try PDU(json: merged, version: version, eventID: pdu.eventID)
        }
    }

    /// The stripped state sent with an invite: the room's name, topic, avatar, join rules… and create event.
    func strippedState(roomID: String) async throws -> [JSONValue] {
        let state = try await rooms.currentState(roomID: roomID)
        return Sync.strippedStateKeys.compactMap { state[$0] }.map { pdu in
            ["type": .string(pdu.type), "state_key": .string(pdu.stateKey ?? ""), "sender": .string(pdu.sender), "content": .object(pdu.content)]
        }
    }

    /// Leaves (or rejects an invite to) a room we have no state of, through a server in it:
    /// `make_leave`, sign, `send_leave`; then records the leave locally.
    public func leaveRemote(roomID: String, servers: [String], userID: String, reason: String?) async throws {
        var lastError: Error = MatrixError.unknown("No server to leave \(roomID) through")
        for server in servers where server != ourServer {
            guard let destination = try? ServerName(server) else { continue }
            do {
                let made = try await transport.json(to: destination, method: "GET",
                                                    path: "/_matrix/federation/v1/make_leave/\(pathSegment(roomID))/\(pathSegment(userID))",
                                                    body: nil, signed: true)
                guard let version = RoomVersion.named(made["room_version"]?.stringValue ?? "1"), var event = made["event"]?.objectValue else {
                    throw MatrixError.unknown("Bad make_leave answer")
                }
                var content: JSONObject = ["membership": "leave"]
                if let reason { content["reason"] = .string(reason) }
                event["content"] = .object(content)
                event["origin"] = .string(ourServer)
                event["origin_server_ts"] = .int(clock.nowMillis())
                if version.eventIDFormat == .serverChosen { event["event_id"] = .string("$\(SecureRandom.alphanumeric(18)):\(ourServer)") }
                event = try EventHashing.addingContentHash(event, version: version)
                event = try EventSigning.sign(event, serverName: ourServer, key: signingKey, version: version)
                let leave = try PDU(json: event, version: version)
                _ = try await transport.json(to: destination, method: "PUT",
                                             path: "/_matrix/federation/v2/send_leave/\(pathSegment(roomID))/\(pathSegment(leave.eventID))",
                                             body: .object(event), signed: true)
                let row = PDUEventRow(eventID: leave.eventID, sender: userID, stateKey: userID, depth: leave.depth, originServerTS: leave.originServerTS)
                let stream = try await database.recordRemoteMembership("leave", roomID: roomID, event: (row, event.encodedBytes()))
                notifier.advance(.events, to: stream)
                return
            } catch {
                lastError = error
            }
        }
        throw lastError
    }
}
