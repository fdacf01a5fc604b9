/// Why a value cannot be written as canonical JSON.
public enum CanonicalJSONError: Error, Equatable, Sendable, CustomStringConvertible {
    case floatNotAllowed(Double)
    case integerOutOfRange(Int64)

    public var description: String {
        switch self {
        case .floatNotAllowed(let d): "floats are not allowed in canonical JSON (\(d))"
        case .integerOutOfRange(let i): "integer \(i) is outside [-(2^53)+1, (2^53)-1]"
        }
    }
}

extension JSONValue {
    public static let maxSafeInteger: Int64 = (1 << 53) - 1

    /// The canonical JSON bytes (spec appendices): sorted keys, no insignificant whitespace,
    /// UTF-8, minimal escapes, integers only within ±(2^53−1).
    public func canonicalBytes() throws(CanonicalJSONError) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(1024)
        try write(into: &out, canonical: true)
        return out
    }

    public func canonicalString() throws(CanonicalJSONError) -> String {
        String(decoding: try canonicalBytes(), as: UTF8.self)
    }

    /// Compact JSON for responses: canonical layout, but floats and large integers allowed.
    public func encodedBytes() -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(1024)
        try! write(into: &out, canonical: false)  // non-canonical writing never throws
        return out
    }

    public func encodedString() -> String {
        String(decoding: encodedBytes(), as: UTF8.self)
    }

    func write(into out: inout [UInt8], canonical: Bool) throws(CanonicalJSONError) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .int(let i):
            if canonical, i > Self.maxSafeInteger || i < -Self.maxSafeInteger { throw .integerOutOfRange(i) }
            Self.writeInteger(i, into: &out)
        case .double(let d):
            if canonical { throw .floatNotAllowed(d) }
            if d.isFinite { out.append(contentsOf: d.description.utf8) } else { out.append(contentsOf: "null".utf8) }
        case .string(let s): Self.writeString(s, into: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                try item.write(into: &out, canonical: canonical)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let object):
            try object.write(into: &out, canonical: canonical)
        }
    }

    /// Copies runs of bytes that need no escaping in bulk: most strings have none.
    static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var string = s
        string.withUTF8 { bytes in
            var runStart = 0
            for i in 0..<bytes.count {
                let c = bytes[i]
                guard c < 0x20 || c == 0x22 || c == 0x5C else { continue }
                if runStart < i { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i])) }
                runStart = i + 1
                switch c {
                case 0x22: out.append(0x5C); out.append(0x22)
                case 0x5C: out.append(0x5C); out.append(0x5C)
                case 0x08: out.append(0x5C); out.append(UInt8(ascii: "b"))
                case 0x09: out.append(0x5C); out.append(UInt8(ascii: "t"))
                case 0x0A: out.append(0x5C); out.append(UInt8(ascii: "n"))
                case 0x0C: out.append(0x5C); out.append(UInt8(ascii: "f"))
                case 0x0D: out.append(0x5C); out.append(UInt8(ascii: "r"))
                default:
                    out.append(contentsOf: [0x5C, UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                            hexDigits[Int(c >> 4)], hexDigits[Int(c & 0xF)]])
                }
            }
            if runStart < bytes.count { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...])) }
        }
        out.append(UInt8(ascii: "\""))
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Decimal digits without going through `String`.
    static func writeInteger(_ value: Int64, into out: inout [UInt8]) {
        if value == 0 { out.append(UInt8(ascii: "0")); return }
        var magnitude = value.magnitude
        var digits: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)  // 32 bytes of scratch space
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            while magnitude > 0 {
                buffer[31 - count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            }
            if value < 0 { out.append(UInt8(ascii: "-")) }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[(32 - count)...]))
        }
    }
}

extension JSONObject {
    public func canonicalBytes() throws(CanonicalJSONError) -> [UInt8] {
        try JSONValue.object(self).canonicalBytes()
    }

    public func encodedBytes() -> [UInt8] { JSONValue.object(self).encodedBytes() }

    func write(into out: inout [UInt8], canonical: Bool) throws(CanonicalJSONError) {
        out.append(UInt8(ascii: "{"))
        for (i, m) in members.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            JSONValue.writeString(m.key, into: &out)
            out.append(UInt8(ascii: ":"))
            try m.value.write(into: &out, canonical: canonical)
        }
        out.append(UInt8(ascii: "}"))
    }
}

/// Canonical JSON from text: parse strictly, then encode canonically.
public enum CanonicalJSON {
    public enum Failure: Error, Equatable, Sendable {
        case parse(JSONParseError)
        case canonical(CanonicalJSONError)
    }

    public static func canonicalize(_ text: String) throws(Failure) -> String {
        let value: JSONValue
        do { value = try JSONParser.parse(text) } catch { throw .parse(error) }
        do { return try value.canonicalString() } catch { throw .canonical(error) }
    }
}
