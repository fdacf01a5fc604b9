/// Wakes downloads waiting for a pending upload (`POST /create`, then `PUT`) when it completes.
/// In memory: a waiter that misses a signal (it arrived between its check and its wait) only
/// waits out its timeout and then finds the content on its re-check.
actor UploadSignals {
    private struct Waiter {
        let continuation: CheckedContinuation<Void, Never>
        let timer: Task<Void, Never>
    }

    private var waiters: [String: [Int: Waiter]] = [:]
    private var nextID = 0

    /// Returns when `mediaID` is signalled or after `timeoutMillis`.
    func wait(for mediaID: String, timeoutMillis: Int) async {
        let id = nextID
        nextID += 1
        await withCheckedContinuation { continuation in
            let timer = Task {
                try? await Task.sleep(for: .milliseconds(timeoutMillis))
                self.timeOut(mediaID, id)
            }
            waiters[mediaID, default: [:]][id] = Waiter(continuation: continuation, timer: timer)
        }
    }

    func signal(_ mediaID: String) {
        for waiter in (waiters.removeValue(forKey: mediaID) ?? [:]).values {
            waiter.timer.cancel()
            waiter.continuation.resume()
        }
    }

    private func timeOut(_ mediaID: String, _ id: Int) {
        guard let waiter = waiters[mediaID]?.removeValue(forKey: id) else { return }
        if waiters[mediaID]?.isEmpty == true { waiters[mediaID] = nil }
        waiter.continuation.resume()
    }
}
