/// Why an outbound request failed. `blockedAddress` and `unresolvable` are kept apart for
/// logs, but callers answering users may want to word them alike (a name that resolves to a
/// blocked address should not reveal that it resolves at all).
public enum OutboundError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidURL(String)
    /// The host is (or resolves to at least one address) outside the address policy.
    /// `literal`: the URL named the address itself.
    case blockedAddress(host: String, literal: Bool)
    case unresolvable(String)
    /// Connecting, TLS, or the connection broke.
    case unreachable(String)
    case timedOut
    case tooManyRedirects(Int)
    /// The body is larger than the caller's limit (and the caller did not ask to truncate).
    case tooLarge(Int)
    case badResponse(String)

    public var description: String {
        switch self {
        case .invalidURL(let url): "not an http(s) URL: \(url)"
        case .blockedAddress(let host, _): "\(host) is a blocked address or resolves to one"
        case .unresolvable(let reason): "cannot resolve \(reason)"
        case .unreachable(let reason): reason
        case .timedOut: "timed out"
        case .tooManyRedirects(let limit): "more than \(limit) redirects"
        case .tooLarge(let limit): "response body larger than \(limit) bytes"
        case .badResponse(let reason): "bad response: \(reason)"
        }
    }
}
