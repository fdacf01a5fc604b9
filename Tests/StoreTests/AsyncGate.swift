import Foundation

/// A one-shot gate a database closure can block on (on GRDB's writer queue, never on the
/// cooperative pool) until the test opens it.
final class AsyncGate: Sendable {
    private let semaphore = DispatchSemaphore(value: 0)

    func waitBlocking() { semaphore.wait() }
    func open() { semaphore.signal() }
}
