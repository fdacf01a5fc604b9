/// Wakes long-polling `/sync` requests when any stream advances, without polling the database:
/// waiters park on a continuation until the position passes theirs or they time out.
public actor Notifier {
    private var position: SyncToken
    private var waiters: [(after: SyncToken, id: Int, continuation: CheckedContinuation<Void, Never>)] = []
    /// Background workers waiting for one stream (no timeout: they stop by cancellation).
    private var streamWaiters: [(stream: SyncToken.Stream, after: Int64, id: Int, continuation: CheckedContinuation<Void, Never>)] = []
    private var nextID = 0

    public init(position: SyncToken) { self.position = position }

    public var current: SyncToken { position }

    public func advance(_ stream: SyncToken.Stream, to value: Int64) {
        guard value > position[stream] else { return }
        position[stream] = value
        let now = position
        let ready = waiters.filter { now.isAhead(of: $0.after) }
        waiters.removeAll { now.isAhead(of: $0.after) }
        for w in ready { w.continuation.resume() }
        if streamWaiters.contains(where: { $0.stream == stream && $0.after < value }) {
            let woken = streamWaiters.filter { $0.stream == stream && $0.after < value }
            streamWaiters.removeAll { $0.stream == stream && $0.after < value }
            for w in woken { w.continuation.resume() }
        }
    }

    /// Returns once `stream` is past `position`, or when the task is cancelled. For workers that
    /// follow one stream: no timer per wait, and other streams moving do not wake them.
    public func wait(for stream: SyncToken.Stream, after position: Int64) async {
        guard self.position[stream] <= position, !Task.isCancelled else { return }
        let id = nextID
        nextID += 1
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                streamWaiters.append((stream, position, id, continuation))
            }
        } onCancel: {
            Task { await self.cancelStreamWaiter(id) }
        }
    }

    private func cancelStreamWaiter(_ id: Int) {
        guard let index = streamWaiters.firstIndex(where: { $0.id == id }) else { return }
        streamWaiters.remove(at: index).continuation.resume()
    }

    /// Returns once any stream is past `after`, or after `timeoutMs`.
    public func wait(after: SyncToken, timeoutMs: Int64) async {
        guard !position.isAhead(of: after), timeoutMs > 0 else { return }
        let id = nextID
        nextID += 1
        let timer = Task { [weak self] in
            try? await Task.sleep(for: .milliseconds(timeoutMs))
            await self?.expire(id)
        }
        await withCheckedContinuation { continuation in
            waiters.append((after, id, continuation))
        }
        timer.cancel()
    }

    private func expire(_ id: Int) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume()
    }

    /// Requests parked right now (a metric).
    public var waiting: Int { waiters.count }
}
