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

    /// Keeps the logger's metadata itself: Hummingbird tags every request's logger with its ID,
    /// and `StreamLogHandler` formats all of its metadata again on each change (1–2 % of a
    /// request's CPU), though a request rarely logs anything. Formatted only when logging.
    struct Handler<Inner: LogHandler>: LogHandler {
        var inner: Inner
        var metadata: Logger.Metadata = [:]

        var logLevel: Logger.Level {
            get { LiveLogLevel.current }
            set { LiveLogLevel.current = newValue }
        }

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            var event = event
            if !metadata.isEmpty {
                event.metadata = metadata.merging(event.metadata ?? [:]) { _, explicit in explicit }
            }
            inner.log(event: event)
        }
    }
}
