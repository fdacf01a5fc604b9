/// Why a JSON text was refused; `offset` is the byte position of the problem.
public struct JSONParseError: Error, Equatable, Sendable, CustomStringConvertible {
    public let message: String
    public let offset: Int
    public var description: String { "\(message) at byte \(offset)" }
}

/// A strict RFC 8259 parser over UTF-8 bytes that refuses what Matrix refuses: duplicate keys,
/// lone surrogates, invalid UTF-8, trailing data, and nesting deeper than `maxDepth`.
public struct JSONParser {
    public static let maxDepth = 128

    /// Parses one JSON text.
    public static func parse<Bytes: Collection<UInt8>>(_ bytes: Bytes) throws(JSONParseError) -> JSONValue {
        let array = bytes as? [UInt8] ?? Array(bytes)
        do {
            return try array.withUnsafeBufferPointer { buf in
                var p = JSONParser(buf)
                p.skipWhitespace()
                let value = try p.parseValue(depth: 0)
                p.skipWhitespace()
                guard p.pos == buf.count else { throw p.error("unexpected data after the JSON value") }
                return value
            }
        } catch let e as JSONParseError {
            throw e
        } catch {
            throw JSONParseError(message: "\(error)", offset: 0)
        }
    }

    public static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        try parse(Array(text.utf8))
    }

    /// Parses a JSON text that must be an object.
    public static func parseObject<Bytes: Collection<UInt8>>(_ bytes: Bytes) throws(JSONParseError) -> JSONObject {
        guard case .object(let o) = try parse(bytes) else {
            throw JSONParseError(message: "expected a JSON object", offset: 0)
        }
        return o
    }

    private let buf: UnsafeBufferPointer<UInt8>
    private var pos = 0

    private init(_ buf: UnsafeBufferPointer<UInt8>) { self.buf = buf }

    private func error(_ message: String) -> JSONParseError {
        JSONParseError(message: message, offset: pos)
    }

    private mutating func skipWhitespace() {
        while pos < buf.count {
            switch buf[pos] {
            case 0x20, 0x09, 0x0A, 0x0D: pos += 1
            default: return
            }
        }
    }

    private mutating func parseValue(depth: Int) throws(JSONParseError) -> JSONValue {
        guard pos < buf.count else { throw error("unexpected end of input") }
        switch buf[pos] {
        case UInt8(ascii: "{"): return .object(try parseObject(depth: depth + 1))
        case UInt8(ascii: "["): return .array(try parseArray(depth: depth + 1))
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw error("unexpected character")
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let n = literal.utf8CodeUnitCount
        guard pos + n <= buf.count else { throw error("unexpected end of input") }
        let lit = UnsafeBufferPointer(start: literal.utf8Start, count: n)
        for i in 0..<n where buf[pos + i] != lit[i] { throw error("invalid literal") }
        pos += n
    }

    private mutating func parseObject(depth: Int) throws(JSONParseError) -> JSONObject {
        guard depth <= Self.maxDepth else { throw error("nesting too deep") }
        pos += 1
        var members: [JSONObject.Member] = []
        skipWhitespace()
        if pos < buf.count, buf[pos] == UInt8(ascii: "}") {
            pos += 1
            return JSONObject()
        }
        var sorted = true
        while true {
            skipWhitespace()
            guard pos < buf.count, buf[pos] == UInt8(ascii: "\"") else { throw error("expected an object key") }
            let key = try parseString()
            skipWhitespace()
            guard pos < buf.count, buf[pos] == UInt8(ascii: ":") else { throw error("expected ':'") }
            pos += 1
            skipWhitespace()
            let value = try parseValue(depth: depth)
            if let last = members.last, sorted, !JSONObject.precedes(last.key, key) { sorted = false }
            members.append((key, value))
            skipWhitespace()
            guard pos < buf.count else { throw error("unexpected end of input") }
            if buf[pos] == UInt8(ascii: ",") { pos += 1; continue }
            if buf[pos] == UInt8(ascii: "}") { pos += 1; break }
            throw error("expected ',' or '}'")
        }
        if !sorted {
            members.sort { JSONObject.precedes($0.key, $1.key) }
            for i in 1..<members.count where UTF8Order.equal(members[i - 1].key, members[i].key) {
                throw error("duplicate object key \"\(members[i].key)\"")
            }
        }
        return JSONObject(sortedUnique: members)
    }

    private mutating func parseArray(depth: Int) throws(JSONParseError) -> [JSONValue] {
        guard depth <= Self.maxDepth else { throw error("nesting too deep") }
        pos += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if pos < buf.count, buf[pos] == UInt8(ascii: "]") {
            pos += 1
            return items
        }
        while true {
            skipWhitespace()
            items.append(try parseValue(depth: depth))
            skipWhitespace()
            guard pos < buf.count else { throw error("unexpected end of input") }
            if buf[pos] == UInt8(ascii: ",") { pos += 1; continue }
            if buf[pos] == UInt8(ascii: "]") { pos += 1; break }
            throw error("expected ',' or ']'")
        }
        return items
    }

    private mutating func parseString() throws(JSONParseError) -> String {
        pos += 1  // opening quote
        let start = pos
        // Fast path: no escapes.
        while pos < buf.count {
            let c = buf[pos]
            if c == UInt8(ascii: "\"") {
                let slice = UnsafeBufferPointer(rebasing: buf[start..<pos])
                pos += 1
                guard let s = String(validating: slice, as: UTF8.self) else {
                    throw JSONParseError(message: "invalid UTF-8 in string", offset: start)
                }
                return s
            }
            if c == UInt8(ascii: "\\") { break }
            if c < 0x20 { throw error("unescaped control character in string") }
            pos += 1
        }
        var bytes = Array(UnsafeBufferPointer(rebasing: buf[start..<pos]))
        while pos < buf.count {
            let c = buf[pos]
            switch c {
            case UInt8(ascii: "\""):
                pos += 1
                guard let s = String(validating: bytes, as: UTF8.self) else {
                    throw JSONParseError(message: "invalid UTF-8 in string", offset: start)
                }
                return s
            case UInt8(ascii: "\\"):
                pos += 1
                guard pos < buf.count else { throw error("unexpected end of input") }
                let e = buf[pos]
                pos += 1
                switch e {
                case UInt8(ascii: "\""): bytes.append(0x22)
                case UInt8(ascii: "\\"): bytes.append(0x5C)
                case UInt8(ascii: "/"): bytes.append(0x2F)
                case UInt8(ascii: "b"): bytes.append(0x08)
                case UInt8(ascii: "f"): bytes.append(0x0C)
                case UInt8(ascii: "n"): bytes.append(0x0A)
                case UInt8(ascii: "r"): bytes.append(0x0D)
                case UInt8(ascii: "t"): bytes.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try parseHex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        guard pos + 1 < buf.count, buf[pos] == UInt8(ascii: "\\"), buf[pos + 1] == UInt8(ascii: "u") else {
                            throw error("unpaired surrogate in string")
                        }
                        pos += 2
                        let low = try parseHex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw error("unpaired surrogate in string") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(scalar) {
                        throw error("unpaired surrogate in string")
                    }
                    bytes.append(contentsOf: String(Character(Unicode.Scalar(scalar)!)).utf8)
                default:
                    throw error("invalid escape in string")
                }
            default:
                if c < 0x20 { throw error("unescaped control character in string") }
                bytes.append(c)
                pos += 1
            }
        }
        throw error("unterminated string")
    }

    private mutating func parseHex4() throws(JSONParseError) -> UInt32 {
        guard pos + 4 <= buf.count else { throw error("truncated \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = buf[pos]
            let d: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - UInt8(ascii: "A") + 10)
            default: throw error("invalid \\u escape")
            }
            v = v << 4 | d
            pos += 1
        }
        return v
    }

    private mutating func parseNumber() throws(JSONParseError) -> JSONValue {
        let start = pos
        if buf[pos] == UInt8(ascii: "-") { pos += 1 }
        guard pos < buf.count, isDigit(buf[pos]) else { throw error("invalid number") }
        if buf[pos] == UInt8(ascii: "0") {
            pos += 1
            if pos < buf.count, isDigit(buf[pos]) { throw error("leading zero in number") }
        } else {
            while pos < buf.count, isDigit(buf[pos]) { pos += 1 }
        }
        var isInteger = true
        if pos < buf.count, buf[pos] == UInt8(ascii: ".") {
            isInteger = false
            pos += 1
            guard pos < buf.count, isDigit(buf[pos]) else { throw error("invalid number") }
            while pos < buf.count, isDigit(buf[pos]) { pos += 1 }
        }
        if pos < buf.count, buf[pos] == UInt8(ascii: "e") || buf[pos] == UInt8(ascii: "E") {
            isInteger = false
            pos += 1
            if pos < buf.count, buf[pos] == UInt8(ascii: "+") || buf[pos] == UInt8(ascii: "-") { pos += 1 }
            guard pos < buf.count, isDigit(buf[pos]) else { throw error("invalid number") }
            while pos < buf.count, isDigit(buf[pos]) { pos += 1 }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: buf[start..<pos]), as: UTF8.self)
        if isInteger, let i = Int64(text) {
            return .int(i)  // "-0" parses to 0
        }
        guard let d = Double(text), d.isFinite else { throw JSONParseError(message: "number out of range", offset: start) }
        // Integral values written with a fraction or exponent (`1e10`) are integers, as the spec's
        // canonical JSON example requires.
        if d == d.rounded(), abs(d) < 9.2e18 {
            return .int(Int64(d))
        }
        return .double(d)
    }

    private func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }
}
