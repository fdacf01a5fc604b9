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
    /// The presence stream: every visible change gets the next serial, so /sync can send it.
    private var serial: Int64 = 0
    private var changed: [String: Int64] = [:]
    private let clock: Clock
    private let notifier: Notifier

    init(clock: Clock, notifier: Notifier) {
        self.clock = clock
        self.notifier = notifier
    }

    public func set(_ userID: String, state: State, statusMessage: String?, keepMessage: Bool = false) async {
        let old = entries[userID]
        var entry = old ?? Entry(state: state, statusMessage: nil, lastActive: clock.nowMillis())
        entry.state = state
        if !keepMessage { entry.statusMessage = statusMessage }
        if state == .online { entry.lastActive = clock.nowMillis() }
        entries[userID] = entry
        // Only a change of state or message is news; staying online is not.
        guard old == nil || old?.state != entry.state || old?.statusMessage != entry.statusMessage else { return }
        serial += 1
        changed[userID] = serial
        notifier.advance(.presence, to: serial)
    }

    /// `m.presence` events for those of `users` whose presence changed in `(after, upTo]`.
    public func events(for users: Set<String>, after: Int64, upTo: Int64) -> [JSONValue] {
        // Few of them changed: filter before sorting.
        users.filter { user in changed[user].map { $0 > after && $0 <= upTo } ?? false }.sorted().map { user in
            ["type": "m.presence", "sender": .string(user), "content": .object(status(of: user))]
        }
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
