/// What differs between room versions (spec `content/rooms/v1.md` … `v12.md`), as data.
/// Every rule elsewhere asks this table instead of comparing version strings.
public struct RoomVersion: Sendable, Hashable, CustomStringConvertible {
    public enum EventIDFormat: Sendable, Hashable {
        /// `$opaque:server`, chosen by the sender and carried in the PDU (v1–v2).
        case serverChosen
        /// `$` + reference hash, standard unpadded base64 (v3).
        case referenceHashStandard
        /// `$` + reference hash, URL-safe unpadded base64 (v4+).
        case referenceHashURLSafe
    }

    /// Redaction algorithms; the name is the version that introduced each.
    public enum RedactionRules: Int, Sendable, Hashable, Comparable {
        case v1 = 1, v6 = 6, v8 = 8, v9 = 9, v11 = 11
        public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
    }

    public enum StateResolutionAlgorithm: Sendable, Hashable {
        case v1, v2, v2_1
    }

    public let id: String
    public let eventIDFormat: EventIDFormat
    public let redactionRules: RedactionRules
    public let stateResolution: StateResolutionAlgorithm
    /// Canonical JSON enforced strictly: integers within ±(2^53−1), no floats (v6+).
    public let strictCanonicalJSON: Bool
    /// `m.room.aliases` auth rule (v1–v5).
    public let aliasesAuthRule: Bool
    /// Redaction is an auth rule (v1–v2); later the server checks it when applying.
    public let redactionAuthRule: Bool
    /// Signing keys must be valid at the event's `origin_server_ts` (v5+).
    public let enforceKeyValidity: Bool
    /// Power level checks include `notifications` (v6+).
    public let notificationsPowerLevels: Bool
    /// Knocking (v7+).
    public let knocking: Bool
    /// `restricted` join rule (v8+).
    public let restrictedJoins: Bool
    /// `knock_restricted` join rule (v10+).
    public let knockRestricted: Bool
    /// Power levels must be JSON integers, not strings (v10+).
    public let integerPowerLevels: Bool
    /// Power levels may be floats, truncated (v1–v5).
    public let floatPowerLevels: Bool
    /// The creator is the create event's sender; `content.creator` is not required (v11+).
    public let creatorIsSender: Bool
    /// Room ID derived from the create event, which has no `room_id`; creators have infinite
    /// power; the create event is never listed in `auth_events`; `additional_creators` (v12).
    public let hashedRoomIDs: Bool
    /// Room creators (create sender and `additional_creators`) have infinite power (v12).
    public let infiniteCreatorPower: Bool

    public var description: String { id }

    /// Versions Apus creates rooms in when the client does not say.
    public static let defaultForNewRooms = "11"

    /// The stable versions 1–12, in order.
    public static let all: [RoomVersion] = (1...12).map { make($0) }

    /// The version with this identifier, or nil when Apus does not support it.
    public static func named(_ id: String) -> RoomVersion? {
        all.first { $0.id == id }
    }

    private static func make(_ v: Int) -> RoomVersion {
        RoomVersion(
            id: String(v),
            eventIDFormat: v <= 2 ? .serverChosen : v == 3 ? .referenceHashStandard : .referenceHashURLSafe,
            redactionRules: v >= 11 ? .v11 : v >= 9 ? .v9 : v >= 8 ? .v8 : v >= 6 ? .v6 : .v1,
            stateResolution: v == 1 ? .v1 : v >= 12 ? .v2_1 : .v2,
            strictCanonicalJSON: v >= 6,
            aliasesAuthRule: v <= 5,
            redactionAuthRule: v <= 2,
            enforceKeyValidity: v >= 5,
            notificationsPowerLevels: v >= 6,
            knocking: v >= 7,
            restrictedJoins: v >= 8,
            knockRestricted: v >= 10,
            integerPowerLevels: v >= 10,
            floatPowerLevels: v <= 5,
            creatorIsSender: v >= 11,
            hashedRoomIDs: v >= 12,
            infiniteCreatorPower: v >= 12
        )
    }
}

extension MatrixError {
    public static func unsupportedRoomVersion(_ id: String) -> MatrixError {
        MatrixError("M_UNSUPPORTED_ROOM_VERSION", "Room version '\(id)' is not supported", status: 400)
    }
}
