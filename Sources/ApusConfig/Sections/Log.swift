/// `[log]`: logging.
extension ApusConfiguration {
    public struct Log: Sendable, Equatable {
        /// The swift-log levels, by the same names.
        public enum Level: String, Sendable, CaseIterable {
            case trace, debug, info, notice, warning, error, critical
        }

        public var level: Level
        /// One log line per HTTP request.
        public var accessLog: Bool

        public init(level: Level = .info, accessLog: Bool = true) {
            self.level = level
            self.accessLog = accessLog
        }
    }
}

extension ApusConfiguration.Log {
    init(reading table: ConfigReader) {
        self.init()
        level = table.choice("level") ?? level
        accessLog = table.bool("access_log") ?? accessLog
    }
}
