import MatrixProtocol
import Store
import Synchronization

/// `/sync`: what changed for a user since a token — timeline events by stream position, plus
/// account data, receipts and typing — and a long-poll on the notifier when nothing has.
public final class Sync: Sendable {
    public struct Request: Sendable {
        public var userID: String
        /// The syncing device, whose to-device messages and key counts are returned.
        public var deviceID: String?
        public var since: SyncToken?
        public var timeoutMs: Int64 = 0
        public var fullState = false
        public var filter = SyncFilter()

        public init(userID: String) { self.userID = userID }
    }

    let database: Database
    let notifier: Notifier
    let clock: Clock
    let typing: Typing
    let presence: Presence
    /// For `/messages` to fetch history of rooms joined over federation.
    let federation = FederationLink()
    let notifications: PushNotifications
    /// Per device ("user|device"), the to-device position already acknowledged (its messages
    /// deleted) by this process: a sync from the same token again need not look for any.
    let acknowledgedToDevice = Mutex<[String: Int64]>([:])

    init(database: Database, notifier: Notifier, clock: Clock, typing: Typing, presence: Presence, notifications: PushNotifications) {
        self.database = database
        self.notifier = notifier
        self.clock = clock
        self.typing = typing
        self.presence = presence
        self.notifications = notifications
    }

    /// The state keys an invite's stripped state carries besides member events (spec "Stripped state").
    static let strippedStateKeys: [StateKey] = [
        .create, .joinRules, StateKey("m.room.name", ""), StateKey("m.room.avatar", ""),
        StateKey("m.room.canonical_alias", ""), StateKey("m.room.encryption", ""), StateKey("m.room.topic", ""),
    ]

    public func sync(_ request: Request) async throws -> JSONObject {
        let deadline = clock.nowMillis() + max(0, request.timeoutMs)
        while true {
            let upTo = notifier.current
            let response = try await compute(request, upTo: upTo)
            let remaining = deadline - clock.nowMillis()
            if request.since == nil || request.fullState || Self.hasContent(response) || remaining <= 0 {
                return response
            }
            // Nothing for this user yet: park until a stream moves (maybe for someone else).
            await notifier.wait(after: upTo, timeoutMs: remaining)
            if !notifier.current.isAhead(of: upTo) { return try await compute(request, upTo: upTo) }
        }
    }

    static func hasContent(_ response: JSONObject) -> Bool {
        let rooms = response["rooms"]?.objectValue ?? [:]
        return rooms.contains { !($0.value.objectValue?.isEmpty ?? true) }
            || !(response["account_data"]?["events"]?.arrayValue?.isEmpty ?? true)
            || !(response["presence"]?["events"]?.arrayValue?.isEmpty ?? true)
            || hasE2EEContent(response)
    }

