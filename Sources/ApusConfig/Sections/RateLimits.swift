/// `[rate_limits]`: a token bucket per client.
extension ApusConfiguration {
    public struct RateLimits: Sendable, Equatable {
        public var enabled: Bool
        /// Sustained requests per second; > 0.
        public var perSecond: Double
        /// Bucket size; > 0.
        public var burst: Int

        public init(enabled: Bool = true, perSecond: Double = 10, burst: Int = 50) {
            self.enabled = enabled
            self.perSecond = perSecond
            self.burst = burst
        }
    }
}

extension ApusConfiguration.RateLimits {
    init(reading table: ConfigReader) {
        self.init()
        enabled = table.bool("enabled") ?? enabled
        perSecond = table.positiveDouble("per_second") ?? perSecond
        burst = table.int("burst", in: 1...Int.max) ?? burst
    }
}
