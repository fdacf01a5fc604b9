/// A CIDR block, `10.0.0.0/8` or `fc00::/7`; a bare address is a block of one. Host bits
/// below the prefix are ignored (`10.1.2.3/8` is `10.0.0.0/8`), as most tools do.
public struct IPRange: Sendable, Hashable, CustomStringConvertible {
    public let network: IPAddress
    public let prefixLength: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(String(parts[0])) else { return nil }
        let bits = address.bytes.count * 8
        var length = bits
        if parts.count == 2 {
            guard !parts[1].isEmpty, parts[1].utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let value = Int(parts[1]), value <= bits else {
                return nil
            }
            length = value
        }
        self.init(address, prefixLength: length)
    }

    public init(_ address: IPAddress, prefixLength: Int) {
        precondition(prefixLength >= 0 && prefixLength <= address.bytes.count * 8)
        self.prefixLength = prefixLength
        network = IPAddress(bytes: Self.masked(address.bytes, prefixLength))!
    }

    /// True when `address` (of the same family) lies in the block.
    public func contains(_ address: IPAddress) -> Bool {
        address.bytes.count == network.bytes.count && Self.masked(address.bytes, prefixLength) == network.bytes
    }

    public var description: String { "\(network)/\(prefixLength)" }

    private static func masked(_ bytes: [UInt8], _ length: Int) -> [UInt8] {
        bytes.enumerated().map { index, byte in
            let kept = min(max(length - index * 8, 0), 8)
            return kept == 8 ? byte : byte & ~(UInt8(0xff) >> kept)
        }
    }
}
