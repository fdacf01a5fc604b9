import Foundation
import MatrixProtocol

/// The outcome of `GET https://<host>/.well-known/matrix/server` and how long to keep it
/// (spec "Resolving server names", step 3).
public struct WellKnownResult: Sendable, Equatable {
    /// The validated `m.server` delegation; nil when the answer was an error or invalid.
    public var server: ServerName?
    public var cacheFor: Duration

    public init(server: ServerName?, cacheFor: Duration) {
        self.server = server
        self.cacheFor = cacheFor
    }

    /// Cache lifetimes: the spec recommends 24 h without headers, at most 48 h, errors 1 h.
    /// The floor keeps a `no-store` answer from costing one fetch per request.
    static let defaultLifetime: Duration = .seconds(24 * 3600)
    static let maxLifetime: Duration = .seconds(48 * 3600)
    static let minLifetime: Duration = .seconds(300)
    static let errorLifetime: Duration = .seconds(3600)
    /// A delegation is a short JSON object; anything bigger is not one.
    static let maxBodySize = 64 * 1024

    static let failure = WellKnownResult(server: nil, cacheFor: errorLifetime)

    /// Interprets a final (non-redirect) answer: 200 with a JSON object whose `m.server` is a
    /// valid server name, else a cached failure.
    static func interpret(status: Int, headers: [(String, String)], body: [UInt8], now: Date = Date()) -> WellKnownResult {
        guard status == 200, let object = try? JSONParser.parseObject(body),
              let text = object["m.server"]?.stringValue, let server = try? ServerName(text)
        else { return failure }
        return WellKnownResult(server: server, cacheFor: lifetime(headers: headers, now: now))
    }

    /// The lifetime from `Cache-Control` (max-age, no-store/no-cache) or `Expires`, clamped.
    static func lifetime(headers: [(String, String)], now: Date) -> Duration {
        var seconds: Double?
        for (name, value) in headers where name.lowercased() == "cache-control" {
            for directive in value.split(separator: ",") {
                let d = directive.trimmingCharacters(in: .whitespaces).lowercased()
                if d == "no-store" || d == "no-cache" { seconds = 0 }
                else if d.hasPrefix("max-age="), let v = Double(d.dropFirst("max-age=".count).trimmingCharacters(in: CharacterSet(charactersIn: "\""))) {
                    seconds = seconds.map { min($0, v) } ?? v
                }
            }
        }
        if seconds == nil, let expires = headers.first(where: { $0.0.lowercased() == "expires" })?.1 {
            seconds = httpDate(expires).map { $0.timeIntervalSince(now) } ?? 0  // an invalid Expires means "already expired"
        }
        let chosen = seconds.map { Duration.seconds($0) } ?? defaultLifetime
        return min(max(chosen, minLifetime), maxLifetime)
    }

    /// RFC 9110 IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
    static func httpDate(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: text.trimmingCharacters(in: .whitespaces))
    }
}
