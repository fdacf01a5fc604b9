import APICore
import Foundation
import Hummingbird
import MatrixProtocol

/// Limits writes (every method but GET, HEAD and OPTIONS) per requester — the access token, or
/// the remote address without one — with a token bucket: `burst` at once, refilled at
/// `perSecond`. Over the limit: 429 `M_LIMIT_EXCEEDED` with `retry_after_ms`.
struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = ApusRequestContext
    let limiter: RateLimiter
    /// The current `[rate_limits]` (they change on a config reload); nil: fixed at start.
    var settings: (@Sendable () -> (enabled: Bool, perSecond: Double, burst: Int))?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method != .get, request.method != .head, request.method != .options else {
            return try await next(request, context)
        }
        if let current = settings?() {
            guard current.enabled else { return try await next(request, context) }
            limiter.update(perSecond: current.perSecond, burst: current.burst)
        }
        let key = request.headers[.authorization].map { "t:" + $0 } ?? "a:" + (context.remoteAddress?.ipAddress ?? "?")
        if let waitMs = limiter.take(key) {
            var headers = HTTPFields()
            headers[.retryAfter] = String(max(1, (waitMs + 999) / 1000))
            return .matrixError(.limitExceeded(retryAfterMs: waitMs), headers: headers)
        }
        return try await next(request, context)
    }
}

/// Token buckets by key. Buckets of idle keys are dropped when the table grows, so memory
/// stays bounded however many clients come and go.
final class RateLimiter: @unchecked Sendable {
    private struct Bucket { var tokens: Double; var updated: Double }
    private let lock = NSLock()
    private var buckets: [String: Bucket] = [:]
    private var perSecond: Double
    private var burst: Double
    private let now: @Sendable () -> Double

    init(perSecond: Double, burst: Int, now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        self.perSecond = perSecond
        self.burst = Double(max(1, burst))
        self.now = now
    }

    /// New parameters (config reload); existing buckets keep their tokens, capped at the new burst.
    func update(perSecond: Double, burst: Int) {
        lock.withLock {
            guard perSecond != self.perSecond || Double(max(1, burst)) != self.burst else { return }
            self.perSecond = perSecond
            self.burst = Double(max(1, burst))
        }
    }

    /// Takes one token; nil when allowed, else how many milliseconds until one is available.
    func take(_ key: String) -> Int64? {
        lock.withLock {
            let t = now()
            var bucket = buckets[key] ?? Bucket(tokens: burst, updated: t)
            bucket.tokens = min(burst, bucket.tokens + (t - bucket.updated) * perSecond)
            bucket.updated = t
            defer {
                buckets[key] = bucket
                if buckets.count > 100_000 { buckets = buckets.filter { t - $0.value.updated < burst / perSecond } }
            }
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                return nil
            }
            return Int64(((1 - bucket.tokens) / perSecond * 1000).rounded(.up))
        }
    }
}
