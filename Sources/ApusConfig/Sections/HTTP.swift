/// `[http]`: limits and headers common to every listener.
extension ApusConfiguration {
    public struct HTTP: Sendable, Equatable {
        /// Bytes.
        public var maxRequestBodySize: Int
        /// `Access-Control-Allow-Origin` values; "*" allows any origin.
        public var corsAllowedOrigins: [String]
        /// Event-loop threads serving HTTP; 0: one fewer than the CPU cores, at least one.
        public var eventLoopThreads: Int

        public init(maxRequestBodySize: Int = 1024 * 1024, corsAllowedOrigins: [String] = ["*"], eventLoopThreads: Int = 0) {
            self.maxRequestBodySize = maxRequestBodySize
            self.corsAllowedOrigins = corsAllowedOrigins
            self.eventLoopThreads = eventLoopThreads
        }

        /// The thread count for `cores` CPU cores: automatic leaves one core to the database
        /// writer and background work, where the writer is the one serial step of every write.
        public func eventLoopThreadCount(cores: Int) -> Int {
            eventLoopThreads > 0 ? eventLoopThreads : max(1, cores - 1)
        }
    }
}

extension ApusConfiguration.HTTP {
    init(reading table: ConfigReader) {
        self.init()
        maxRequestBodySize = table.size("max_request_body_size") ?? maxRequestBodySize
        corsAllowedOrigins = table.array("cors_allowed_origins", of: ConfigReader.nonEmpty) ?? corsAllowedOrigins
        eventLoopThreads = table.int("event_loop_threads", in: 0...256) ?? eventLoopThreads
    }
}
