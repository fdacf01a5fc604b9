/// Who is typing where. Kept in memory only (it is seconds-lived); every change, including a
/// timeout running out, advances the typing stream so long-polling syncs see it.
public actor Typing {
    /// Longest typing timeout honoured; clients renew while typing.
    static let maxTimeoutMs: Int64 = 120_000

    private var rooms: [String: [String: Int64]] = [:]  // room → user → expiry (ms)
    private var serial: Int64 = 0
    private var changed: [String: Int64] = [:]          // room → serial of its last change
    private let clock: Clock
    private let notifier: Notifier

    init(clock: Clock, notifier: Notifier) {
        self.clock = clock
        self.notifier = notifier
    }

    public func set(roomID: String, userID: String, typing: Bool, timeoutMs: Int64) async {
        let now = clock.nowMillis()
        if typing {
            let timeout = min(max(timeoutMs, 0), Self.maxTimeoutMs)
            rooms[roomID, default: [:]][userID] = now + timeout
            Task { [weak self] in
                try? await Task.sleep(for: .milliseconds(timeout + 10))
                await self?.expire(roomID: roomID)
            }
        } else {
            guard rooms[roomID]?[userID] != nil else { return }
            rooms[roomID]?[userID] = nil
        }
        await bump(roomID)
    }

    /// The users typing in a room now, and the serial of the room's last change.
    public func typing(in roomID: String) -> (users: [String], serial: Int64) {
        let now = clock.nowMillis()
        let users = (rooms[roomID] ?? [:]).filter { $0.value > now }.keys.sorted()
        return (users, changed[roomID] ?? 0)
    }

    private func expire(roomID: String) async {
        let now = clock.nowMillis()
        guard let users = rooms[roomID], users.contains(where: { $0.value <= now }) else { return }
        rooms[roomID] = users.filter { $0.value > now }
        await bump(roomID)
    }

    private func bump(_ roomID: String) async {
        serial += 1
        changed[roomID] = serial
        notifier.advance(.typing, to: serial)
    }
}
