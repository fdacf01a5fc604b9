/// `m.room.server_acl` (spec "Server Access Control Lists"): which servers may take part in a
/// room. A server is allowed when it matches an `allow` glob and no `deny` glob; IP literals
/// only when `allow_ip_literals` (default true).
public struct ServerACL: Sendable, Equatable {
    public let allow: [String]
    public let deny: [String]
    public let allowIPLiterals: Bool

    public init(content: JSONObject) {
        allow = (content["allow"]?.arrayValue ?? []).compactMap(\.stringValue)
        deny = (content["deny"]?.arrayValue ?? []).compactMap(\.stringValue)
        allowIPLiterals = content["allow_ip_literals"]?.boolValue ?? true
    }

    /// Whether `server` (a server name, port included or not) may take part.
    public func allows(_ server: String) -> Bool {
        let host = Self.host(of: server).lowercased()
        if !allowIPLiterals, Self.isIPLiteral(host) { return false }
        if deny.contains(where: { Self.glob($0.lowercased(), matches: host) }) { return false }
        return allow.contains { Self.glob($0.lowercased(), matches: host) }
    }

    /// The host of a server name: the port is not part of what ACLs match.
    static func host(of server: String) -> String {
        if server.hasPrefix("["), let end = server.firstIndex(of: "]") { return String(server[...end]) }
        if let colon = server.lastIndex(of: ":") { return String(server[..<colon]) }
        return server
    }

    static func isIPLiteral(_ host: String) -> Bool {
        host.hasPrefix("[") || (host.split(separator: ".").count == 4 && host.allSatisfy { $0.isNumber || $0 == "." })
    }

    /// `*` matches any run of characters, `?` one character.
    static func glob(_ pattern: String, matches text: String) -> Bool {
        let p = Array(pattern), t = Array(text)
        var pi = 0, ti = 0, star = -1, mark = 0
        while ti < t.count {
            if pi < p.count, p[pi] == "?" || p[pi] == t[ti] {
                pi += 1; ti += 1
            } else if pi < p.count, p[pi] == "*" {
                star = pi; mark = ti; pi += 1
            } else if star >= 0 {
                pi = star + 1; mark += 1; ti = mark
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }
}
