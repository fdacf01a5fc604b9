import APICore
import Hummingbird
import HummingbirdTesting
import NIOPosix
@testable import Server
import Testing

/// `RouteTable.inPool` moves a handler off the event loop that requests are handled on.
@Suite struct InPoolTests {
    /// Answers whether the handler ran on an event loop thread.
    static func whereItRan(_ routes: RouteTable) {
        let probe: RouteTable.Handler = { _, _ in
            .json(["on_event_loop": .bool(MultiThreadedEventLoopGroup.currentEventLoop != nil)])
        }
        routes.get("/_test/where", probe)
        routes.get("/_test/where-pooled", RouteTable.inPool(probe))
    }

    @Test func aPooledHandlerRunsOffTheEventLoopAPlainOneOn() async throws {
        let hs = try await TestHomeserver.make()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        // As the daemon runs its listeners: request tasks prefer the event loops.
        try await withTaskExecutorPreference(EventLoopTaskExecutor(group: group)) {
            try await hs.test(extraRoutes: Self.whereItRan) { client in
                try await client.execute(uri: "/_test/where", method: .get) { response in
                    #expect(response.json["on_event_loop"] == .bool(true))
                }
                try await client.execute(uri: "/_test/where-pooled", method: .get) { response in
                    #expect(response.json["on_event_loop"] == .bool(false))
                }
            }
        }
        try await hs.close()
        try await group.shutdownGracefully()
    }
}
