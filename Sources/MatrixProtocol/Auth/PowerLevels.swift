/// The `m.room.power_levels` of a room as the rules of its version read it, with the spec's
/// defaults when a key, or the whole event, is absent (`m.room.power_levels` schema):
/// `users_default`, `events_default`, `invite` 0; `state_default`, `ban`, `kick`, `redact` 50
/// (also when the room has no power levels event: spec PR #1479 removed the old "0" text);
/// `notifications.room` 50.
///
/// Values are read lazily with ``parse(_:version:)`` so building a view is cheap; an accepted
/// power levels event has only well-formed values (rules 10.1–10.3).
public struct PowerLevels: Sendable {
    /// The event's content; empty when the room has none.
    public let content: JSONObject
    /// Whether the room has a power levels event.
    public let exists: Bool
    public let version: RoomVersion
    /// The room creators: v1–v10 `content.creator` of the create event, v11 its `sender`,
    /// v12 its `sender` plus `content.additional_creators`.
    public let creators: Set<String>

    /// - Parameters:
    ///   - event: the power levels event, or nil when the room has none.
    ///   - create: the room's create event (who the creators are).
    public init(event: PDU?, create: PDU?, version: RoomVersion) {
        self.init(content: event?.content, creators: create.map { Self.creators(of: $0, version: version) } ?? [],
                  version: version)
    }

    /// A view of `content` (nil: the room has no power levels event) for known creators.
    public init(content: JSONObject?, creators: Set<String>, version: RoomVersion) {
        self.content = content ?? JSONObject()
        exists = content != nil
        self.creators = creators
        self.version = version
    }

    /// Who created the room, per the create event and the version's rules.
    public static func creators(of create: PDU, version: RoomVersion) -> Set<String> {
        guard version.creatorIsSender else {
            // v1–v10: `content.creator` (required by create rule 1.4).
            return create.content["creator"]?.stringValue.map { [$0] } ?? []
        }
        var creators: Set<String> = [create.sender]
        if version.infiniteCreatorPower {
            for user in create.content["additional_creators"]?.arrayValue ?? [] {
                if let u = user.stringValue { creators.insert(u) }
            }
        }
        return creators
    }

    /// Whether creators have infinite power: v12 (the version that also hashes room IDs).
    var creatorsHaveInfinitePower: Bool { version.infiniteCreatorPower }

    func value(_ key: String, default fallback: Int64) -> Int64 {
        content[key].flatMap { Self.parse($0, version: version) } ?? fallback
    }

    public var usersDefault: Int64 { value("users_default", default: 0) }
    public var eventsDefault: Int64 { value("events_default", default: 0) }
    public var stateDefault: Int64 { value("state_default", default: 50) }
    public var ban: Int64 { value("ban", default: 50) }
    public var kick: Int64 { value("kick", default: 50) }
    public var redact: Int64 { value("redact", default: 50) }
    public var invite: Int64 { value("invite", default: 0) }

    /// A user's level: infinite for v12 creators; else their `users` entry, else `users_default`;
    /// without a power levels event, 100 for the creator (v1–v11) and 0 for everyone else.
    public func userLevel(_ userID: String) -> PowerLevel {
        if creatorsHaveInfinitePower, creators.contains(userID) { return .infinite }
        guard exists else { return .level(creators.contains(userID) ? 100 : 0) }
        if let v = content["users"]?[userID], let level = Self.parse(v, version: version) { return .level(level) }
        return .level(usersDefault)
    }

    /// The level needed to send an event of this type: its `events` entry, else `state_default`
    /// for state events and `events_default` for the others.
    public func eventLevel(type: String, isState: Bool) -> Int64 {
        if let v = content["events"]?[type], let level = Self.parse(v, version: version) { return level }
        return isState ? stateDefault : eventsDefault
    }

    /// The level needed for a notification key such as `room` (`@room` mentions); 50 by default.
    public func notificationLevel(_ key: String) -> Int64 {
        content["notifications"]?[key].flatMap { Self.parse($0, version: version) } ?? 50
    }
}

// What a user may do, for the client API; the auth rules are the authority, these mirror them.
extension PowerLevels {
    /// Rule 8: the event type's required level.
    public func canSend(type: String, isState: Bool, user: String) -> Bool {
        userLevel(user) >= .level(eventLevel(type: type, isState: isState))
    }

    /// Rule 5.4.4 (and rule 7 for `m.room.third_party_invite`).
    public func canInvite(_ user: String) -> Bool { userLevel(user) >= .level(invite) }

    /// Redacting *another* user's event (handling redactions; rule 11 in v1–v2).
    public func canRedact(_ user: String) -> Bool { userLevel(user) >= .level(redact) }

    /// Rule 5.5.4: at least the kick level and above the target.
    public func canKick(_ user: String, target: String) -> Bool {
        let level = userLevel(user)
        return level >= .level(kick) && userLevel(target) < level
    }

    /// Rule 5.6.2: at least the ban level and above the target.
    public func canBan(_ user: String, target: String) -> Bool {
        let level = userLevel(user)
        return level >= .level(ban) && userLevel(target) < level
    }

    /// Rules 5.5.3–5.5.4: lifting a ban needs the ban level as well as a kick.
    public func canUnban(_ user: String, target: String) -> Bool {
        userLevel(user) >= .level(ban) && canKick(user, target: target)
    }

    /// Whether `user` may send a notification such as `@room` (`notifications.room`).
    public func canNotify(_ key: String, user: String) -> Bool {
        userLevel(user) >= .level(notificationLevel(key))
    }
}
