import Foundation

/// Turns an HTML body into text: the encoding is the byte-order mark's, else the
/// `Content-Type` charset, else a `<meta charset>` (or `http-equiv` Content-Type) near the
/// start, else UTF-8 when the bytes are valid UTF-8 and windows-1252 otherwise. Latin-1 labels
/// mean windows-1252, as in browsers. Unknown labels fall back to UTF-8, lossily.
enum HTMLCharset {
    enum Encoding: Equatable {
        case utf8, windows1252, utf16LE, utf16BE
    }

    /// Where a `<meta>` declaring the encoding must appear (HTML looks in the first 1024 bytes;
    /// real pages are sloppier).
    static let prescanLength = 4096

    static func decode(_ body: [UInt8], contentTypeCharset: String?) -> String {
        var bytes = body[...]
        let encoding: Encoding
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            bytes = bytes.dropFirst(3)
            encoding = .utf8
        } else if bytes.starts(with: [0xFE, 0xFF]) {
            bytes = bytes.dropFirst(2)
            encoding = .utf16BE
        } else if bytes.starts(with: [0xFF, 0xFE]) {
            bytes = bytes.dropFirst(2)
            encoding = .utf16LE
        } else if let label = contentTypeCharset, let named = Self.encoding(label) {
            encoding = named
        } else if let label = declared(in: Array(bytes.prefix(prescanLength))), let named = Self.encoding(label) {
            // A page cannot declare UTF-16 from inside itself (the declaration would be UTF-16
            // too): HTML reads such a label as UTF-8.
            encoding = named == .utf16LE || named == .utf16BE ? .utf8 : named
        } else {
            encoding = isUTF8(bytes) ? .utf8 : .windows1252
        }
        switch encoding {
        case .utf8: return String(decoding: bytes, as: UTF8.self)
        case .windows1252: return Windows1252.decode(bytes)
        case .utf16LE: return String(data: Data(bytes), encoding: .utf16LittleEndian) ?? ""
        case .utf16BE: return String(data: Data(bytes), encoding: .utf16BigEndian) ?? ""
        }
    }

    /// The charset a `<meta>` tag declares.
    static func declared(in prefix: [UInt8]) -> String? {
        for meta in HTMLScanner.scan(bytes: prefix).metas {
            if let charset = meta["charset"], !charset.isEmpty { return charset }
            if meta["http-equiv"]?.lowercased() == "content-type", let content = meta["content"],
               let range = content.lowercased().range(of: "charset=") {
                let value = content.lowercased()[range.upperBound...].prefix { !";, ".contains($0) }
                return value.trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
            }
        }
        return nil
    }

    static func encoding(_ label: String) -> Encoding? {
        switch label.trimmingCharacters(in: .whitespaces).lowercased() {
        case "utf-8", "utf8", "unicode-1-1-utf-8":
            .utf8
        case "iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "l1", "windows-1252", "cp1252", "x-cp1252", "us-ascii", "ascii",
             "iso-ir-100", "cp819", "ibm819":
            .windows1252
        case "utf-16le": .utf16LE
        case "utf-16be": .utf16BE
        case "utf-16": .utf16LE
        default: nil
        }
    }
}

extension HTMLCharset {
    /// Valid UTF-8, but for an incomplete last character (a body cut at a size limit).
    static func isUTF8(_ bytes: ArraySlice<UInt8>) -> Bool {
        (0...min(3, bytes.count)).contains { valid(bytes.dropLast($0)) }
    }

    private static func valid(_ bytes: ArraySlice<UInt8>) -> Bool {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }
}
