import Logging
import Synchronization

/// The process-wide log level, changeable at run time (config reload): every logger's handler
/// reads it, so one store changes them all.
public enum LiveLogLevel {
    private static let level = Mutex<Logger.Level>(.info)

    public static var current: Logger.Level {
        get { level.withLock { $0 } }
        set { level.withLock { $0 = newValue } }
    }

    /// Standard-error logging whose level follows `current`.
    public static func handler(label: String) -> LogHandler { Handler(inner: StreamLogHandler.standardError(label: label)) }

    struct Handler: LogHandler {
        var inner: StreamLogHandler

        var logLevel: Logger.Level {
            get { LiveLogLevel.current }
            set { LiveLogLevel.current = newValue }
        }

        var metadata: Logger.Metadata {
            get { inner.metadata }
            set { inner.metadata = newValue }
        }

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { inner[metadataKey: key] }
            set { inner[metadataKey: key] = newValue }
        }

        func log(event: LogEvent) {
            inner.log(event: event)
        }
    }
}
