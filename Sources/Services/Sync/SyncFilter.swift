import MatrixProtocol

/// The parts of a filter Apus applies (spec "Filtering"): the timeline limit, room lists,
/// timeline event types, lazy-loaded members and per-thread notification counts. Other fields
/// are stored with the filter but not applied yet.
public struct SyncFilter: Sendable {
    public var timelineLimit = 10
    public var rooms: Set<String>?
    public var notRooms: Set<String> = []
    public var timelineTypes: [String]?
    public var timelineNotTypes: [String] = []
    public var includeLeave = false
    /// `room.state.lazy_load_members`: member events only for the senders the client sees.
    public var lazyLoadMembers = false
    /// `room.timeline.unread_thread_notifications`: counts per thread in `/sync`.
    public var unreadThreadNotifications = false

    public init() {}

    /// Reads a filter definition; fields of the wrong type are `M_BAD_JSON`.
    public init(json: JSONObject) throws(MatrixError) {
        let room = json["room"]?.objectValue ?? [:]
        if let r = room["rooms"] { rooms = Set(try Self.strings(r, "room.rooms")) }
        if let r = room["not_rooms"] { notRooms = Set(try Self.strings(r, "room.not_rooms")) }
        includeLeave = room["include_leave"]?.boolValue ?? false
        lazyLoadMembers = room["state"]?["lazy_load_members"]?.boolValue ?? false
        if let timeline = room["timeline"]?.objectValue {
            if let limit = timeline["limit"] {
                guard let n = limit.intValue, n >= 1 else { throw MatrixError.badJSON("room.timeline.limit must be a positive integer") }
                timelineLimit = Int(min(n, 1000))
            }
            if let t = timeline["types"] { timelineTypes = try Self.strings(t, "room.timeline.types") }
            if let t = timeline["not_types"] { timelineNotTypes = try Self.strings(t, "room.timeline.not_types") }
            unreadThreadNotifications = timeline["unread_thread_notifications"]?.boolValue ?? false
        }
    }

    /// A `RoomEventFilter` (as `/messages` takes): types and limit at the top level.
    public static func roomEventFilter(json: JSONObject) throws(MatrixError) -> SyncFilter {
        var filter = SyncFilter()
        if let t = json["types"] { filter.timelineTypes = try strings(t, "types") }
        if let t = json["not_types"] { filter.timelineNotTypes = try strings(t, "not_types") }
        filter.lazyLoadMembers = json["lazy_load_members"]?.boolValue ?? false
        return filter
    }

    private static func strings(_ value: JSONValue, _ name: String) throws(MatrixError) -> [String] {
        guard let items = value.arrayValue else { throw MatrixError.badJSON("\(name) must be an array of strings") }
        var out: [String] = []
        for item in items {
            guard let s = item.stringValue else { throw MatrixError.badJSON("\(name) must be an array of strings") }
            out.append(s)
        }
        return out
    }

    public func includesRoom(_ roomID: String) -> Bool {
        !notRooms.contains(roomID) && (rooms?.contains(roomID) ?? true)
    }

    public func includesTimelineEvent(type: String) -> Bool {
        !timelineNotTypes.contains { Self.matches($0, type) } && (timelineTypes?.contains { Self.matches($0, type) } ?? true)
    }

    /// Filter types may end in `*` as a prefix wildcard.
    static func matches(_ pattern: String, _ type: String) -> Bool {
        pattern.hasSuffix("*") ? type.hasPrefix(pattern.dropLast()) : pattern == type
    }
}
