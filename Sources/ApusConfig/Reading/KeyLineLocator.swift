/// Finds the line on which each key path is written. TOMLKit does not expose source positions of
/// keys, so this scans the text itself: table and array-of-tables headers (counting the elements
/// of each array), `key = value` lines with dotted and quoted keys, and values that span lines
/// (multi-line strings, arrays, inline tables) so that their insides are not mistaken for keys.
/// It runs only on text TOMLKit has accepted; a path it did not see has no line (nil), never a guess.
struct KeyLineLocator {
    private var lines: [KeyPath: Int] = [:]

    init(text: String) {
        var scanner = Scanner(bytes: Array(text.utf8))
        scanner.scanDocument()
        lines = scanner.lines
    }

    func line(of path: KeyPath) -> Int? {
        lines[path]
    }
}

private struct Scanner {
    let bytes: [UInt8]
    var position = 0
    var line = 1
    /// First line each path appears on.
    var lines: [KeyPath: Int] = [:]
    /// Elements seen so far of each `[[array]]`, by the array's path.
    var arrayCounts: [KeyPath: Int] = [:]

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    var peek: UInt8? { position < bytes.count ? bytes[position] : nil }

    func peek(at offset: Int) -> UInt8? {
        position + offset < bytes.count ? bytes[position + offset] : nil
    }

    mutating func advance(_ count: Int = 1) {
        for _ in 0..<count where position < bytes.count {
            if bytes[position] == UInt8(ascii: "\n") { line += 1 }
            position += 1
        }
    }

    mutating func record(_ path: KeyPath, _ line: Int) {
        if lines[path] == nil { lines[path] = line }
    }

    // MARK: Document structure

