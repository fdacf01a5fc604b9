import ApusConfig

/// Which addresses outbound federation may connect to. Loopback, private, link-local and other
/// special-purpose ranges are refused unless `federation.allow_private_destinations` is set
/// (test deployments), so a remote server name cannot make us probe the local network.
public struct DestinationPolicy: Sendable {
    public let allowPrivate: Bool

    public init(allowPrivate: Bool) { self.allowPrivate = allowPrivate }

    public init(config: ApusConfiguration.Federation) { self.init(allowPrivate: config.allowPrivateDestinations) }

    /// True when a connection to this resolved IP address (v4 dotted or v6 textual) is allowed.
    public func allows(address: String) -> Bool {
        if allowPrivate { return true }
        if let v4 = IPv4(address) { return !v4.isSpecialPurpose }
        if let v6 = IPv6(address) { return !v6.isSpecialPurpose }
        return false  // not an IP literal: refuse rather than guess
    }
}

struct IPv4 {
    let octets: [UInt8]

    init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var out: [UInt8] = []
        for p in parts {
            guard !p.isEmpty, p.count <= 3, p.allSatisfy(\.isNumber), let v = UInt8(p) else { return nil }
            out.append(v)
        }
        octets = out
    }

    init(octets: [UInt8]) { self.octets = octets }

    /// RFC 6890 special-purpose ranges, plus multicast and reserved.
    var isSpecialPurpose: Bool {
        let a = octets[0], b = octets[1]
        return a == 0 || a == 10 || a == 127 || (a == 100 && (64...127).contains(b)) || (a == 169 && b == 254)
            || (a == 172 && (16...31).contains(b)) || (a == 192 && b == 168) || (a == 192 && b == 0 && octets[2] == 0)
            || (a == 192 && b == 0 && octets[2] == 2) || (a == 198 && (b == 18 || b == 19))
            || (a == 198 && b == 51 && octets[2] == 100) || (a == 203 && b == 0 && octets[2] == 113) || a >= 224
    }
}

struct IPv6 {
    let bytes: [UInt8]

    init?(_ text: String) {
        var s = Substring(text)
        if s.hasPrefix("["), s.hasSuffix("]") { s = s.dropFirst().dropLast() }
        if let zone = s.firstIndex(of: "%") { s = s[..<zone] }
        guard s.contains(":") else { return nil }
        var tail: [UInt8] = []
        if let lastColon = s.lastIndex(of: ":"), s[s.index(after: lastColon)...].contains(".") {
            guard let v4 = IPv4(String(s[s.index(after: lastColon)...])) else { return nil }
            tail = v4.octets
            s = s[...lastColon]
            if s.hasSuffix(":") && !s.hasSuffix("::") { s = s.dropLast() }
        }
        let halves = s.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String) -> [UInt16]? {
            if part.isEmpty { return [] }
            var out: [UInt16] = []
            for g in part.split(separator: ":", omittingEmptySubsequences: false) {
                guard !g.isEmpty, g.count <= 4, let v = UInt16(g, radix: 16) else { return nil }
                out.append(v)
            }
            return out
        }
        guard let head = groups(halves[0]) else { return nil }
        let rest = halves.count == 2 ? groups(halves[1]) : []
        guard let rest else { return nil }
        let total = 8 - tail.count / 2
        var all: [UInt16]
        if halves.count == 2 {
            guard head.count + rest.count < total else { return nil }
            all = head + Array(repeating: 0, count: total - head.count - rest.count) + rest
        } else {
            guard head.count == total else { return nil }
            all = head
        }
        bytes = all.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xff)] } + tail
    }

    var isSpecialPurpose: Bool {
        if bytes.allSatisfy({ $0 == 0 }) { return true }                              // ::
        if bytes.prefix(15).allSatisfy({ $0 == 0 }) && bytes[15] == 1 { return true }  // ::1
        if bytes.prefix(10).allSatisfy({ $0 == 0 }) && bytes[10] == 0xff && bytes[11] == 0xff {
            return IPv4(octets: Array(bytes.suffix(4))).isSpecialPurpose             // ::ffff:a.b.c.d
        }
        if bytes[0] & 0xfe == 0xfc { return true }                                    // fc00::/7 unique local
        if bytes[0] == 0xfe && bytes[1] & 0xc0 == 0x80 { return true }                // fe80::/10 link local
        if bytes[0] == 0xff { return true }                                           // multicast
        if bytes[0] == 0x20 && bytes[1] == 0x01 && bytes[2] == 0x0d && bytes[3] == 0xb8 { return true }  // documentation
        if bytes[0] == 0x00 && bytes[1] == 0x64 && bytes[2] == 0xff && bytes[3] == 0x9b { return true }  // NAT64
        if bytes[0] == 0x20 && bytes[1] == 0x02 {                                     // 6to4: check the embedded IPv4
            return IPv4(octets: Array(bytes[2..<6])).isSpecialPurpose
        }
        return false
    }
}
