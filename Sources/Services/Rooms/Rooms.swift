import ApusConfig
import Logging
import MatrixProtocol
import Sodium
import Store

/// Rooms on this server: creation, membership, sending, reading state. Rules live in
/// `MatrixProtocol`; this service applies them to stored rooms.
public final class Rooms: Sendable {
    let config: ApusConfiguration
    let database: Database
    let clock: Clock
    let builder: EventBuilder
    let lanes: RoomLanes
    let notifier: Notifier
    let federation = FederationLink()
    let notifications: PushNotifications

    init(config: ApusConfiguration, database: Database, clock: Clock, signingKey: SigningKey, notifier: Notifier,
         notifications: PushNotifications) {
        self.config = config
        self.database = database
        self.clock = clock
        self.builder = EventBuilder(serverName: config.serverName, signingKey: signingKey)
        self.notifier = notifier
        self.notifications = notifications
        self.lanes = RoomLanes()
    }

    var serverName: String { config.serverName.description }

    /// The lane of a room this server knows, or `M_NOT_FOUND`.
    func lane(_ roomID: String) async throws -> RoomLane {
        if let lane = await lanes.existing(roomID) { return lane }
        guard let room = try await database.room(roomID) else { throw MatrixError.notFound("Unknown room \(roomID)") }
        guard let version = RoomVersion.named(room.version) else { throw MatrixError.unsupportedRoomVersion(room.version) }
        let notifier = self.notifier
        return await lanes.lane(roomID) {
            RoomLane(room: room, version: version, database: database, builder: builder, clock: clock, notifications: notifications,
                     onAppend: { stream in notifier.advance(.events, to: stream) })
        }
    }

    /// Sends an event as `sender` into a room.
    public func send(roomID: String, sender: String, type: String, stateKey: String?, content: JSONObject,
                     redacts: String? = nil) async throws -> PDU {
        let lane = try await lane(roomID)
        return try await lane.send(EventBuilder.Draft(type: type, stateKey: stateKey, sender: sender, content: content, redacts: redacts))
    }

    /// A user's current membership in a room (nil when none).
    public func membership(of userID: String, in roomID: String) async throws -> String? {
        guard let room = try await database.room(roomID) else { return nil }
        return try await database.membership(of: userID, in: room)
    }

    /// Throws unless the user is joined to the room (`M_FORBIDDEN`), or the room is unknown (`M_NOT_FOUND`
    /// is not used: unknown and not-joined look the same to a non-member).
    public func requireJoined(_ userID: String, _ roomID: String) async throws {
        guard try await membership(of: userID, in: roomID) == "join" else {
            throw RoomLane.notJoined(roomID)
        }
    }

    /// The room's lane when the user is joined to it now (read from the lane's state in memory);
    /// `M_FORBIDDEN` otherwise, also for an unknown room. A send checks instead in the lane's
    /// turn that builds its event (`RoomLane.send(requireJoined:)`).
    func joinedLane(_ userID: String, _ roomID: String) async throws -> RoomLane {
        let lane = try await memberLane(roomID)
        guard try await lane.membership(of: userID) == "join" else { throw RoomLane.notJoined(roomID) }
        return lane
    }

    /// The room's lane for a member's request; an unknown room is `M_FORBIDDEN` too (unknown and
    /// not joined look the same to a non-member).
    func memberLane(_ roomID: String) async throws -> RoomLane {
        do { return try await lane(roomID) } catch let error as MatrixError where error.errcode == "M_NOT_FOUND" {
            throw RoomLane.notJoined(roomID)
        }
    }

    public func currentState(roomID: String) async throws -> [StateKey: PDU] {
        try await lane(roomID).currentState()
    }

    public func stateEvent(roomID: String, key: StateKey) async throws -> PDU? {
        try await lane(roomID).stateEvent(key)
    }

    public func joinedRooms(of userID: String) async throws -> [String] {
        try await database.rooms(of: userID, membership: "join")
    }

