import MatrixProtocol
import Store

extension Federation {
    /// Most events fetched to fill a gap before falling back to the state at the gap.
    static let missingEventsLimit = 20

    /// `PUT /send/{txnId}`: every PDU through the pipeline, each with its own result. A retried
    /// transaction gets the first answer back.
    public func receiveTransaction(origin: String, txnID: String, body: JSONObject) async throws -> JSONObject {
        if let previous = try await database.receivedTransaction(origin: origin, txnID: txnID),
           let answer = try? JSONParser.parseObject(previous) {
            return answer
        }
        guard let pdus = body["pdus"]?.arrayValue, pdus.count <= 50 else {
            throw MatrixError.badJSON("A transaction carries at most 50 PDUs in 'pdus'")
        }
        guard (body["edus"]?.arrayValue?.count ?? 0) <= 100 else { throw MatrixError.badJSON("A transaction carries at most 100 EDUs") }
        var results = JSONObject()
        let objects = pdus.compactMap(\.objectValue)
        let checked = await preverify(objects)
        var position = 0
        while position < objects.count {
            let taken = await receiveChain(checked[position...], origin: origin)
            for pdu in taken { results[pdu.eventID] = [:] }
            if !taken.isEmpty {
                position += taken.count
                continue
            }
            let (eventID, error) = await receive(objects[position], origin: origin, verified: checked[position])
            if let eventID { results[eventID] = error.map { ["error": .string($0)] } ?? [:] }
            position += 1
        }
        for case .object(let edu) in body["edus"]?.arrayValue ?? [] {
            await receiveEDU(edu, origin: origin)
        }
        let answer: JSONObject = ["pdus": .object(results)]
        try await database.recordReceivedTransaction(origin: origin, txnID: txnID, response: answer.encodedBytes(), now: clock.nowMillis())
        return answer
    }

    /// The leading PDUs of `checked` (verified, one room) that extend the room's only forward
    /// extremity, accepted together by the room's lane (`RoomLane.receiveChain`); empty when the
    /// first is not of that kind and must go through `receive`.
    private func receiveChain(_ checked: ArraySlice<Result<PDU, Error>?>, origin: String) async -> [PDU] {
        var run: [PDU] = []
        for entry in checked {
            guard case .success(let pdu)? = entry, pdu.roomID == (run.first ?? pdu).roomID else { break }
            run.append(pdu)
        }
        guard let roomID = run.first?.roomID else { return [] }
        do {
            guard let (room, version) = try await receivingRoom(roomID, origin: origin) else { return [] }
            let lane = try await rooms.lane(roomID)
            let taken = Array(run.prefix(try await lane.receiveChain(run).count))
            for pdu in taken where pdu.type == "m.room.redaction" {
                try await applyRedaction(pdu, room: room, version: version)
            }
            return taken
        } catch {
            return []
        }
    }

    /// Signature and hash checks of a transaction's PDUs, concurrently, for rooms we know.
    private func preverify(_ objects: [JSONObject]) async -> [Result<PDU, Error>?] {
        var out = [Result<PDU, Error>?](repeating: nil, count: objects.count)
        var byVersion: [String: [Int]] = [:]
        var versions: [String: String?] = [:]
        for (index, json) in objects.enumerated() {
            guard let roomID = json["room_id"]?.stringValue else { continue }
            if versions[roomID] == nil { versions[roomID] = .some((try? await database.room(roomID))?.version) }
            guard let version = versions[roomID] ?? nil else { continue }
            byVersion[version, default: []].append(index)
        }
        for (versionID, indices) in byVersion {
            guard let version = RoomVersion.named(versionID) else { continue }
            let results = await verifiedAll(indices.map { objects[$0] }, version: version)
            for (index, result) in zip(indices, results) { out[index] = result }
        }
        return out
    }

