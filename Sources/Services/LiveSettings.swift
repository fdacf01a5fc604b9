import ApusConfig
import Synchronization

/// The settings that may change while the server runs (config reload on SIGHUP): log level,
/// rate limits, registration switches. Everything else needs a restart.
public final class LiveSettings: Sendable {
    private let state: Mutex<(registration: ApusConfiguration.Registration, rateLimits: ApusConfiguration.RateLimits,
                              logLevel: ApusConfiguration.Log.Level)>

    public init(_ config: ApusConfiguration) {
        state = Mutex((config.registration, config.rateLimits, config.log.level))
    }

    public var registration: ApusConfiguration.Registration { state.withLock { $0.registration } }
    public var rateLimits: ApusConfiguration.RateLimits { state.withLock { $0.rateLimits } }
    public var logLevel: ApusConfiguration.Log.Level { state.withLock { $0.logLevel } }

    /// Takes the live settings of a freshly read configuration; returns what changed, as
    /// "key: old → new" lines for the log.
    public func apply(_ config: ApusConfiguration) -> [String] {
        state.withLock { s in
            var changes: [String] = []
            func note<T: Equatable>(_ key: String, _ old: T, _ new: T) { if old != new { changes.append("\(key): \(old) → \(new)") } }
            note("log.level", s.logLevel, config.log.level)
            note("rate_limits.enabled", s.rateLimits.enabled, config.rateLimits.enabled)
            note("rate_limits.per_second", s.rateLimits.perSecond, config.rateLimits.perSecond)
            note("rate_limits.burst", s.rateLimits.burst, config.rateLimits.burst)
            note("registration.enabled", s.registration.enabled, config.registration.enabled)
            note("registration.require_token", s.registration.requireToken, config.registration.requireToken)
            note("registration.allow_guests", s.registration.allowGuests, config.registration.allowGuests)
            note("registration.shared_secret", s.registration.sharedSecret.isEmpty ? "unset" : "set",
                 config.registration.sharedSecret.isEmpty ? "unset" : "set")
            s = (config.registration, config.rateLimits, config.log.level)
            return changes
        }
    }
}
