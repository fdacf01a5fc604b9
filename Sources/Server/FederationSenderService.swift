import ServiceLifecycle
import Services

/// Runs the federation sender beside the listeners; stops with them. Background work runs in
/// Swift's pool, not on the event loops that serve requests (it would delay their answers).
struct FederationSenderService: Service {
    let federation: Federation

    func run() async throws {
        // With federation off there is nothing to send, but a service that returns early stops
        // the whole group (the server exited at start with `federation.enabled = false`).
        guard federation.enabled else {
            try? await gracefulShutdown()
            return
        }
        await withTaskExecutorPreference(globalConcurrentExecutor) {
            await cancelWhenGracefulShutdown {
                async let pdus: Void = federation.sender.run()
                async let deviceLists: Void = federation.runDeviceListUpdates()
                _ = await (pdus, deviceLists)
            }
        }
    }
}