    private func compute(_ request: Request, upTo: SyncToken) async throws -> JSONObject {
        let since = request.since
        var join = JSONObject(), invite = JSONObject(), leave = JSONObject(), knock = JSONObject()
        var forgotten: Set<String>?  // read only if the user has left rooms
        let accountData = try await database.accountDataChanges(userID: request.userID, after: since?.accountData ?? 0,
                                                                upTo: upTo.accountData)
        let memberships = try await database.memberships(of: request.userID)
        for (room, membership, memberStream) in memberships {
            guard request.filter.includesRoom(room.roomID), let version = RoomVersion.named(room.version) else { continue }
            let changedInWindow = since.map { memberStream > $0.events && memberStream <= upTo.events } ?? true
            switch membership {
            case "join":
                let fresh = since == nil || request.fullState || changedInWindow
                let roomData = accountData.filter { $0.roomID == room.roomID }
                if let body = try await joinedRoom(room, version: version, since: fresh ? nil : since, upTo: upTo,
                                                   filter: request.filter, always: fresh, accountData: roomData, userID: request.userID, deviceID: request.deviceID,
                                                   membership: membership) {
                    join[room.roomID] = .object(body)
                }
            case "invite" where changedInWindow:
                invite[room.roomID] = ["invite_state": ["events": .array(
                    try await strippedState(room, version: version, upTo: upTo.events, invitee: request.userID))]]
            case "knock" where changedInWindow:
                knock[room.roomID] = ["knock_state": ["events": .array(
                    try await strippedState(room, version: version, upTo: upTo.events, invitee: request.userID))]]
            case "leave", "ban":
                if forgotten == nil { forgotten = try await database.forgottenRooms(of: request.userID) }
                guard forgotten?.contains(room.roomID) != true else { continue }
                guard since != nil ? changedInWindow : request.filter.includeLeave else { continue }
                var until = upTo
                until.events = min(upTo.events, memberStream)
                if var body = try await joinedRoom(room, version: version, since: since, upTo: until,
                                                   filter: request.filter, always: true, accountData: [], userID: request.userID, deviceID: request.deviceID,
                                                   membership: membership) {
                    body["ephemeral"] = nil
                    body["unread_notifications"] = nil  // counts are for joined rooms only
                    body["unread_thread_notifications"] = nil
                    leave[room.roomID] = .object(body)
                }
            default:
                continue
            }
        }
        let global = accountData.filter { $0.roomID == nil }
        var globalEvents = global.compactMap(Self.accountDataEvent)
        if since == nil, !global.contains(where: { $0.type == "m.push_rules" }) {
            globalEvents.append(["type": "m.push_rules", "content": .object(PushRules.defaultAccountData(for: request.userID))])
        }
        // Presence of the people the user shares a room with (and their own); when no presence
        // changed since the last sync, who those are need not be read (a read per room).
        var presenceEvents: [JSONValue] = []
        if since.map({ $0.presence < upTo.presence }) ?? true {
            var peers: Set<String> = [request.userID]
            for (room, membership, _) in memberships where membership == "join" {
                peers.formUnion(try await database.members(of: room, membership: "join"))
            }
            presenceEvents = await presence.events(for: peers, after: since?.presence ?? 0, upTo: upTo.presence)
        }
        let e2ee = try await e2eeSection(request, upTo: upTo)
        var nextBatch = upTo
        nextBatch.toDevice = e2ee.toDevicePosition
        var response: JSONObject = [
            "next_batch": .string(nextBatch.description),
            "rooms": ["join": .object(join), "invite": .object(invite), "leave": .object(leave), "knock": .object(knock)],
            "account_data": ["events": .array(globalEvents)],
            "presence": ["events": .array(presenceEvents)],
        ]
        for (key, value) in e2ee.fields { response[key] = value }
        return response
    }

    static func accountDataEvent(_ item: (roomID: String?, type: String, content: [UInt8])) -> JSONValue? {
        guard let content = try? JSONParser.parseObject(item.content) else { return nil }
        return ["type": .string(item.type), "content": .object(content)]
    }

    /// A room's timeline since `since` (all of it when nil) and the state the client needs to
    /// apply it — the full state before the timeline, or for a gappy incremental sync the changes
    /// between `since` and the timeline's start — with its ephemeral events and account data.
    private func joinedRoom(_ room: RoomRecord, version: RoomVersion, since: SyncToken?, upTo: SyncToken, filter: SyncFilter,
                            always: Bool, accountData: [(roomID: String?, type: String, content: [UInt8])],
                            userID: String, deviceID: String?, membership: String) async throws -> JSONObject? {
        let limit = filter.timelineLimit
        let newest = try await database.timelineBackwards(room, upTo: upTo.events, after: since?.events ?? 0, limit: limit + 1)
        let ephemeral = try await ephemeralEvents(room.roomID, since: since, upTo: upTo)
        if newest.isEmpty && ephemeral.isEmpty && accountData.isEmpty && !always { return nil }
        let limited = newest.count > limit
        let (timeline, memberships) = try await visibleWithTimeline(Array(newest.prefix(limit).reversed()), in: room, to: userID,
                                                                    membership: membership)
        // An incremental sync without a gap shows every change in the timeline: no state needed
        // (the common case, so the state is not even read), unless members are lazy-loaded.
        var stateMap: StateMap = [:]
        var fullStateBefore: StateMap = [:]
        if since == nil || limited || filter.lazyLoadMembers {
            if let first = timeline.first {
                fullStateBefore = try await database.stateBefore(eventID: first.eventID) ?? [:]
            } else {
                fullStateBefore = try await database.state(of: room, atStream: upTo.events)
            }
            if let since {
                if limited {
                    let before = try await database.state(of: room, atStream: since.events)
                    stateMap = fullStateBefore.filter { before[$0.key] != $0.value }
                }
            } else {
                stateMap = fullStateBefore
            }
        }
        if filter.lazyLoadMembers {
            // Only the members whose events the client is shown (and the user's own), but those
            // always, even on an incremental sync, since the client may never have seen them.
            let senders = Set(try timeline.map { try $0.pdu(version: version).sender } + [userID])
            stateMap = stateMap.filter { $0.key.type != "m.room.member" || senders.contains($0.key.stateKey) }
            stateMap.merge(Self.memberState(of: senders, in: fullStateBefore, excluding: Set(timeline.map(\.eventID)))) { $1 }
        }
        let stateAudience = audience(userID, deviceID)
        let stateEvents = try await database.events(Array(stateMap.values)).compactMap { try? $0.clientPDU(version: version, for: stateAudience) }
        let shownTo = audience(userID, deviceID, memberships: memberships)
        let timelinePDUs = timeline.compactMap { try? $0.clientPDU(version: version, for: shownTo) }.filter { filter.includesTimelineEvent(type: $0.type) }
        let timelineEvents = try await formatWithRelations(timelinePDUs, room: room, version: version, shownTo: shownTo,
                                                         upTo: upTo.events, includeRoomID: false)
        let prevBatch = SyncToken.timeline(max(0, (timeline.first?.streamOrdering ?? upTo.events) - 1))
        let unread = try await notifications.unread(userID: userID, room: room, threaded: filter.unreadThreadNotifications)
        var body: JSONObject = [
            "timeline": [
                "events": .array(timelineEvents),
                "limited": .bool(limited),
                "prev_batch": .string(prevBatch),
            ],
            "state": ["events": .array(stateEvents.sorted { $0.eventID < $1.eventID }.map { .object(ClientEvent.format($0, includeRoomID: false)) })],
            "ephemeral": ["events": .array(ephemeral)],
            "account_data": ["events": .array(accountData.compactMap(Self.accountDataEvent))],
            "unread_notifications": Self.countsJSON(unread.room),
        ]
        if !unread.threads.isEmpty {
            body["unread_thread_notifications"] = .object(JSONObject(unread.threads.map { ($0.key, Self.countsJSON($0.value)) }))
        }
        return body
    }

