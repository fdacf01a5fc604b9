/// A user's or a requirement's power level; room creators in v12 have infinite power.
public enum PowerLevel: Comparable, Sendable, CustomStringConvertible {
    case level(Int64)
    case infinite

    public static func < (a: PowerLevel, b: PowerLevel) -> Bool {
        switch (a, b) {
        case (.level(let x), .level(let y)): x < y
        case (.level, .infinite): true
        case (.infinite, _): false
        }
    }

    public var description: String {
        switch self {
        case .level(let l): String(l)
        case .infinite: "infinite"
        }
    }
}

/// The `m.room.power_levels` of a room as the rules of its version read it, with the spec's
/// defaults when a key — or the whole event — is absent.
public struct PowerLevels: Sendable {
    public let content: JSONObject
    public let exists: Bool
    let version: RoomVersion
    /// Creators: v12's infinite-power users; the v1–v11 creator who has 100 when no PL event exists.
    let creators: Set<String>

    /// - Parameters:
    ///   - event: the power levels event, or nil when the room has none.
    ///   - create: the room's create event (who the creators are).
    public init(event: PDU?, create: PDU?, version: RoomVersion) {
        self.version = version
        content = event?.content ?? [:]
        exists = event != nil
        var creators: Set<String> = []
        if let create {
            if version.creatorIsSender {
                creators.insert(create.sender)
            } else if let creator = create.content["creator"]?.stringValue {
                creators.insert(creator)
            }
            if version.hashedRoomIDs {
                for user in create.content["additional_creators"]?.arrayValue ?? [] {
                    if let u = user.stringValue { creators.insert(u) }
                }
            }
        }
        self.creators = creators
    }

    /// Reads a power level value the way the room version allows: integers; strings of
    /// integers before v10; floats (truncated) before v6. Nil for anything else.
    public static func parse(_ value: JSONValue, version: RoomVersion) -> Int64? {
        switch value {
        case .int(let i):
            return i
        case .double(let d) where version.floatPowerLevels:
            guard d.isFinite, abs(d) < 9.2e18 else { return nil }
            return Int64(d.rounded(.towardZero))
        case .string(let s) where !version.integerPowerLevels:
            let trimmed = s.trimmingASCIIWhitespace
            var digits = Substring(trimmed)
            var negative = false
            if let sign = digits.first, sign == "+" || sign == "-" {
                negative = sign == "-"
                digits = digits.dropFirst()
            }
            guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int64(digits) else { return nil }
            return negative ? -n : n
        default:
            return nil
        }
    }

    func value(_ key: String, default fallback: Int64) -> Int64 {
        content[key].flatMap { Self.parse($0, version: version) } ?? fallback
    }

    public var usersDefault: Int64 { value("users_default", default: 0) }
    public var eventsDefault: Int64 { value("events_default", default: 0) }
    /// 50 when a power levels event exists, 0 when the room has none.
    public var stateDefault: Int64 { value("state_default", default: exists ? 50 : 0) }
    public var ban: Int64 { value("ban", default: 50) }
    public var kick: Int64 { value("kick", default: 50) }
    public var redact: Int64 { value("redact", default: 50) }
    public var invite: Int64 { value("invite", default: 0) }

    public func userLevel(_ userID: String) -> PowerLevel {
        if version.hashedRoomIDs, creators.contains(userID) { return .infinite }
        if let v = content["users"]?[userID], let level = Self.parse(v, version: version) { return .level(level) }
        if !exists { return .level(creators.contains(userID) ? 100 : 0) }
        return .level(usersDefault)
    }

    /// The level needed to send an event of this type.
    public func eventLevel(type: String, isState: Bool) -> Int64 {
        if let v = content["events"]?[type], let level = Self.parse(v, version: version) { return level }
        return isState ? stateDefault : eventsDefault
    }

    public func notificationLevel(_ key: String) -> Int64 {
        content["notifications"]?[key].flatMap { Self.parse($0, version: version) } ?? 50
    }

    public func canSend(type: String, isState: Bool, user: String) -> Bool {
        userLevel(user) >= .level(eventLevel(type: type, isState: isState))
    }
    public func canInvite(_ user: String) -> Bool { userLevel(user) >= .level(invite) }
    public func canRedact(_ user: String) -> Bool { userLevel(user) >= .level(redact) }
    public func canKick(_ user: String) -> Bool { userLevel(user) >= .level(kick) }
    public func canBan(_ user: String) -> Bool { userLevel(user) >= .level(ban) }
}

extension String {
    var trimmingASCIIWhitespace: Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\u{0C}" || $0 == "\u{0B}" }
        var s = Substring(self)
        while let f = s.first, isSpace(f) { s = s.dropFirst() }
        while let l = s.last, isSpace(l) { s = s.dropLast() }
        return s
    }
}
