import MatrixProtocol
import Store

/// Server-side aggregations in `unsigned.m.relations` (spec "Aggregations of child events"):
/// the `m.thread` summary of a thread root and the latest `m.replace` edit of an edited event,
/// made only of events the requester may see.
extension Sync {
    /// Client-format events with their aggregations.
    func formatWithRelations(_ pdus: [PDU], room: RoomRecord, version: RoomVersion, shownTo: EventAudience, upTo: Int64,
                             includeRoomID: Bool) async throws -> [JSONValue] {
        let userID = shownTo.userID
        let roots = try await database.threadRoots(among: pdus.map(\.eventID))
        let editable = pdus.filter(Self.isEditable).map(\.eventID)
        let edits = try await database.replacements(of: editable, upTo: upTo)
        let viewer = roots.isEmpty && edits.isEmpty ? nil : try await viewer(of: userID, in: room)
        var out: [JSONValue] = []
        out.reserveCapacity(pdus.count)
        for pdu in pdus {
            var formatted = ClientEvent.format(pdu, includeRoomID: includeRoomID)
            if let viewer {
                var relations = formatted["unsigned"]?["m.relations"]?.objectValue ?? [:]
                if let candidates = edits[pdu.eventID],
                   let edit = Self.latestEdit(of: pdu, among: candidates.filter(viewer.canSee), version: version) {
                    relations["m.replace"] = .object(ClientEvent.format(edit, includeRoomID: includeRoomID))
                }
                if roots.contains(pdu.eventID),
                   let summary = try await threadSummary(pdu.eventID, room: room, version: version, shownTo: shownTo, upTo: upTo,
                                                         viewer: viewer, includeRoomID: includeRoomID) {
                    relations["m.thread"] = .object(summary)
                }
                if !relations.isEmpty {
                    var unsigned = formatted["unsigned"]?.objectValue ?? [:]
                    unsigned["m.relations"] = .object(relations)
                    formatted["unsigned"] = .object(unsigned)
                }
            }
            out.append(.object(formatted))
        }
        return out
    }

    /// `m.thread`: the latest visible reply (with its own latest edit), the count of visible
    /// replies, and whether the user took part; nil when no reply is visible.
    func threadSummary(_ rootID: String, room: RoomRecord, version: RoomVersion, shownTo: EventAudience, upTo: Int64,
                       viewer: Viewer, includeRoomID: Bool) async throws -> JSONObject? {
        let userID = shownTo.userID
        var replyAudience = shownTo
        replyAudience.memberships = viewer.timeline
        let replies = try await database.relations(to: rootID, room: room, relType: "m.thread", eventType: nil, after: 0,
                                                   before: upTo + 1, backwards: true, limit: 10_000).filter(viewer.canSee)
        guard let latest = replies.first,
              let latestPDU = try? latest.clientPDU(version: version, for: replyAudience) else { return nil }
        let rootSender = try await database.event(rootID)?.pdu(version: version).sender
        let participated = try rootSender == userID || replies.contains { try $0.pdu(version: version).sender == userID }
        var latestFormatted = ClientEvent.format(latestPDU, includeRoomID: includeRoomID)
        if Self.isEditable(latestPDU), let candidates = try await database.replacements(of: [latestPDU.eventID], upTo: upTo)[latestPDU.eventID],
           let edit = Self.latestEdit(of: latestPDU, among: candidates.filter(viewer.canSee), version: version) {
            var unsigned = latestFormatted["unsigned"]?.objectValue ?? [:]
            unsigned["m.relations"] = ["m.replace": .object(ClientEvent.format(edit, includeRoomID: includeRoomID))]
            latestFormatted["unsigned"] = .object(unsigned)
        }
        return [
            "latest_event": .object(latestFormatted),
            "count": .int(Int64(replies.count)),
            "current_user_participated": .bool(participated),
        ]
    }

    /// Events that may carry an edit: not state, not redacted (a redacted original bundles no
    /// edit), not an edit themselves.
    static func isEditable(_ pdu: PDU) -> Bool {
        pdu.stateKey == nil && pdu.json["unsigned"]?["redacted_because"] == nil
            && pdu.content["m.relates_to"]?["rel_type"] != "m.replace"
    }

    /// The most recent valid replacement (spec "Validity of replacement events"): same room,
    /// sender and type, no state key, and `m.new_content` (inside the ciphertext, so not
    /// checkable, for encrypted edits); latest by `origin_server_ts`, then largest event ID.
    static func latestEdit(of original: PDU, among candidates: [StoredEvent], version: RoomVersion) -> PDU? {
        candidates.compactMap { try? $0.pdu(version: version) }
            .filter { edit in
                edit.roomID == original.roomID && edit.sender == original.sender && edit.type == original.type
                    && edit.stateKey == nil && (edit.type == "m.room.encrypted" || edit.content["m.new_content"]?.objectValue != nil)
            }
            .max { ($0.originServerTS, $0.eventID) < ($1.originServerTS, $1.eventID) }
    }
}

extension Sync {
    /// `GET /rooms/{roomId}/event/{eventId}`: one event the user may see, with its aggregations.
    public func event(_ eventID: String, roomID: String, userID: String, deviceID: String? = nil) async throws -> JSONObject {
        let (room, version, visibleUpTo) = try await visibleRoom(roomID, userID: userID)
        guard let stored = try await database.event(eventID), stored.roomNID == room.nid, stored.rejectedReason == nil,
              case let (shown, memberships) = try await visibleWithTimeline([stored], in: room, to: userID), !shown.isEmpty,
              case let shownTo = audience(userID, deviceID, memberships: memberships),
              case .object(let formatted)? = try await formatWithRelations([try stored.clientPDU(version: version, for: shownTo)], room: room,
                                                                            version: version, shownTo: shownTo, upTo: visibleUpTo,
                                                                            includeRoomID: true).first
        else { throw MatrixError.notFound("Event not found") }
        return formatted
    }
}