    /// One PDU of a transaction: its event ID (nil when it has none we can compute) and the error, if any.
    func receive(_ json: JSONObject, origin: String, verified preverified: Result<PDU, Error>? = nil) async -> (String?, String?) {
        guard let roomID = json["room_id"]?.stringValue else { return (nil, nil) }
        do {
            guard let (room, version) = try await receivingRoom(roomID, origin: origin) else {
                return (try? eventID(json, roomID: roomID), "Unknown room \(roomID)")
            }
            let pdu: PDU
            if let preverified { pdu = try preverified.get() } else { pdu = try await verified(json, version: version) }
            let outcome = try await process(pdu, room: room, version: version, origin: origin, fillGaps: true)
            switch outcome {
            case .rejected(let reason): return (pdu.eventID, "Rejected: \(reason)")
            case .accepted, .duplicate, .softFailed: return (pdu.eventID, nil)
            }
        } catch {
            return (try? eventID(json, roomID: roomID), "\(error)")
        }
    }

    /// The room a PDU from `origin` goes into: one we hold state of (nil otherwise), whose server
    /// ACL admits `origin` (`M_FORBIDDEN` otherwise).
    private func receivingRoom(_ roomID: String, origin: String) async throws -> (RoomRecord, RoomVersion)? {
        guard let room = try await database.room(roomID), let version = RoomVersion.named(room.version),
              try await database.hasCurrentState(room) else { return nil }
        try await requireACL(origin, roomID: roomID)
        return (room, version)
    }

    /// The ID to report a refused PDU under (reference-hash IDs, as every room version from 4 has).
    private func eventID(_ json: JSONObject, roomID: String) throws -> String? {
        guard let version = RoomVersion.named("10") else { return nil }
        return try EventHashing.eventID(json, version: version)
    }

    /// Checks 4–6 of receipt: auth events known and allowing the event, prev events known (gaps
    /// filled from `origin`), then the lane's checks against the state before and current state.
    func process(_ pdu: PDU, room: RoomRecord, version: RoomVersion, origin: String, fillGaps: Bool) async throws -> ReceiveOutcome {
        if let stored = try await database.event(pdu.eventID), !stored.outlier { return .duplicate }
        if let rejection = try await checkAgainstAuthEvents(pdu, room: room, version: version, origin: origin) {
            // Stored (as a rejected outlier) so that events built on it are rejected too.
            try await database.storeOutliers([(pdu, pdu.json.encodedBytes(), rejection)], room: room)
            return .rejected(rejection)
        }
        var prevStates: [String: StateMap] = [:]
        var missing = try await database.missingEvents(pdu.prevEvents)
        if !missing.isEmpty, fillGaps {
            try await fetchMissingEvents(before: pdu, room: room, version: version, origin: origin)
            missing = try await database.missingEvents(pdu.prevEvents)
        }
        // Prev events still unknown, or known only as outliers: ask for the state after them.
        for prev in pdu.prevEvents {
            let stored = try await database.event(prev)
            guard stored == nil || stored!.outlier else { continue }
            guard fillGaps else { throw MatrixError.unknown("Prev event \(prev) is unknown") }
            prevStates[prev] = try await fetchStateAfter(prev, room: room, version: version, origin: origin)
        }
        let lane = try await rooms.lane(room.roomID)
        let outcome = try await lane.receive(pdu, json: pdu.json.encodedBytes(), prevStates: prevStates)
        if case .accepted = outcome, pdu.type == "m.room.redaction" {
            try await applyRedaction(pdu, room: room, version: version)
        }
        return outcome
    }

