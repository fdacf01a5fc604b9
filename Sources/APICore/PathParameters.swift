import Foundation
import Hummingbird
import MatrixProtocol

extension ApusRequestContext {
    /// A path parameter, percent-decoded: Matrix IDs in paths arrive encoded (`!`, `:`, and the
    /// `/` and `+` of room v3 event IDs).
    public func pathParameter(_ name: String) throws(MatrixError) -> String {
        guard let raw = parameters.get(name) else { throw MatrixError.missingParam("Missing path parameter '\(name)'") }
        guard let decoded = Self.percentDecoded(raw) else { throw MatrixError.invalidParam("Malformed '\(name)'") }
        return decoded
    }

    /// `removingPercentEncoding`, without Foundation's cost on every parameter of every request:
    /// nil for a `%` not followed by two hex digits or for bytes that are not UTF-8.
    public static func percentDecoded(_ raw: String) -> String? {
        let bytes = raw.utf8
        guard bytes.contains(UInt8(ascii: "%")) else { return raw }
        var decoded: [UInt8] = []
        decoded.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index != bytes.endIndex {
            let byte = bytes[index]
            index = bytes.index(after: index)
            guard byte == UInt8(ascii: "%") else {
                decoded.append(byte)
                continue
            }
            guard index != bytes.endIndex, let high = hexValue(bytes[index]) else { return nil }
            index = bytes.index(after: index)
            guard index != bytes.endIndex, let low = hexValue(bytes[index]) else { return nil }
            index = bytes.index(after: index)
            decoded.append(high << 4 | low)
        }
        return String(validating: decoded, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
