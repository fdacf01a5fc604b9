import MatrixProtocol
import Store

extension Homeserver {
    /// Deactivates an account: it leaves every room it is in (and rejects its invites), loses
    /// its password and devices; the user ID stays reserved forever.
    public func deactivateAccount(_ userID: String) async throws {
        for roomID in try await rooms.joinedRooms(of: userID) + database.rooms(of: userID, membership: "invite")
            + database.rooms(of: userID, membership: "knock") {
            do { try await rooms.leave(roomID, user: userID, reason: "Account deactivated") } catch {
                logger.info("deactivation of \(userID): leaving \(roomID) failed: \(error)")
            }
        }
        try await database.deactivateUser(userID)
        try await accounts.devicesDeleted()
    }
}
