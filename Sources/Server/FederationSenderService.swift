import ServiceLifecycle
import Services

/// Runs the federation sender beside the listeners; stops with them.
struct FederationSenderService: Service {
    let sender: FederationSender

    func run() async throws {
        await cancelWhenGracefulShutdown { await sender.run() }
    }
}
