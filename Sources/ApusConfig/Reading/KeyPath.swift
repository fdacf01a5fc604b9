/// Where a value sits in the document, e.g. `listeners[1].port`. The walker and the line locator
/// both render paths through this type, so their spellings always match.
struct KeyPath: Hashable, Sendable, CustomStringConvertible {
    enum Component: Hashable, Sendable {
        case key(String)
        case index(Int)
    }

    private(set) var components: [Component] = []

    static let root = KeyPath()

    func appending(_ key: String) -> KeyPath {
        var copy = self
        copy.components.append(.key(key))
        return copy
    }

    func appending(index: Int) -> KeyPath {
        var copy = self
        copy.components.append(.index(index))
        return copy
    }

    /// TOML spelling: bare keys as they are, other keys quoted, array indexes 0-based in brackets.
    var description: String {
        var text = ""
        for component in components {
            switch component {
            case .key(let key):
                if !text.isEmpty { text += "." }
                text += Self.isBare(key) ? key : Self.quoted(key)
            case .index(let index):
                text += "[\(index)]"
            }
        }
        return text
    }

    private static func isBare(_ key: String) -> Bool {
        !key.isEmpty && key.unicodeScalars.allSatisfy { c in
            c.isASCII && (c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "_" || c == "-")
        }
    }

    private static func quoted(_ key: String) -> String {
        "\"" + key.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