    static func countsJSON(_ counts: UnreadCounts) -> JSONValue {
        ["highlight_count": .int(Int64(counts.highlights)), "notification_count": .int(Int64(counts.notifications))]
    }

    /// `m.typing` when the room's typing changed since the token (or on an initial sync), and
    /// `m.receipt` with the receipts that changed.
    private func ephemeralEvents(_ roomID: String, since: SyncToken?, upTo: SyncToken) async throws -> [JSONValue] {
        var events: [JSONValue] = []
        let (users, serial) = typing.typing(in: roomID)
        if since.map({ serial > $0.typing && serial <= upTo.typing }) ?? !users.isEmpty {
            events.append(["type": "m.typing", "content": ["user_ids": JSONValue(users)]])
        }
        let receipts = try await database.receipts(roomID: roomID, after: since?.receipts ?? 0, upTo: upTo.receipts)
        if !receipts.isEmpty {
            var content = JSONObject()
            for r in receipts {
                var byEvent = content[r.eventID]?.objectValue ?? [:]
                var byType = byEvent[r.type]?.objectValue ?? [:]
                var entry: JSONObject = ["ts": .int(r.ts)]
                if let thread = r.threadID { entry["thread_id"] = .string(thread) }
                byType[r.userID] = .object(entry)
                byEvent[r.type] = .object(byType)
                content[r.eventID] = .object(byEvent)
            }
            events.append(["type": "m.receipt", "content": .object(content)])
        }
        return events
    }

    /// The stripped state of an invite: the room's descriptive state, the invite itself and the
    /// inviter's membership — no other members.
    private func strippedState(_ room: RoomRecord, version: RoomVersion, upTo: Int64, invitee: String) async throws -> [JSONValue] {
        // An invite over federation to a room we have no state of carries its own stripped state.
        if let stored = try await database.inviteStrippedState(room: room, userID: invitee),
           case .array(let events)? = try? JSONParser.parse(stored) {
            return events.compactMap { event -> JSONValue? in
                guard let type = event["type"]?.stringValue, let sender = event["sender"]?.stringValue,
                      let content = event["content"]?.objectValue else { return nil }
                return ["type": .string(type), "sender": .string(sender), "content": .object(content),
                        "state_key": .string(event["state_key"]?.stringValue ?? "")]
            }
        }
        let state = try await database.state(of: room, atStream: upTo)
        var ids = Self.strippedStateKeys.compactMap { state[$0] }
        guard let inviteID = state[.member(invitee)], let invite = try await database.event(inviteID)?.pdu(version: version) else {
            return []
        }
        ids.append(inviteID)
        if let inviter = state[.member(invite.sender)], invite.sender != invitee { ids.append(inviter) }
        let events = try await database.events(ids).compactMap { try? $0.pdu(version: version) }
        return events.map { pdu in
            var o: JSONObject = ["type": .string(pdu.type), "sender": .string(pdu.sender), "content": .object(pdu.content)]
            o["state_key"] = .string(pdu.stateKey ?? "")
            return .object(o)
        }
    }
}
