import MatrixProtocol

/// Users' presence (spec "Presence"): set by `PUT /presence` and by `/sync`'s `set_presence`,
/// kept in memory (it is ephemeral and rebuilt as clients sync).
public actor Presence {
    public enum State: String, Sendable { case online, unavailable, offline }

    struct Entry {
        var state: State
        var statusMessage: String?
        var lastActive: Int64
    }

    /// How long after the last activity a user still counts as currently active.
    static let activeWindow: Int64 = 5 * 60 * 1000

    private var entries: [String: Entry] = [:]
    private let clock: Clock

    init(clock: Clock) { self.clock = clock }

    public func set(_ userID: String, state: State, statusMessage: String?, keepMessage: Bool = false) {
        var entry = entries[userID] ?? Entry(state: state, statusMessage: nil, lastActive: clock.nowMillis())
        entry.state = state
        if !keepMessage { entry.statusMessage = statusMessage }
        if state == .online { entry.lastActive = clock.nowMillis() }
        entries[userID] = entry
    }

    /// The presence body of `GET /presence/{userId}/status`.
    public func status(of userID: String) -> JSONObject {
        let now = clock.nowMillis()
        guard let entry = entries[userID] else { return ["presence": "offline"] }
        var body: JSONObject = [
            "presence": .string(entry.state.rawValue),
            "last_active_ago": .int(max(0, now - entry.lastActive)),
            "currently_active": .bool(entry.state == .online && now - entry.lastActive < Self.activeWindow),
        ]
        if let message = entry.statusMessage { body["status_msg"] = .string(message) }
        return body
    }
}
