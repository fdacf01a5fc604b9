import MatrixProtocol

extension Federation {
    /// `M_FORBIDDEN` when the room's server ACL bans `origin` (PDUs, EDUs and room requests).
    func requireACL(_ origin: String, roomID: String) async throws {
        guard try await database.room(roomID) != nil,
              let acl = try await rooms.stateEvent(roomID: roomID, key: StateKey("m.room.server_acl", ""))
        else { return }
        guard ServerACL(content: acl.content).allows(origin) else {
            throw MatrixError.forbidden("Server \(origin) is banned from room \(roomID) by its server ACL")
        }
    }
}
