/// Which resolved addresses outbound requests to arbitrary URLs (URL previews, push gateways)
/// may connect to. Without it a user could make the server fetch from its own loopback, the
/// local network or a cloud metadata endpoint (SSRF).
///
/// An address is allowed when it is in `allowed`; otherwise refused when it is in a
/// special-purpose range (`defaultBlocked`) or in `extraBlocked`. IPv4-mapped IPv6 addresses
/// are judged as their IPv4 address, and the IPv4 address inside NAT64/6to4 addresses must
/// pass as well.
public struct AddressPolicy: Sendable, Equatable {
    public let extraBlocked: [IPRange]
    public let allowed: [IPRange]

    public init(extraBlocked: [IPRange] = [], allowed: [IPRange] = []) {
        self.extraBlocked = extraBlocked
        self.allowed = allowed
    }

    /// RFC 6890 special-purpose blocks and others that never name a public web server.
    public static let defaultBlocked: [IPRange] = [
        "0.0.0.0/8",          // "this network"
        "10.0.0.0/8",         // private
        "100.64.0.0/10",      // carrier-grade NAT
        "127.0.0.0/8",        // loopback
        "169.254.0.0/16",     // link-local (cloud metadata lives here)
        "172.16.0.0/12",      // private
        "192.0.0.0/24",       // IETF protocol assignments
        "192.0.2.0/24",       // documentation
        "192.88.99.0/24",     // former 6to4 relays
        "192.168.0.0/16",     // private
        "198.18.0.0/15",      // benchmarking
        "198.51.100.0/24",    // documentation
        "203.0.113.0/24",     // documentation
        "224.0.0.0/4",        // multicast
        "240.0.0.0/4",        // reserved, broadcast
        "::/96",              // unspecified, loopback, IPv4-compatible (deprecated)
        "64:ff9b:1::/48",     // local-use NAT64
        "100::/64",           // discard-only
        "2001:db8::/32",      // documentation
        "fc00::/7",           // unique local
        "fe80::/10",          // link-local
        "fec0::/10",          // site-local (deprecated)
        "ff00::/8",           // multicast
    ].map { IPRange($0)! }

    public func allows(_ address: IPAddress) -> Bool {
        let address = address.unmapped
        if allowed.contains(where: { $0.contains(address) }) { return true }
        var judged = [address]
        if let inner = address.translatedIPv4 { judged.append(inner) }
        return !judged.contains { candidate in
            Self.defaultBlocked.contains { $0.contains(candidate) } || extraBlocked.contains { $0.contains(candidate) }
        }
    }
}
