import ServiceLifecycle
import Services

/// Runs push gateway delivery beside the listeners; stops with them. In Swift's pool, like the
/// federation sender, not on the request event loops.
struct PushSenderService: Service {
    let sender: PushSender

    func run() async throws {
        await withTaskExecutorPreference(globalConcurrentExecutor) {
            await cancelWhenGracefulShutdown {
                await sender.run()
            }
        }
    }
}
