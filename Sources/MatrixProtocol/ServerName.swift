import Foundation

/// A server name: `host[:port]`, where host is a DNS name, an IPv4 literal or a bracketed IPv6
/// literal (spec appendices, "Server Name").
public struct ServerName: Hashable, Sendable, CustomStringConvertible {
    public let host: String
    public let port: Int?

    public var description: String { port.map { "\(host):\($0)" } ?? host }

    public init(_ string: String) throws(IdentifierError) {
        guard !string.isEmpty else { throw .invalid("server name is empty") }
        guard string.utf8.count <= 255 else { throw .invalid("server name is longer than 255 bytes") }
        var hostPart = Substring(string)
        var portPart: Substring?
        if string.hasPrefix("[") {
            guard let close = string.firstIndex(of: "]") else {
                throw .invalid("IPv6 literal in '\(string)' has no closing ']'")
            }
            hostPart = string[string.startIndex...close]
            let rest = string[string.index(after: close)...]
            if !rest.isEmpty {
                guard rest.first == ":" else { throw .invalid("unexpected characters after IPv6 literal in '\(string)'") }
                portPart = rest.dropFirst()
            }
            guard Self.isIPv6Literal(hostPart.dropFirst().dropLast()) else {
                throw .invalid("'\(hostPart)' is not a valid IPv6 literal")
            }
        } else {
            if let colon = string.lastIndex(of: ":") {
                hostPart = string[..<colon]
                portPart = string[string.index(after: colon)...]
            }
            guard Self.isIPv4Literal(hostPart) || Self.isDNSName(hostPart) else {
                throw .invalid("'\(hostPart)' is not a valid host name or IP literal")
            }
        }
        if let portPart {
            guard !portPart.isEmpty, portPart.count <= 5, portPart.allSatisfy(\.isASCIIDigit),
                  let value = Int(portPart), (1...65535).contains(value)
            else { throw .invalid("'\(portPart)' is not a valid port (1-65535)") }
            port = value
        } else {
            port = nil
        }
        host = String(hostPart)
    }

    /// True when the host is an IP literal (IPv4 or bracketed IPv6); discovery skips well-known and SRV.
    public var isIPLiteral: Bool { host.hasPrefix("[") || Self.isIPv4Literal(Substring(host)) }

    static func isIPv4Literal(_ s: Substring) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return false }
        return parts.allSatisfy { p in
            !p.isEmpty && p.count <= 3 && p.allSatisfy(\.isASCIIDigit) && Int(p)! <= 255
        }
    }

    /// The spec's `dns-name = 1*255dns-char`, `dns-char = DIGIT / ALPHA / "-" / "."`.
    static func isDNSName(_ s: Substring) -> Bool {
        !s.isEmpty && s.utf8.count <= 255 && s.unicodeScalars.allSatisfy { c in
            c.isASCII && (c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "-" || c == ".")
        }
    }

    /// `IPv6address` of RFC 3986 restricted to what the spec allows: hex groups, `::`, and an
    /// optional trailing IPv4 part.
    static func isIPv6Literal(_ s: Substring) -> Bool {
        guard !s.isEmpty, s.count <= 45 else { return false }
        guard s.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else { return false }
        var groups = s.components(separatedBy: ":")
        var maxGroups = 8
        if let last = groups.last, last.contains(".") {
            guard isIPv4Literal(Substring(last)) else { return false }
            groups.removeLast()
            groups.append("0")  // the IPv4 tail counts as two groups
            maxGroups = 7
        }
        let doubleColons = s.components(separatedBy: "::").count - 1
        guard doubleColons <= 1 else { return false }
        if doubleColons == 1 {
            let nonEmpty = groups.filter { !$0.isEmpty }
            guard nonEmpty.count < maxGroups else { return false }
            // Empty groups are only allowed as part of the single "::".
            let joined = s.replacingOccurrences(of: "::", with: ":x:")
            let parts = joined.split(separator: ":", omittingEmptySubsequences: false)
            let inner = parts.dropFirst(parts.first == "" ? 1 : 0).dropLast(parts.last == "" ? 1 : 0)
            guard !inner.contains(where: \.isEmpty) else { return false }
            return nonEmpty.allSatisfy { $0.count <= 4 }
        }
        return groups.count == maxGroups && groups.allSatisfy { !$0.isEmpty && $0.count <= 4 }
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
