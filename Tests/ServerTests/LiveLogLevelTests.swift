import Logging
@testable import Server
import Synchronization
import Testing

private final class Recorded: Sendable {
    let events = Mutex<[LogEvent]>([])
}

/// A handler that keeps what it is asked to log.
private struct RecordingHandler: LogHandler {
    let recorded: Recorded
    var metadata: Logger.Metadata = ["inner": "own"]
    var logLevel: Logger.Level = .trace
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) { recorded.events.withLock { $0.append(event) } }
}

@Suite struct LiveLogLevelTests {
    @Test func loggerMetadataReachesTheLogWithExplicitMetadataWinning() {
        let recorded = Recorded()
        var logger = Logger(label: "test") { _ in LiveLogLevel.Handler(inner: RecordingHandler(recorded: recorded)) }
        logger[metadataKey: "request"] = "r1"
        logger[metadataKey: "user"] = "@a:x"
        #expect(logger[metadataKey: "request"] == "r1")

        let saved = LiveLogLevel.current
        defer { LiveLogLevel.current = saved }
        LiveLogLevel.current = .info
        logger.info("first")
        logger.info("second", metadata: ["user": "@b:y", "extra": "1"])
        logger.debug("below the live level")

        let logged = recorded.events.withLock { $0 }
        #expect(logged.map(\.message.description) == ["first", "second"])
        #expect(logged.first?.metadata == ["request": "r1", "user": "@a:x"])
        #expect(logged.last?.metadata == ["request": "r1", "user": "@b:y", "extra": "1"])

        LiveLogLevel.current = .debug
        logger.debug("now shown")
        #expect(recorded.events.withLock { $0.count } == 3)
    }
}