    /// A received redaction takes effect on its target when the redacting server may redact it:
    /// the target was sent from the same server, or the sender has the room's redact level.
    func applyRedaction(_ redaction: PDU, room: RoomRecord, version: RoomVersion) async throws {
        guard let targetID = redaction.redacts ?? redaction.content["redacts"]?.stringValue,
              let target = try await database.event(targetID), target.roomNID == room.nid,
              let targetPDU = try? target.pdu(version: version) else { return }
        var allowed = MatrixIdentifier.server(of: targetPDU.sender) == MatrixIdentifier.server(of: redaction.sender)
        if !allowed {
            let state = try await rooms.currentState(roomID: room.roomID)
            allowed = PowerLevels(event: state[.powerLevels], create: state[.create], version: version).canRedact(redaction.sender)
        }
        if allowed { try await database.markRedacted(targetID, by: redaction) }
    }

    /// The event's auth events (fetched from `origin` when unknown) and the auth rules with them
    /// as the state. Returns the rejection reason, or nil when the event passes.
    func checkAgainstAuthEvents(_ pdu: PDU, room: RoomRecord, version: RoomVersion, origin: String) async throws -> String? {
        if try await !database.missingEvents(pdu.authEvents).isEmpty {
            try await fetchAuthChain(of: pdu.eventID, room: room, version: version, origin: origin)
        }
        var authEvents: [PDU] = []
        var rejected: Set<String> = []
        for stored in try await database.events(pdu.authEvents) {
            authEvents.append(try stored.pdu(version: version))
            if stored.rejectedReason != nil { rejected.insert(stored.eventID) }
        }
        var create: PDU?
        if version.hashedRoomIDs {
            let createID = "$" + room.roomID.dropFirst()
            create = try await database.event(String(createID)).map { try $0.pdu(version: version) }
        }
        do throws(AuthFailure) {
            try AuthRules.check(pdu, authEvents: authEvents, create: create, version: version, rejected: rejected)
            return nil
        } catch {
            return error.reason
        }
    }

    /// `GET /event_auth`: stores the event's auth chain as outliers, each checked against its own auth events.
    func fetchAuthChain(of eventID: String, room: RoomRecord, version: RoomVersion, origin: String) async throws {
        guard let destination = try? ServerName(origin) else { return }
        let answer = try await transport.json(to: destination, method: "GET",
                                              path: "/_matrix/federation/v1/event_auth/\(pathSegment(room.roomID))/\(pathSegment(eventID))",
                                              body: nil, signed: true)
        try await storeChecked(answer["auth_chain"]?.arrayValue ?? [], room: room, version: version)
    }

    /// Verifies events (signatures, hashes), orders them by depth and stores each as an outlier,
    /// rejected when its own auth events do not allow it.
    public func storeChecked(_ events: [JSONValue], room: RoomRecord, version: RoomVersion) async throws {
        var candidates: [JSONObject] = []
        for case .object(let json) in events {
            guard json["room_id"]?.stringValue == room.roomID || (version.hashedRoomIDs && json["type"]?.stringValue == "m.room.create")
            else { continue }
            candidates.append(json)
        }
        var pdus = await verifiedAll(candidates, version: version).compactMap { try? $0.get() }
        pdus.sort { ($0.depth, $0.eventID) < ($1.depth, $1.eventID) }
        let byID = Dictionary(pdus.map { ($0.eventID, $0) }, uniquingKeysWith: { a, _ in a })
        var rejected: Set<String> = []
        var rows: [(pdu: PDU, json: [UInt8], rejectedReason: String?)] = []
        var writes: [Task<Void, Error>] = []
        let missing = Set(try await database.missingEvents(pdus.map(\.eventID)))
        var known = Set(pdus.map(\.eventID)).subtracting(missing)
        for pdu in pdus where !known.contains(pdu.eventID) {
            var authEvents: [PDU] = []
            for id in pdu.authEvents {
                if let event = byID[id] { authEvents.append(event) }
                else if let stored = try await database.event(id) {
                    authEvents.append(try stored.pdu(version: version))
                    if stored.rejectedReason != nil { rejected.insert(id) }
                }
            }
            var create: PDU?
            if version.hashedRoomIDs { create = byID["$" + room.roomID.dropFirst()] }
            var reason: String?
            do throws(AuthFailure) {
                try AuthRules.check(pdu, authEvents: authEvents, create: create, version: version, rejected: rejected)
            } catch {
                reason = error.reason
                rejected.insert(pdu.eventID)
            }
            rows.append((pdu, pdu.json.encodedBytes(), reason))
            known.insert(pdu.eventID)
            // A big answer (a join's state) is written in parts while the next part is checked.
            if rows.count == Self.outlierWriteChunk {
                let part = rows
                writes.append(Task { [database] in try await database.storeOutliers(part, room: room) })
                rows.removeAll(keepingCapacity: true)
            }
        }
        writes.append(Task { [database, rows] in try await database.storeOutliers(rows, room: room) })
        for write in writes { try await write.value }
    }

