import ServiceLifecycle
import Services

/// Runs the federation sender beside the listeners; stops with them. Background work runs in
/// Swift's pool, not on the event loops that serve requests (it would delay their answers).
struct FederationSenderService: Service {
    let federation: Federation

    func run() async throws {
        await withTaskExecutorPreference(globalConcurrentExecutor) {
            await cancelWhenGracefulShutdown {
                async let pdus: Void = federation.sender.run()
                async let deviceLists: Void = federation.runDeviceListUpdates()
                _ = await (pdus, deviceLists)
            }
        }
    }
}
