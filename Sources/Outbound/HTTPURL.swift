import Foundation

/// An absolute `http`/`https` URL, split into what a request needs: where to connect, the
/// `Host` header and the request target. Foundation parses (it also IDNA-encodes host names);
/// this type only accepts what is safe to request.
public struct HTTPURL: Sendable, Hashable, CustomStringConvertible {
    public let isHTTPS: Bool
    /// Lowercased; an IPv6 literal without brackets.
    public let host: String
    public let port: Int
    /// Path and query, never empty; the fragment is dropped (it never goes on the wire).
    public let target: String

    public init?(_ text: String) {
        guard let url = URL(string: text.trimmingCharacters(in: .whitespaces)) else { return nil }
        self.init(url)
    }

    init?(_ url: URL) {
        guard let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              var host = url.host(percentEncoded: false)?.lowercased(), !host.isEmpty else { return nil }
        if let zone = host.firstIndex(of: "%") { host = String(host[..<zone]) }  // a zone ID names a local interface
        guard !host.contains(where: { $0 == "/" || $0 == "@" || $0 == " " || $0.asciiValue.map { $0 < 0x21 || $0 == 0x7f } ?? false }) else {
            return nil
        }
        let port = url.port ?? (scheme == "https" ? 443 : 80)
        guard (1...65535).contains(port) else { return nil }
        isHTTPS = scheme == "https"
        self.host = host
        self.port = port
        let path = url.path(percentEncoded: true)
        var target = path.isEmpty ? "/" : path
        if let query = url.query(percentEncoded: true) { target += "?" + query }
        self.target = target
    }

    /// The host when it is an IP literal.
    public var ipLiteral: IPAddress? { IPAddress(host) }

    var defaultPort: Int { isHTTPS ? 443 : 80 }

    /// `Host` header: the host (IPv6 bracketed), with the port unless it is the default.
    public var authority: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port == defaultPort ? name : "\(name):\(port)"
    }

    public var description: String { "\(isHTTPS ? "https" : "http")://\(authority)\(target)" }

    /// A reference (a `Location` header, an `og:image`) resolved against this URL; nil when
    /// the result is not an http(s) URL.
    public func resolve(_ reference: String) -> HTTPURL? {
        let trimmed = reference.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let base = URL(string: description), let url = URL(string: trimmed, relativeTo: base)?.absoluteURL else { return nil }
        return HTTPURL(url)
    }
}
