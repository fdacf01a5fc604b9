extension AuthRules {
    /// Rule 1: the `m.room.create` event.
    static func checkCreate(_ event: PDU, version: RoomVersion) throws(AuthFailure) {
        // The PDU schema makes the create event a state event with an empty state key; a create
        // event that is not one would never be the room's `m.room.create` state.
        guard let stateKey = event.stateKey else { throw AuthFailure("the m.room.create event has no state_key") }
        guard stateKey.isEmpty else { throw AuthFailure("the m.room.create event's state_key must be empty, not '\(stateKey)'") }
        // 1.1: it starts the room.
        guard event.prevEvents.isEmpty else { throw AuthFailure("the m.room.create event has prev_events") }
        // The sender is validated like every sender (v12 rule 1.4 refers to that validation).
        guard let sender = try? UserID(event.sender) else { throw AuthFailure("sender \(event.sender) is not a valid user ID") }
        if version.hashedRoomIDs {
            // 1.2 (v12): the room ID is derived from the create event, which therefore has none.
            guard event.json["room_id"] == nil else { throw AuthFailure("a v12 m.room.create event must not have a room_id") }
        } else {
            // 1.2 (v1–v11): the room ID's server is the sender's.
            guard let room = try? RoomID(event.roomID), let server = room.server else {
                throw AuthFailure("room_id \(event.roomID) is not a valid room ID")
            }
            guard server == sender.server else {
                throw AuthFailure("room_id \(event.roomID) is not on the sender's server \(sender.server)")
            }
        }
        // 1.3: a room version this server knows.
        if let value = event.content["room_version"] {
            guard let id = value.stringValue, RoomVersion.named(id) != nil else {
                throw AuthFailure("content.room_version \(value.encodedString()) is not a known room version")
            }
        }
        // 1.4 (v1–v10): the creator is named in the content.
        if !version.creatorIsSender, event.content["creator"]?.stringValue == nil {
            throw AuthFailure("the m.room.create event has no content.creator")
        }
        // 1.4 (v12): additional creators are valid user IDs.
        if version.infiniteCreatorPower, let extra = event.content["additional_creators"] {
            guard let list = extra.arrayValue else { throw AuthFailure("content.additional_creators is not an array") }
            for item in list where item.stringValue.flatMap({ try? UserID($0) }) == nil {
                throw AuthFailure("content.additional_creators holds \(item.encodedString()), which is not a valid user ID")
            }
        }
        // 1.5: allow.
    }
}
