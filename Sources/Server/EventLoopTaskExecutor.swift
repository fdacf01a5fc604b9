import NIOCore
import NIOPosix

/// Runs request tasks on the server's NIO event loop that woke them, not on Swift's global pool:
/// a request read on a loop, handled, and answered there costs no thread hand-off (two fewer
/// wake-ups per request on a small box). Work resumed from any other thread (a commit finishing
/// on the database writer, the federation client's own loop) goes to the group's next loop.
final class EventLoopTaskExecutor: TaskExecutor {
    private let group: MultiThreadedEventLoopGroup
    private let loops: [any EventLoop]

    init(group: MultiThreadedEventLoopGroup) {
        self.group = group
        loops = Array(group.makeIterator())
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let loop = loops.first { $0.inEventLoop } ?? group.next()
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