    public func joinedMembers(roomID: String) async throws -> [String] {
        guard let room = try await database.room(roomID) else { throw MatrixError.notFound("Unknown room") }
        return try await database.members(of: room, membership: "join")
    }

    /// An event by ID as a member may see it (redacted if it was).
    public func event(_ eventID: String, in roomID: String) async throws -> PDU {
        guard let room = try await database.room(roomID), let version = RoomVersion.named(room.version),
              let stored = try await database.event(eventID), stored.roomNID == room.nid, stored.rejectedReason == nil
        else { throw MatrixError.notFound("Event not found") }
        return try stored.clientPDU(version: version)
    }

    /// The room a local alias points to.
    public func resolveAlias(_ alias: String) async throws -> String? {
        try await database.roomID(forAlias: alias)
    }
}

/// The lanes of the rooms in use, created on demand.
actor RoomLanes {
    var lanes: [String: RoomLane] = [:]

    func existing(_ roomID: String) -> RoomLane? { lanes[roomID] }

    func lane(_ roomID: String, make: () -> RoomLane) -> RoomLane {
        if let lane = lanes[roomID] { return lane }
        let lane = make()
        lanes[roomID] = lane
        return lane
    }
}

extension Rooms {
    /// Sends a message-like event once per (user, device, transaction ID): a retried request
    /// gets the first event's ID back instead of a duplicate.
    public func sendIdempotent(roomID: String, requester: Requester, txnID: String, type: String, content: JSONObject) async throws -> String {
        if let existing = database.eventForTransaction(userID: requester.userID, deviceID: requester.deviceID, txnID: txnID) {
            return existing
        }
        // The lane checks the membership in the same turn that builds the event: one wait for the
        // room's lane per send instead of two.
        let lane = try await memberLane(roomID)
        let transaction = ClientTransaction(userID: requester.userID, deviceID: requester.deviceID, txnID: txnID, now: clock.nowMillis())
        let draft = EventBuilder.Draft(type: type, stateKey: nil, sender: requester.userID, content: content, redacts: nil)
        return try await lane.send(draft, transaction: transaction, requireJoined: true).eventID
    }

    /// State may be sent by joined members; a member event about oneself is a membership change
    /// that the auth rules judge on their own.
    public func requireJoinedOrMembershipChange(_ userID: String, _ roomID: String, type: String) async throws {
        guard try await database.room(roomID) != nil else { throw MatrixError.notFound("Unknown room \(roomID)") }
        if type == "m.room.member" { return }
        try await requireJoined(userID, roomID)
    }
}

extension Rooms {
    /// Throws `M_FORBIDDEN` unless the user could send this state event now (the auth rules
    /// decide, so power levels are read in exactly one place).
    func requirePower(_ userID: String, _ roomID: String, toSendState type: String) async throws {
        let lane = try await lane(roomID)
        let content = try await lane.stateEvent(StateKey(type, ""))?.content ?? [:]
        try await lane.check(EventBuilder.Draft(type: type, stateKey: "", sender: userID, content: content, redacts: nil))
    }
}

extension Rooms {
    /// The member events of a room at a stream position (`/members?at=`), or now.
    public func memberEvents(roomID: String, at position: Int64?) async throws -> [PDU] {
        guard let position else {
            let state = try await currentState(roomID: roomID)
            return state.keys.sorted().filter { $0.type == "m.room.member" }.compactMap { state[$0] }
        }
        guard let room = try await database.room(roomID), let version = RoomVersion.named(room.version) else {
            throw MatrixError.notFound("Unknown room \(roomID)")
        }
        let state = try await database.state(of: room, atStream: position)
        let ids = state.keys.sorted().filter { $0.type == "m.room.member" }.compactMap { state[$0] }
        return try await database.events(ids).compactMap { try? $0.clientPDU(version: version) }
    }
}
