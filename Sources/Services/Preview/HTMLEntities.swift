/// Character references in HTML text and attribute values: numeric (`&#233;`, `&#xE9;`) and
/// the named ones pages commonly use (all of Latin-1, typography, a few symbols). An unknown
/// name stays as written, as browsers do.
enum HTMLEntities {
    static func decode(_ text: Substring) -> String {
        guard text.contains("&") else { return String(text) }
        var out = String.UnicodeScalarView()
        let scalars = Array(text.unicodeScalars)
        var i = 0
        while i < scalars.count {
            guard scalars[i] == "&", let (decoded, length) = reference(scalars, at: i) else {
                out.append(scalars[i])
                i += 1
                continue
            }
            out.append(contentsOf: decoded.unicodeScalars)
            i += length
        }
        return String(out)
    }

    static func decode(_ text: String) -> String { decode(Substring(text)) }

    /// The text a reference starting at `start` (an `&`) stands for, and its length.
    private static func reference(_ s: [Unicode.Scalar], at start: Int) -> (String, Int)? {
        var i = start + 1
        guard i < s.count else { return nil }
        if s[i] == "#" {
            i += 1
            let hex = i < s.count && (s[i] == "x" || s[i] == "X")
            if hex { i += 1 }
            let digitsStart = i
            while i < s.count, i - digitsStart < 8, isDigit(s[i], hex: hex) { i += 1 }
            guard i > digitsStart, let value = UInt32(String(String.UnicodeScalarView(s[digitsStart..<i])), radix: hex ? 16 : 10) else {
                return nil
            }
            if i < s.count && s[i] == ";" { i += 1 }
            return (String(numeric(value)), i - start)
        }
        let nameStart = i
        while i < s.count, i - nameStart < 32, s[i].isASCII, s[i].properties.isAlphabetic || isDigit(s[i], hex: false) {
            i += 1
        }
        let name = String(String.UnicodeScalarView(s[nameStart..<i]))
        if i < s.count && s[i] == ";", let value = named[name] { return (value, i + 1 - start) }
        // A few old names work without the semicolon ("AT&amp T" in the wild).
        if let value = named[name], legacy.contains(name) { return (value, i - start) }
        return nil
    }

    private static func isDigit(_ c: Unicode.Scalar, hex: Bool) -> Bool {
        ("0"..."9").contains(c) || (hex && (("a"..."f").contains(c) || ("A"..."F").contains(c)))
    }

    /// HTML's rules: NUL, surrogates and values past Unicode become U+FFFD; 0x80–0x9F are read
    /// as windows-1252, as pages written for it expect.
    private static func numeric(_ value: UInt32) -> Character {
        if (0x80...0x9F).contains(value), let mapped = Windows1252.high[Int(value - 0x80)] { return Character(mapped) }
        guard value != 0, let scalar = Unicode.Scalar(value) else { return "\u{FFFD}" }
        return Character(scalar)
    }

    private static let legacy: Set<String> = ["amp", "lt", "gt", "quot", "nbsp", "copy", "reg"]

    /// Latin-1's names in code point order, U+00A0 to U+00FF.
    private static let latin1 = """
        nbsp iexcl cent pound curren yen brvbar sect uml copy ordf laquo not shy reg macr deg plusmn sup2 sup3 acute micro \
        para middot cedil sup1 ordm raquo frac14 frac12 frac34 iquest Agrave Aacute Acirc Atilde Auml Aring AElig Ccedil \
        Egrave Eacute Ecirc Euml Igrave Iacute Icirc Iuml ETH Ntilde Ograve Oacute Ocirc Otilde Ouml times Oslash Ugrave \
        Uacute Ucirc Uuml Yacute THORN szlig agrave aacute acirc atilde auml aring aelig ccedil egrave eacute ecirc euml \
        igrave iacute icirc iuml eth ntilde ograve oacute ocirc otilde ouml divide oslash ugrave uacute ucirc uuml yacute \
        thorn yuml
        """.split(separator: " ")

    static let named: [String: String] = {
        var table: [String: String] = [
            "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'",
            "ndash": "\u{2013}", "mdash": "\u{2014}", "lsquo": "\u{2018}", "rsquo": "\u{2019}", "sbquo": "\u{201A}",
            "ldquo": "\u{201C}", "rdquo": "\u{201D}", "bdquo": "\u{201E}", "hellip": "\u{2026}", "bull": "\u{2022}",
            "prime": "\u{2032}", "Prime": "\u{2033}", "lsaquo": "\u{2039}", "rsaquo": "\u{203A}", "dagger": "\u{2020}",
            "Dagger": "\u{2021}", "permil": "\u{2030}", "trade": "\u{2122}", "euro": "\u{20AC}", "OElig": "\u{152}",
            "oelig": "\u{153}", "Scaron": "\u{160}", "scaron": "\u{161}", "Yuml": "\u{178}", "fnof": "\u{192}",
            "circ": "\u{2C6}", "tilde": "\u{2DC}", "ensp": "\u{2002}", "emsp": "\u{2003}", "thinsp": "\u{2009}",
            "zwnj": "\u{200C}", "zwj": "\u{200D}", "lrm": "\u{200E}", "rlm": "\u{200F}", "larr": "\u{2190}",
            "uarr": "\u{2191}", "rarr": "\u{2192}", "darr": "\u{2193}", "harr": "\u{2194}", "hearts": "\u{2665}",
            "infin": "\u{221E}", "ne": "\u{2260}", "le": "\u{2264}", "ge": "\u{2265}", "minus": "\u{2212}",
            "alpha": "\u{3B1}", "beta": "\u{3B2}", "gamma": "\u{3B3}", "delta": "\u{3B4}", "pi": "\u{3C0}", "mu": "\u{3BC}",
        ]
        for (offset, name) in latin1.enumerated() {
            table[String(name)] = String(Character(Unicode.Scalar(UInt32(0xA0 + offset))!))
        }
        return table
    }()
}

/// windows-1252, which HTML uses for pages labelled ISO-8859-1 or Latin-1 (WHATWG Encoding):
/// Latin-1 with printable characters in 0x80–0x9F.
enum Windows1252 {
    /// 0x80–0x9F; nil where windows-1252 has no character (decoded as U+FFFD).
    static let high: [Unicode.Scalar?] = [
        0x20AC, nil, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, nil, 0x017D, nil,
        nil, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, nil, 0x017E, 0x0178,
    ].map { $0.flatMap { Unicode.Scalar(UInt32($0)) } }

    static func decode(_ bytes: some Collection<UInt8>) -> String {
        var out = String.UnicodeScalarView()
        for byte in bytes {
            if (0x80...0x9F).contains(byte) {
                out.append(high[Int(byte - 0x80)] ?? "\u{FFFD}")
            } else {
                out.append(Unicode.Scalar(byte))
            }
        }
        return String(out)
    }
}
