import MatrixProtocol
import Store

extension Federation {
    /// `GET /make_join|make_leave|make_knock/{roomId}/{userId}`: a template for a user of `origin`.
    public func makeMembership(_ membership: String, roomID: String, userID: String, origin: String,
                               supportedVersions: [String]) async throws -> JSONObject {
        guard MatrixIdentifier.server(of: userID) == origin else { throw MatrixError.forbidden("\(userID) does not belong to \(origin)") }
        let (_, version) = try await joinedRoom(roomID)
        try await requireACL(origin, roomID: roomID)
        if membership != "leave", !supportedVersions.contains(version.id) {
            throw MatrixError("M_INCOMPATIBLE_ROOM_VERSION", "Room version \(version.id) is not supported by your server",
                              status: 400, extra: ["room_version": .string(version.id)])
        }
        var content: JSONObject = ["membership": .string(membership)]
        if membership == "join", let voucher = try await rooms.restrictedJoinVoucher(roomID: roomID, joiner: userID) {
            content["join_authorised_via_users_server"] = .string(voucher)
        }
        let lane = try await rooms.lane(roomID)
        let template = try await lane.template(EventBuilder.Draft(type: "m.room.member", stateKey: userID, sender: userID,
                                                                  content: content, redacts: nil), origin: origin)
        return ["event": .object(template), "room_version": .string(version.id)]
    }

    /// `PUT /v2/send_join|send_leave|send_knock/{roomId}/{eventId}`: the event joins our graph
    /// through the pipeline; a join gets the room's state and auth chain back.
    public func sendMembership(_ membership: String, roomID: String, eventID: String, origin: String, event json: JSONObject) async throws -> JSONObject {
        let (room, version) = try await joinedRoom(roomID)
        try await requireACL(origin, roomID: roomID)
        var json = json
        json["unsigned"] = nil
        if membership == "join", version.restrictedJoins, let sender = json["sender"]?.stringValue,
           let via = json["content"]?["join_authorised_via_users_server"]?.stringValue, MatrixIdentifier.server(of: via) == ourServer {
            // We vouch only for a joiner who meets the join rules' conditions (make_join may have
            // been skipped), and sign before verifying: our signature is one the event needs.
            _ = try await rooms.restrictedJoinVoucher(roomID: roomID, joiner: sender)
            json = try EventSigning.sign(json, serverName: ourServer, key: signingKey, version: version)
        }
        let pdu = try await verified(json, version: version)
        guard pdu.eventID == eventID, pdu.roomID == roomID, pdu.type == "m.room.member", pdu.stateKey == pdu.sender,
              pdu.content["membership"]?.stringValue == membership, MatrixIdentifier.server(of: pdu.sender) == origin
        else { throw MatrixError.badJSON("The event is not a \(membership) of a user of \(origin) in \(roomID) with ID \(eventID)") }
        let stateBefore = try await database.currentState(of: room)
        switch try await process(pdu, room: room, version: version, origin: origin, fillGaps: false) {
        case .rejected(let reason), .softFailed(let reason): throw MatrixError.forbidden(reason)
        case .accepted, .duplicate: break
        }
        if membership == "knock" { return ["knock_room_state": .array(try await strippedState(roomID: roomID))] }
        guard membership == "join" else { return [:] }
        let stateEvents = try await database.events(Array(stateBefore.values))
        let chain = try await database.authChain(of: Array(stateBefore.values) + [pdu.eventID])
        return [
            "origin": .string(ourServer),
            "state": .array(stateEvents.compactMap { Self.wire($0, version: version) }),
            "auth_chain": .array(chain.compactMap { Self.wire($0, version: version) }),
            "event": .object(pdu.json),
            "members_omitted": false,
            "servers_in_room": JSONValue(Array(try await database.joinedServers(roomNID: room.nid)).sorted()),
        ]
    }

    /// A stored event as sent over federation: its JSON without `unsigned`, redacted when a
    /// redaction applies to it (what was removed here is not handed to other servers either;
    /// hashes and signatures cover the redacted form, so it still verifies).
    static func wire(_ stored: StoredEvent, version: RoomVersion) -> JSONValue? {
        guard var json = try? JSONParser.parseObject(stored.json) else { return nil }
        json["unsigned"] = nil
        if stored.redactedBy != nil { json = Redaction.redact(json, rules: version.redactionRules) }
        return .object(json)
    }

    /// A room we are in, with its version; `M_NOT_FOUND` otherwise.
    func joinedRoom(_ roomID: String) async throws -> (RoomRecord, RoomVersion) {
        guard let room = try await database.room(roomID), let version = RoomVersion.named(room.version),
              try await database.hasCurrentState(room)
        else { throw MatrixError.notFound("Room \(roomID) is not known to this server") }
        return (room, version)
    }

    /// `PUT /v2/invite/{roomId}/{eventId}`: a user of ours invited to a room on another server.
    /// We countersign the invite and remember it (with its stripped state) for the invitee's /sync.
    public func receiveInvite(roomID: String, eventID: String, origin: String, body: JSONObject) async throws -> JSONObject {
        guard let versionID = body["room_version"]?.stringValue, let version = RoomVersion.named(versionID) else {
            throw MatrixError("M_INCOMPATIBLE_ROOM_VERSION", "Unsupported room version", status: 400,
                              extra: ["room_version": body["room_version"] ?? .null])
        }
        guard var json = body["event"]?.objectValue else { throw MatrixError.badJSON("Missing 'event'") }
        json["unsigned"] = nil
        let pdu = try await verified(json, version: version)
        guard pdu.eventID == eventID, pdu.roomID == roomID, pdu.type == "m.room.member",
              pdu.content["membership"]?.stringValue == "invite", let invitee = pdu.stateKey,
              MatrixIdentifier.server(of: invitee) == ourServer, MatrixIdentifier.server(of: pdu.sender) == origin
        else { throw MatrixError.badJSON("Not an invite of a user of this server sent by \(origin)") }
        guard try await database.user(invitee) != nil else { throw MatrixError.notFound("Unknown user \(invitee)") }
        let signed = try EventSigning.sign(pdu.json, serverName: ourServer, key: signingKey, version: version)
        var stripped = body["invite_room_state"]?.arrayValue ?? []
        stripped.append(.object(signed))
        let row = PDUEventRow(eventID: eventID, sender: pdu.sender, stateKey: invitee, depth: pdu.depth, originServerTS: pdu.originServerTS)
        let stream = try await database.recordRemoteInvite(roomID: roomID, version: version.id, invite: (row, signed.encodedBytes()),
                                                           strippedState: JSONValue.array(stripped).encodedBytes(), now: clock.nowMillis())
        notifier.advance(.events, to: stream)
        return ["event": .object(signed)]
    }
}
