import ServiceLifecycle
import Services

/// Runs push gateway delivery beside the listeners; stops with them.
struct PushSenderService: Service {
    let sender: PushSender

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await sender.run()
        }
    }
}
