import ApusConfig
import Outbound

/// Which addresses outbound federation may connect to. Loopback, private, link-local and other
/// special-purpose ranges are refused unless `federation.allow_private_destinations` is set
/// (test deployments), so a remote server name cannot make us probe the local network.
public struct DestinationPolicy: Sendable {
    public let allowPrivate: Bool

    public init(allowPrivate: Bool) { self.allowPrivate = allowPrivate }

    public init(config: ApusConfiguration.Federation) { self.init(allowPrivate: config.allowPrivateDestinations) }

    /// True when a connection to this resolved IP address (v4 dotted or v6 textual) is allowed:
    /// the special-purpose ranges are those of the outbound client (`Outbound.AddressPolicy`).
    public func allows(address: String) -> Bool {
        if allowPrivate { return true }
        guard let ip = IPAddress(address) else { return false }  // not an IP literal: refuse rather than guess
        return AddressPolicy().allows(ip)
    }
}
