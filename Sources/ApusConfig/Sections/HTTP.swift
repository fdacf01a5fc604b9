/// `[http]`: limits and headers common to every listener.
extension ApusConfiguration {
    public struct HTTP: Sendable, Equatable {
        /// Bytes.
        public var maxRequestBodySize: Int
        /// `Access-Control-Allow-Origin` values; "*" allows any origin.
        public var corsAllowedOrigins: [String]

        public init(maxRequestBodySize: Int = 1024 * 1024, corsAllowedOrigins: [String] = ["*"]) {
            self.maxRequestBodySize = maxRequestBodySize
            self.corsAllowedOrigins = corsAllowedOrigins
        }
    }
}

extension ApusConfiguration.HTTP {
    init(reading table: ConfigReader) {
        self.init()
        maxRequestBodySize = table.size("max_request_body_size") ?? maxRequestBodySize
        corsAllowedOrigins = table.array("cors_allowed_origins", of: ConfigReader.nonEmpty) ?? corsAllowedOrigins
    }
}