    static let outlierWriteChunk = 1000

    /// `POST /get_missing_events`: the events between our extremities and `pdu`, processed oldest first.
    func fetchMissingEvents(before pdu: PDU, room: RoomRecord, version: RoomVersion, origin: String) async throws {
        guard let destination = try? ServerName(origin) else { return }
        let earliest = try await database.forwardExtremities(of: room).map(\.eventID)
        let body: JSONValue = ["earliest_events": JSONValue(earliest), "latest_events": [.string(pdu.eventID)],
                               "limit": .int(Int64(Self.missingEventsLimit)), "min_depth": 0]
        guard let answer = try? await transport.json(to: destination, method: "POST",
                                                      path: "/_matrix/federation/v1/get_missing_events/\(pathSegment(room.roomID))",
                                                      body: body, signed: true) else { return }
        var candidates: [JSONObject] = []
        for case .object(let json) in answer["events"]?.arrayValue ?? [] { candidates.append(json) }
        let events = await verifiedAll(candidates, version: version).compactMap { try? $0.get() }.filter { $0.roomID == room.roomID }
        for event in events.sorted(by: { ($0.depth, $0.eventID) < ($1.depth, $1.eventID) }) {
            // Events still missing their own prevs are filled from the state at those prevs.
            _ = try? await process(event, room: room, version: version, origin: origin, fillGaps: false)
        }
    }

    /// The state after an event we do not have in our graph: `/state` at it from `origin`
    /// (the state before it, verified and stored as outliers), plus the event itself.
    func fetchStateAfter(_ eventID: String, room: RoomRecord, version: RoomVersion, origin: String) async throws -> StateMap {
        guard let destination = try? ServerName(origin) else { throw MatrixError.unknown("Bad origin \(origin)") }
        let answer = try await transport.json(to: destination, method: "GET",
                                              path: "/_matrix/federation/v1/state/\(pathSegment(room.roomID))?event_id=\(pathSegment(eventID))",
                                              body: nil, signed: true)
        var all = answer["auth_chain"]?.arrayValue ?? []
        all += answer["pdus"]?.arrayValue ?? []
        if try await database.event(eventID) == nil {
            let event = try await transport.json(to: destination, method: "GET",
                                                 path: "/_matrix/federation/v1/event/\(pathSegment(eventID))", body: nil, signed: true)
            all += event["pdus"]?.arrayValue ?? []
        }
        try await storeChecked(all, room: room, version: version)
        var state = StateMap()
        for case .object(let json) in answer["pdus"]?.arrayValue ?? [] {
            guard let type = json["type"]?.stringValue, let key = json["state_key"]?.stringValue,
                  let pdu = try? PDU(json: json, version: version) else { continue }
            state[StateKey(type, key)] = pdu.eventID
        }
        guard let stored = try await database.event(eventID) else { throw MatrixError.unknown("Could not fetch \(eventID)") }
        if stored.rejectedReason == nil, let key = try stored.pdu(version: version).stateKeyPair { state[key] = eventID }
        // Every state event must be stored to be referenced by a snapshot.
        let missing = try await database.missingEvents(Array(state.values))
        for id in missing { state = state.filter { $0.value != id } }
        return state
    }
}
