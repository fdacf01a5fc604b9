import NIOSSL
import Outbound
import Testing

@Suite struct LazyTLSContextTests {
    struct Failed: Error { let reason: String }

    @Test func madeOnceOnFirstUse() throws {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .certificates([])
        let lazy = LazyTLSContext(configuration: configuration) { Failed(reason: "\($0)") }
        let first = try lazy.get()
        #expect(try lazy.get() === first)
    }

    @Test func aFailureToMakeItIsAnsweredEveryTime() {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .file("/nonexistent/roots.pem")
        let lazy = LazyTLSContext(configuration: configuration) { Failed(reason: "\($0)") }
        for _ in 0..<2 {
            #expect(throws: Failed.self) { try lazy.get() }
        }
    }
}
