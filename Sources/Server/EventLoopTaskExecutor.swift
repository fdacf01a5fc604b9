import NIOCore
import NIOPosix

/// Runs request tasks on the NIO event loop that woke them, not on Swift's global pool: a request
/// read on a loop, handled, and answered there costs no thread hand-off (two fewer wake-ups per
/// request on a small box). Work resumed from elsewhere (a database commit finishing on the
/// writer thread) goes to the next loop.
final class EventLoopTaskExecutor: TaskExecutor {
    let group: MultiThreadedEventLoopGroup

    init(group: MultiThreadedEventLoopGroup) { self.group = group }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let loop = MultiThreadedEventLoopGroup.currentEventLoop ?? group.next()
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
