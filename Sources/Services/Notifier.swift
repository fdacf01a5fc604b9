import NIOCore
import NIOPosix
import Synchronization

/// Wakes long-polling `/sync` requests when any stream advances, without polling the database:
/// waiters park on a continuation until the position passes theirs or they time out.
///
/// A lock, not an actor: every send advances it and every sync reads it, and an actor would cost
/// each of them two hops through the executor for a few instructions of work.
public final class Notifier: Sendable {
    private typealias Waiter = (after: SyncToken, id: Int, continuation: CheckedContinuation<Void, Never>)
    private typealias StreamWaiter = (stream: SyncToken.Stream, after: Int64, id: Int, continuation: CheckedContinuation<Void, Never>)

    private struct State {
        var position: SyncToken
        var waiters: [Waiter] = []
        /// Background workers waiting for one stream (no timeout: they stop by cancellation).
        var streamWaiters: [StreamWaiter] = []
        var nextID = 0
        /// Waits begun and not yet over.
        var pending: Set<Int> = []
        /// Waits that timed out or were cancelled before they were parked.
        var ended: Set<Int> = []

        mutating func newID() -> Int {
            defer { nextID += 1 }
            pending.insert(nextID)
            return nextID
        }

        /// Parks a wait unless it is already over (then the caller resumes it).
        mutating func park(_ id: Int, ready: Bool, _ append: (inout State) -> Void) -> Bool {
            if ended.remove(id) != nil || ready {
                pending.remove(id)
                return false
            }
            append(&self)
            return true
        }
    }

    private let state: Mutex<State>

    public init(position: SyncToken) { state = Mutex(State(position: position)) }

    public var current: SyncToken { state.withLock { $0.position } }

    public func advance(_ stream: SyncToken.Stream, to value: Int64) {
        let ready: [CheckedContinuation<Void, Never>] = state.withLock { s in
            guard value > s.position[stream] else { return [] }
            s.position[stream] = value
            let now = s.position
            let woken = s.waiters.take { now.isAhead(of: $0.after) }.map { ($0.id, $0.continuation) }
                + s.streamWaiters.take { $0.stream == stream && $0.after < value }.map { ($0.id, $0.continuation) }
            for (id, _) in woken { s.pending.remove(id) }
            return woken.map(\.1)
        }
        for continuation in ready { continuation.resume() }
    }

    /// Returns once any stream is past `after`, or after `timeoutMs`.
    public func wait(after: SyncToken, timeoutMs: Int64) async {
        let id: Int? = state.withLock { s in
            guard !s.position.isAhead(of: after), timeoutMs > 0 else { return nil }
            return s.newID()
        }
        guard let id else { return }
        // A timer of the event loops: cheaper to set and cancel than a task sleeping.
        let timer = MultiThreadedEventLoopGroup.singleton.any().scheduleTask(in: .milliseconds(timeoutMs)) { [weak self] in
            self?.end(id)
        }
        await withCheckedContinuation { continuation in
            let parked = state.withLock { s in
                s.park(id, ready: s.position.isAhead(of: after)) { $0.waiters.append((after, id, continuation)) }
            }
            if !parked { continuation.resume() }
        }
        timer.cancel()
    }

    /// How long a background worker lets its stream settle after a wake-up before it reads:
    /// a burst of events becomes one read, and the worker's reads keep out of the way of the
    /// long-polls the same event woke (clients are waiting on those; a federation transaction or
    /// a push can start a few milliseconds later).
    public static let backgroundSettle: Duration = .milliseconds(5)

    /// The settle of a worker whose last read found nothing to do (a federation sender on a
    /// server whose busy rooms are local, a push sender whose notified users have no pusher):
    /// each wake-up costs a timer, a read and four thread switches, and at a thousand events a
    /// second that was a tenth of the server's CPU for no work. Its first event with work
    /// waits this long; the next ones `backgroundSettle` again.
    public static let idleSettle: Duration = .milliseconds(50)

    /// Returns once `stream` is past `position` (after `settle` when it had to wait), or when
    /// the task is cancelled. For workers that follow one stream: no timer per wait, and other
    /// streams moving do not wake them.
    public func wait(for stream: SyncToken.Stream, after position: Int64, settle: Duration = backgroundSettle) async {
        guard await parkUntil(stream, isPast: position) else { return }
        try? await Task.sleep(for: settle)
    }

    /// True when it parked (the stream had not moved yet).
    private func parkUntil(_ stream: SyncToken.Stream, isPast position: Int64) async -> Bool {
        guard !Task.isCancelled else { return false }
        let id: Int? = state.withLock { s in
            guard s.position[stream] <= position else { return nil }
            return s.newID()
        }
        guard let id else { return false }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let parked = state.withLock { s in
                    s.park(id, ready: s.position[stream] > position) { $0.streamWaiters.append((stream, position, id, continuation)) }
                }
                if !parked { continuation.resume() }
            }
        } onCancel: {
            end(id)
        }
        return true
    }

    /// Ends a wait by its ID (timed out, cancelled): resumes it if parked, or keeps the ID so it
    /// does not park; nothing when it is over already.
    private func end(_ id: Int) {
        let continuation: CheckedContinuation<Void, Never>? = state.withLock { s in
            guard s.pending.contains(id) else { return nil }
            guard let parked = s.waiters.take(where: { $0.id == id }).first?.continuation
                    ?? s.streamWaiters.take(where: { $0.id == id }).first?.continuation
            else {
                s.ended.insert(id)
                return nil
            }
            s.pending.remove(id)
            return parked
        }
        continuation?.resume()
    }

    /// Requests parked right now (a metric).
    public var waiting: Int { state.withLock { $0.waiters.count } }

    /// Background workers parked on their stream.
    public var workersWaiting: Int { state.withLock { $0.streamWaiters.count } }
}

extension Array {
    /// Removes the elements that match and returns them, in order.
    fileprivate mutating func take(where matches: (Element) -> Bool) -> [Element] {
        let taken = filter(matches)
        if !taken.isEmpty { removeAll(where: matches) }
        return taken
    }
}
