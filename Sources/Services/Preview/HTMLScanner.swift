/// What a preview needs from an HTML document: its `<meta>` tags and its `<title>`. Not a
/// full HTML parser: it walks the markup once, skipping comments, `<script>` and `<style>`,
/// reading each tag's attributes (quoted or not, names lowercased, values with character
/// references decoded). Malformed markup ends a tag or the scan early; it never fails.
struct HTMLScanner {
    struct Result: Sendable, Equatable {
        /// Attributes of each `<meta>` tag, in document order.
        var metas: [[String: String]] = []
        /// The first `<title>`'s text, references decoded, whitespace collapsed.
        var title: String?
    }

    /// Enough for any real `<head>`; a page stuffed with tags stops being read there.
    static let maxMetas = 500

    private let bytes: [UInt8]
    private var i = 0

    private init(_ bytes: [UInt8]) { self.bytes = bytes }

    static func scan(_ html: String) -> Result { scan(bytes: Array(html.utf8)) }

    /// Scans bytes of an ASCII-compatible encoding (values are read as UTF-8).
    static func scan(bytes: [UInt8]) -> Result {
        var scanner = HTMLScanner(bytes)
        return scanner.run()
    }

    private mutating func run() -> Result {
        var result = Result()
        while let open = find([UInt8(ascii: "<")], from: i) {
            i = open + 1
            if starts(with: "!--") {
                i = (find(Array("-->".utf8), from: i + 3).map { $0 + 3 }) ?? bytes.count
                continue
            }
            guard i < bytes.count else { break }
            if bytes[i] == UInt8(ascii: "!") || bytes[i] == UInt8(ascii: "?") || bytes[i] == UInt8(ascii: "/") {
                skipTag()
                continue
            }
            guard isLetter(bytes[i]) else { continue }  // "a < b" in text
            let name = tagName()
            guard let attributes = readAttributes() else { break }  // the document ends inside the tag
            switch name {
            case "meta":
                if result.metas.count < Self.maxMetas { result.metas.append(attributes) }
            case "title":
                let text = rawText(until: "title")
                if result.title == nil { result.title = Self.collapsed(HTMLEntities.decode(text)) }
            case "script", "style":
                _ = rawText(until: name)
            default:
                break
            }
        }
        return result
    }

    // MARK: Tags

    private mutating func tagName() -> String {
        let start = i
        while i < bytes.count, !isSpace(bytes[i]), bytes[i] != UInt8(ascii: ">"), bytes[i] != UInt8(ascii: "/") { i += 1 }
        return String(decoding: bytes[start..<i], as: UTF8.self).lowercased()
    }

    /// Attributes up to the tag's `>`; the first of a repeated name wins. Nil when the
    /// document ends before the `>` (browsers drop such a tag).
    private mutating func readAttributes() -> [String: String]? {
        var attributes: [String: String] = [:]
        while i < bytes.count {
            while i < bytes.count, isSpace(bytes[i]) || bytes[i] == UInt8(ascii: "/") { i += 1 }
            guard i < bytes.count, bytes[i] != UInt8(ascii: ">") else { break }
            let nameStart = i
            while i < bytes.count, !isSpace(bytes[i]), bytes[i] != UInt8(ascii: "="), bytes[i] != UInt8(ascii: ">"),
                  !(bytes[i] == UInt8(ascii: "/") && i > nameStart) { i += 1 }
            if i == nameStart { i += 1; continue }
            let name = String(decoding: bytes[nameStart..<i], as: UTF8.self).lowercased()
            while i < bytes.count, isSpace(bytes[i]) { i += 1 }
            var value = ""
            if i < bytes.count, bytes[i] == UInt8(ascii: "=") {
                i += 1
                while i < bytes.count, isSpace(bytes[i]) { i += 1 }
                value = readValue()
            }
            if attributes[name] == nil { attributes[name] = HTMLEntities.decode(value) }
        }
        guard i < bytes.count else { return nil }
        i += 1  // past ">"
        return attributes
    }

    private mutating func readValue() -> String {
        guard i < bytes.count else { return "" }
        let quote = bytes[i]
        if quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") {
            let start = i + 1
            guard let end = find([quote], from: start) else {
                i = bytes.count
                return ""
            }
            i = end + 1
            return String(decoding: bytes[start..<end], as: UTF8.self)
        }
        let start = i
        while i < bytes.count, !isSpace(bytes[i]), bytes[i] != UInt8(ascii: ">") { i += 1 }
        return String(decoding: bytes[start..<i], as: UTF8.self)
    }

    /// Skips a comment-like, closing or processing tag.
    private mutating func skipTag() {
        i = (find([UInt8(ascii: ">")], from: i).map { $0 + 1 }) ?? bytes.count
    }

    /// The text up to `</name` (case-insensitive); moves past that end tag.
    private mutating func rawText(until name: String) -> Substring {
        let end = Array("</\(name)".utf8)
        var j = i
        while j + end.count <= bytes.count {
            if bytes[j] == UInt8(ascii: "<"), zip(bytes[j..<j + end.count], end).allSatisfy({ lower($0) == $1 }) { break }
            j += 1
        }
        let stop = j + end.count <= bytes.count ? j : bytes.count
        let text = Substring(String(decoding: bytes[i..<stop], as: UTF8.self))
        i = stop
        if i < bytes.count { skipTag() }
        return text
    }

    // MARK: Bytes

    private func find(_ needle: [UInt8], from start: Int) -> Int? {
        guard !needle.isEmpty, start < bytes.count else { return nil }
        var j = start
        while j + needle.count <= bytes.count {
            if bytes[j] == needle[0], needle.count == 1 || Array(bytes[j..<j + needle.count]) == needle { return j }
            j += 1
        }
        return nil
    }

    private func starts(with text: String) -> Bool {
        let prefix = Array(text.utf8)
        return i + prefix.count <= bytes.count && Array(bytes[i..<i + prefix.count]) == prefix
    }

    private func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0C || b == 0x0D }
    private func isLetter(_ b: UInt8) -> Bool { (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A }
    private func lower(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5A ? b | 0x20 : b }

    /// Runs of whitespace as one space, trimmed.
    static func collapsed(_ text: String) -> String {
        text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }
}
