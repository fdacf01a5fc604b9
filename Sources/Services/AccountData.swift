import MatrixProtocol
import Store

/// Per-user account data, global and per room (spec "Client Config"), and read receipts.
public final class AccountData: Sendable {
    let database: Database
    let notifier: Notifier
    let rooms: Rooms
    let clock: Clock

    init(database: Database, notifier: Notifier, rooms: Rooms, clock: Clock) {
        self.database = database
        self.notifier = notifier
        self.rooms = rooms
        self.clock = clock
    }

    /// Types the server manages itself; clients may not set them through account data.
    static let serverManagedTypes: Set<String> = ["m.fully_read", "m.push_rules"]

    public func set(_ requester: Requester, userID: String, roomID: String?, type: String, content: JSONObject) async throws {
        guard requester.userID == userID else { throw MatrixError.forbidden("Cannot set account data for other users") }
        if roomID != nil, type == "m.fully_read" || Self.serverManagedTypes.contains(type) {
            throw MatrixError("M_BAD_JSON", "\(type) is managed by the server; use /read_markers", status: 405)
        }
        if roomID == nil, type == "m.push_rules" {
            throw MatrixError("M_BAD_JSON", "m.push_rules is managed by the server; use /pushrules", status: 405)
        }
        if let roomID {
            guard (try? RoomID(roomID)) != nil else { throw MatrixError.invalidParam("Invalid room ID") }
            guard try await rooms.membership(of: userID, in: roomID) != nil else {
                throw MatrixError.forbidden("You are not a member of \(roomID)")
            }
        }
        try await write(userID: userID, roomID: roomID, type: type, content: content)
    }

    func write(userID: String, roomID: String?, type: String, content: JSONObject) async throws {
        let position = try await database.setAccountData(userID: userID, roomID: roomID, type: type, content: content.encodedBytes())
        notifier.advance(.accountData, to: position)
    }

    public func get(_ requester: Requester, userID: String, roomID: String?, type: String) async throws -> JSONObject {
        guard requester.userID == userID else { throw MatrixError.forbidden("Cannot read account data of other users") }
        guard let bytes = try await database.accountData(userID: userID, roomID: roomID, type: type),
              let content = try? JSONParser.parseObject(bytes) else {
            if roomID == nil, type == "m.push_rules" { return PushRules.defaultAccountData(for: userID) }
            throw MatrixError.notFound("No account data of type \(type)")
        }
        return content
    }

    /// A receipt for an event the user can see in a room they are joined to.
    public func receipt(_ requester: Requester, roomID: String, type: String, eventID: String, threadID: String?) async throws {
        guard ["m.read", "m.read.private", "m.fully_read"].contains(type) else {
            throw MatrixError.invalidParam("Unknown receipt type '\(type)'")
        }
        try await rooms.requireJoined(requester.userID, roomID)
        _ = try await rooms.event(eventID, in: roomID)  // 404 for unknown events
        if type == "m.fully_read" {
            try await write(userID: requester.userID, roomID: roomID, type: "m.fully_read", content: ["event_id": .string(eventID)])
            return
        }
        let position = try await database.setReceipt(roomID: roomID, type: type, userID: requester.userID, threadID: threadID,
                                                     eventID: eventID, ts: clock.nowMillis())
        notifier.advance(.receipts, to: position)
    }
}

extension AccountData {
    /// Room tags live in the room's `m.tag` account data (spec "Room Tagging").
    public func tags(_ requester: Requester, userID: String, roomID: String) async throws -> JSONObject {
        guard requester.userID == userID else { throw MatrixError.forbidden("Cannot read tags of other users") }
        guard let bytes = try await database.accountData(userID: userID, roomID: roomID, type: "m.tag"),
              let content = try? JSONParser.parseObject(bytes) else { return [:] }
        return content["tags"]?.objectValue ?? [:]
    }

    /// Sets (`value` non-nil) or removes a tag.
    public func setTag(_ requester: Requester, userID: String, roomID: String, tag: String, value: JSONObject?) async throws {
        guard requester.userID == userID else { throw MatrixError.forbidden("Cannot tag rooms for other users") }
        guard tag.utf8.count <= 255 else { throw MatrixError.invalidParam("Tag is longer than 255 bytes") }
        if let order = value?["order"], order.intValue == nil, !(order.isDouble) {
            throw MatrixError.badJSON("'order' must be a number")
        }
        guard try await rooms.membership(of: userID, in: roomID) != nil else {
            throw MatrixError.forbidden("You are not a member of \(roomID)")
        }
        var tags = try await self.tags(requester, userID: userID, roomID: roomID)
        tags[tag] = value.map { .object($0) }
        try await write(userID: userID, roomID: roomID, type: "m.tag", content: ["tags": .object(tags)])
    }
}

extension JSONValue {
    var isDouble: Bool { if case .double = self { true } else { false } }
}
