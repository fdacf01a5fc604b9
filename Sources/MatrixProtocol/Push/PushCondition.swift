/// A push rule condition compiled for evaluation (spec "Conditions"). Anything it cannot
/// understand becomes `.never`: unrecognised conditions must not match.
enum PushCondition: Sendable {
    case eventMatch(PropertyPath, PushGlob)
    case propertyIs(PropertyPath, JSONValue)
    case propertyContains(PropertyPath, JSONValue)
    case containsDisplayName
    case memberCount(MemberCount)
    case senderNotificationPermission(String)
    case never

    init(_ json: JSONObject) {
        let key = json["key"]?.stringValue.map(PropertyPath.init)
        switch json["kind"]?.stringValue {
        case "event_match":
            guard let key, let pattern = json["pattern"]?.stringValue else { self = .never; return }
            self = .eventMatch(key, PushGlob(pattern))
        case "event_property_is":
            guard let key, let value = json["value"], Self.isScalar(value) else { self = .never; return }
            self = .propertyIs(key, value)
        case "event_property_contains":
            guard let key, let value = json["value"], Self.isScalar(value) else { self = .never; return }
            self = .propertyContains(key, value)
        case "contains_display_name":
            self = .containsDisplayName
        case "room_member_count":
            guard let count = json["is"]?.stringValue.flatMap(MemberCount.init) else { self = .never; return }
            self = .memberCount(count)
        case "sender_notification_permission":
            guard let key = json["key"]?.stringValue else { self = .never; return }
            self = .senderNotificationPermission(key)
        default:
            self = .never
        }
    }

    /// The property the condition reads, when it holds only if the event has it: `.some(nil)`
    /// reads nothing and never holds; nil may hold without reading the event.
    var reads: PropertyPath?? {
        switch self {
        case .eventMatch(let path, _), .propertyIs(let path, _), .propertyContains(let path, _): .some(path)
        case .containsDisplayName: .some(.body)
        case .never: .some(nil)
        case .memberCount, .senderNotificationPermission: nil
        }
    }

    /// The condition's kind and what it reads, without its value: members whose rules differ
    /// only in the values of conditions that name them share a shape.
    var template: String {
        switch self {
        case .eventMatch(let path, _): "em " + path.text
        case .propertyIs(let path, _): "pi " + path.text
        case .propertyContains(let path, _): "pc " + path.text
        case .containsDisplayName: "dn"
        case .memberCount(let count): "mc \(count.comparison.rawValue)\(count.count)"
        case .senderNotificationPermission(let key): "sp " + key
        case .never: "never"
        }
    }

    /// The values `event_property_is` and `_contains` compare: strings, integers, booleans, null.
    static func isScalar(_ value: JSONValue) -> Bool {
        switch value {
        case .string, .int, .bool, .null: true
        default: false
        }
    }

    /// `room_member_count`'s `is`: an optional `==`, `<`, `>`, `<=`, `>=` and a decimal integer.
    struct MemberCount: Sendable, Equatable {
        enum Comparison: String, Sendable { case eq = "==", lt = "<", gt = ">", le = "<=", ge = ">=" }
        let comparison: Comparison
        let count: Int

        init?(_ text: String) {
            let prefixes: [Comparison] = [.eq, .le, .ge, .lt, .gt]  // two-character ones first
            let found = prefixes.first { text.hasPrefix($0.rawValue) }
            let digits = text.dropFirst(found?.rawValue.count ?? 0)
            guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(digits) else { return nil }
            comparison = found ?? .eq
            count = n
        }

        func holds(_ members: Int) -> Bool {
            switch comparison {
            case .eq: members == count
            case .lt: members < count
            case .gt: members > count
            case .le: members <= count
            case .ge: members >= count
            }
        }
    }
}

/// A dot-separated property path (spec appendix "Dot-separated property paths"): `\.` is a
/// literal dot and `\\` a backslash; any other backslash is kept as it is.
struct PropertyPath: Sendable, Equatable {
    let text: String
    let components: [String]
    /// The same number for the same text (-1 past the table's capacity): an event caches the
    /// values it read by number, which costs less per member than hashing the text.
    let number: Int

    static let body = PropertyPath("content.body")
    private static let numbers = InternTable(capacity: 1 << 12)

    init(_ text: String) {
        self.text = text
        number = Self.numbers.number(text)
        var components: [String] = []
        var current = ""
        var iterator = text.makeIterator()
        while let c = iterator.next() {
            if c == "\\" {
                switch iterator.next() {
                case "."?: current.append(".")
                case "\\"?: current.append("\\")
                case let other?: current.append("\\"); current.append(other)
                case nil: current.append("\\")
                }
            } else if c == "." {
                components.append(current)
                current = ""
            } else {
                current.append(c)
            }
        }
        components.append(current)
        self.components = components
    }

    func value(in object: JSONObject) -> JSONValue? {
        var value: JSONValue = .object(object)
        for component in components {
            guard let next = value.objectValue?[component] else { return nil }
            value = next
        }
        return value
    }
}
