import ServiceLifecycle
import Services

/// Runs the federation sender beside the listeners; stops with them.
struct FederationSenderService: Service {
    let federation: Federation

    func run() async throws {
        await cancelWhenGracefulShutdown {
            async let pdus: Void = federation.sender.run()
            async let deviceLists: Void = federation.runDeviceListUpdates()
            _ = await (pdus, deviceLists)
        }
    }
}
