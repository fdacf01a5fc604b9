import Foundation
import Services
import Testing

@Suite struct NotifierTests {
    @Test func longPollsWakeOnAnyStreamOrTimeOut() async throws {
        let notifier = Notifier(position: SyncToken(events: 5))
        let start = notifier.current
        async let woken: Void = notifier.wait(after: start, timeoutMs: 30_000)
        // Parked (the suite may be busy: give it time, but do not depend on how much).
        for _ in 0..<500 where notifier.waiting == 0 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(notifier.waiting == 1)
        notifier.advance(.typing, to: 1)
        await woken
        #expect(notifier.waiting == 0)

        // Already ahead: no wait at all. Not ahead: the timeout ends it.
        await notifier.wait(after: start, timeoutMs: 30_000)
        let clock = ContinuousClock()
        let elapsed = await clock.measure { await notifier.wait(after: notifier.current, timeoutMs: 50) }
        #expect(elapsed >= .milliseconds(40))
        #expect(notifier.waiting == 0)
    }

    @Test func streamWaitsWakeOnlyForTheirStreamAndEndOnCancellation() async throws {
        let notifier = Notifier(position: SyncToken(events: 5))
        let woken = Task { await notifier.wait(for: .events, after: 5); return notifier.current.events }
        try await Task.sleep(for: .milliseconds(20))
        notifier.advance(.typing, to: 3)
        notifier.advance(.events, to: 5)  // not past the position
        try await Task.sleep(for: .milliseconds(20))
        notifier.advance(.events, to: 6)
        #expect(await woken.value == 6)

        let cancelled = Task { await notifier.wait(for: .events, after: 6) }
        try await Task.sleep(for: .milliseconds(20))
        cancelled.cancel()
        await cancelled.value  // returns: cancellation ends the wait
        // Cancelled before it even parks: returns at once too.
        let early = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            await notifier.wait(for: .events, after: 6)
        }
        await early.value
        #expect(notifier.current.events == 6)
    }

    @Test func aWokenStreamWaitLetsTheStreamSettleBeforeReturning() async throws {
        let notifier = Notifier(position: SyncToken(events: 1))
        let clock = ContinuousClock()
        let woken = Task {
            await notifier.wait(for: .events, after: 1)
            return clock.now
        }
        for _ in 0..<500 where notifier.workersWaiting == 0 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(notifier.workersWaiting == 1)
        let advanced = clock.now
        notifier.advance(.events, to: 2)
        #expect(await woken.value - advanced >= Notifier.backgroundSettle)
    }

    @Test func aWorkerChoosesItsSettle() async throws {
        let notifier = Notifier(position: SyncToken(events: 1))
        let clock = ContinuousClock()
        let woken = Task {
            await notifier.wait(for: .events, after: 1, settle: Notifier.idleSettle)
            return clock.now
        }
        for _ in 0..<500 where notifier.workersWaiting == 0 { try await Task.sleep(for: .milliseconds(10)) }
        let advanced = clock.now
        notifier.advance(.events, to: 2)
        #expect(await woken.value - advanced >= Notifier.idleSettle)
    }
}
