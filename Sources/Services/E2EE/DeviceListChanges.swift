import Store

/// Whose device lists a user's clients must refresh between two stream positions (spec
/// "Tracking the device list for a user"): `changed` — users sharing a room with them whose
/// devices or keys changed, or who started sharing a room with them; `left` — users with whom
/// they no longer share any room.
struct DeviceListChanges {
    let database: Database

    func compute(for userID: String, after: SyncToken, upTo: SyncToken) async throws -> (changed: [String], left: [String]) {
        let keyChanges = try await database.deviceListChanges(after: after.deviceLists, upTo: upTo.deviceLists)
        let memberChanges = try await database.membershipChanges(seenBy: userID, after: after.events, upTo: upTo.events)
        guard !keyChanges.isEmpty || !memberChanges.isEmpty else { return ([], []) }  // the common case
        let sharing = try await database.usersSharingRoom(with: userID).union([userID])
        var changed = keyChanges.intersection(sharing)
        var left = Set<String>()
        if !memberChanges.isEmpty {
            let joined = Set(try await database.memberships(of: userID).filter { $0.membership == "join" }.map(\.room.nid))
            // Rooms the user is in, or just joined or left; not those left long ago.
            let relevant = joined.union(memberChanges.filter { $0.userID == userID }.map(\.roomNID))
            for change in memberChanges where change.userID != userID && relevant.contains(change.roomNID) {
                if !sharing.contains(change.userID) {
                    left.insert(change.userID)
                } else if change.membership == "join", joined.contains(change.roomNID) {
                    // A new room in common (perhaps the first): their devices may have changed unseen.
                    changed.insert(change.userID)
                }
            }
        }
        return (changed.sorted(), left.sorted())
    }
}
