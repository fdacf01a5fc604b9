import Synchronization

/// Who is typing where. Kept in memory only (it is seconds-lived); every change, including a
/// timeout running out, advances the typing stream so long-polling syncs see it.
///
/// A lock, not an actor: every `/sync` reads it for each joined room, and an actor hop there let
/// other work on the event loop run first, in the middle of a woken long-poll.
public final class Typing: Sendable {
    /// Longest typing timeout honoured; clients renew while typing.
    static let maxTimeoutMs: Int64 = 120_000

    private struct State {
        var rooms: [String: [String: Int64]] = [:]  // room → user → expiry (ms)
        var serial: Int64 = 0
        var changed: [String: Int64] = [:]          // room → serial of its last change

        mutating func bump(_ roomID: String) -> Int64 {
            serial += 1
            changed[roomID] = serial
            return serial
        }
    }

    private let state = Mutex(State())
    private let clock: Clock
    private let notifier: Notifier

    init(clock: Clock, notifier: Notifier) {
        self.clock = clock
        self.notifier = notifier
    }

    public func set(roomID: String, userID: String, typing: Bool, timeoutMs: Int64) {
        let now = clock.nowMillis()
        let timeout = min(max(timeoutMs, 0), Self.maxTimeoutMs)
        let serial: Int64? = state.withLock { s in
            if typing {
                s.rooms[roomID, default: [:]][userID] = now + timeout
            } else {
                guard s.rooms[roomID]?[userID] != nil else { return nil }
                s.rooms[roomID]?[userID] = nil
            }
            return s.bump(roomID)
        }
        guard let serial else { return }
        if typing {
            Task { [weak self] in
                try? await Task.sleep(for: .milliseconds(timeout + 10))
                self?.expire(roomID: roomID)
            }
        }
        notifier.advance(.typing, to: serial)
    }

    /// The users typing in a room now, and the serial of the room's last change.
    public func typing(in roomID: String) -> (users: [String], serial: Int64) {
        let now = clock.nowMillis()
        return state.withLock { s in
            ((s.rooms[roomID] ?? [:]).filter { $0.value > now }.keys.sorted(), s.changed[roomID] ?? 0)
        }
    }

    private func expire(roomID: String) {
        let now = clock.nowMillis()
        let serial: Int64? = state.withLock { s in
            guard let users = s.rooms[roomID], users.contains(where: { $0.value <= now }) else { return nil }
            s.rooms[roomID] = users.filter { $0.value > now }
            return s.bump(roomID)
        }
        if let serial { notifier.advance(.typing, to: serial) }
    }
}