    mutating func scanDocument() {
        var table = KeyPath.root
        while let byte = peek {
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n"):
                advance()
            case UInt8(ascii: "#"):
                skipRestOfLine()
            case UInt8(ascii: "["):
                table = scanHeader() ?? table
                skipRestOfLine()
            default:
                let keyLine = line
                if let keys = scanKey() {
                    var path = table
                    for key in keys {
                        path = path.appending(key)
                        record(path, keyLine)
                    }
                    skipSpaces()
                    if peek == UInt8(ascii: "=") {
                        advance()
                        skipSpaces()
                        scanValue(at: path)
                    }
                }
                skipRestOfLine()
            }
        }
    }

    /// `[a.b]` or `[[a.b]]`; returns the path later keys belong to. A header component that names an
    /// array of tables refers to its latest element, as in TOML.
    mutating func scanHeader() -> KeyPath? {
        let headerLine = line
        advance()
        let isArray = peek == UInt8(ascii: "[")
        if isArray { advance() }
        guard let keys = scanKey() else { return nil }
        var path = KeyPath.root
        for (offset, key) in keys.enumerated() {
            path = path.appending(key)
            record(path, headerLine)
            if isArray && offset == keys.count - 1 {
                let index = arrayCounts[path, default: 0]
                arrayCounts[path] = index + 1
                path = path.appending(index: index)
                record(path, headerLine)
            } else if let count = arrayCounts[path] {
                path = path.appending(index: count - 1)
            }
        }
        return path
    }

    /// A value, recording the paths of array elements and inline-table keys inside it.
    mutating func scanValue(at path: KeyPath) {
        switch peek {
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            _ = scanString()
        case UInt8(ascii: "["):
            advance()
            var index = 0
            while true {
                skipBlankAndComments()
                guard let byte = peek, byte != UInt8(ascii: "]") else { break }
                let start = position
                let elementPath = path.appending(index: index)
                record(elementPath, line)
                scanValue(at: elementPath)
                index += 1
                skipBlankAndComments()
                if peek == UInt8(ascii: ",") { advance() } else if position == start { break }
            }
            advance()  // "]"
        case UInt8(ascii: "{"):
            advance()
            while true {
                skipBlankAndComments()
                guard let byte = peek, byte != UInt8(ascii: "}") else { break }
                let keyLine = line
                guard let keys = scanKey() else { break }
                var keyPath = path
                for key in keys {
                    keyPath = keyPath.appending(key)
                    record(keyPath, keyLine)
                }
                skipSpaces()
                guard peek == UInt8(ascii: "=") else { break }
                advance()
                skipSpaces()
                scanValue(at: keyPath)
                skipBlankAndComments()
                if peek == UInt8(ascii: ",") { advance() }
            }
            advance()  // "}"
        default:
            // Numbers, booleans, dates (which may contain a space): up to the next delimiter.
            while let byte = peek, !"\n\r,]}#".utf8.contains(byte) { advance() }
        }
    }

    // MARK: Keys and strings

    /// A dotted key (`a."b c".d`); nil when the text here is not a key.
    mutating func scanKey() -> [String]? {
        var keys: [String] = []
        while true {
            skipSpaces()
            guard let key = scanSimpleKey() else { return nil }
            keys.append(key)
            skipSpaces()
            guard peek == UInt8(ascii: ".") else { return keys }
            advance()
        }
    }

    mutating func scanSimpleKey() -> String? {
        if peek == UInt8(ascii: "\"") || peek == UInt8(ascii: "'") { return scanString() }
        let start = position
        while let byte = peek, Self.isBareKeyByte(byte) { advance() }
        return position > start ? String(decoding: bytes[start..<position], as: UTF8.self) : nil
    }

    static func isBareKeyByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
            true
        default:
            false
        }
    }

    /// Any of the four TOML string forms; returns the content with basic-string escapes decoded.
    mutating func scanString() -> String {
        guard let quote = peek else { return "" }
        let isBasic = quote == UInt8(ascii: "\"")
        let isMultiline = peek(at: 1) == quote && peek(at: 2) == quote
        advance(isMultiline ? 3 : 1)
        var content: [UInt8] = []
        while let byte = peek {
            if byte == quote {
                if !isMultiline { advance(); break }
                if peek(at: 1) == quote && peek(at: 2) == quote {
                    advance(3)
                    // Up to two quotes right before the closing three belong to the content.
                    for _ in 0..<2 where peek == quote {
                        content.append(quote)
                        advance()
                    }
                    break
                }
            }
            if !isMultiline && byte == UInt8(ascii: "\n") { break }  // unterminated; stop at the line end
            if isBasic && byte == UInt8(ascii: "\\") {
                advance()
                content += decodeEscape()
                continue
            }
            content.append(byte)
            advance()
        }
        return String(decoding: content, as: UTF8.self)
    }

    /// The escape after a backslash (which has been consumed).
    mutating func decodeEscape() -> [UInt8] {
        guard let byte = peek else { return [] }
        let simple: [UInt8: UInt8] = [
            UInt8(ascii: "b"): 0x08, UInt8(ascii: "t"): 0x09, UInt8(ascii: "n"): 0x0A, UInt8(ascii: "f"): 0x0C,
            UInt8(ascii: "r"): 0x0D, UInt8(ascii: "e"): 0x1B, UInt8(ascii: "\""): 0x22, UInt8(ascii: "\\"): 0x5C,
        ]
        if let decoded = simple[byte] {
            advance()
            return [decoded]
        }
        if byte == UInt8(ascii: "u") || byte == UInt8(ascii: "U") {
            let length = byte == UInt8(ascii: "u") ? 4 : 8
            let hexStart = position + 1
            guard hexStart + length <= bytes.count,
                  let value = UInt32(String(decoding: bytes[hexStart..<hexStart + length], as: UTF8.self), radix: 16),
                  let scalar = Unicode.Scalar(value)
            else { return [UInt8(ascii: "\\")] }
            advance(1 + length)
            return Array(String(Character(scalar)).utf8)
        }
        // A line-ending backslash in a multi-line string: the newline and following blanks are trimmed;
        // the scan only needs to step over them.
        return []
    }

    // MARK: Blanks

    mutating func skipSpaces() {
        while peek == UInt8(ascii: " ") || peek == UInt8(ascii: "\t") { advance() }
    }

    /// Inside arrays and inline tables values may continue over lines, with comments between them.
    mutating func skipBlankAndComments() {
        while let byte = peek {
            if byte == UInt8(ascii: "#") {
                while let next = peek, next != UInt8(ascii: "\n") { advance() }
            } else if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
                        || byte == UInt8(ascii: "\n") {
                advance()
            } else {
                return
            }
        }
    }

    /// After a header or a value only blanks and a comment remain on the line.
    mutating func skipRestOfLine() {
        while let byte = peek {
            advance()
            if byte == UInt8(ascii: "\n") { return }
        }
    }
}
