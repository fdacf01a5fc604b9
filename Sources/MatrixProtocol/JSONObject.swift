/// A JSON object whose members are kept sorted by Unicode code point of their keys (UTF-8 byte
/// order), the order canonical JSON requires. Keys are compared by scalars, never normalised:
/// `"é"` and `"e\u{301}"` are two different keys, as the spec demands.
public struct JSONObject: Sendable, Hashable {
    public typealias Member = (key: String, value: JSONValue)
    public private(set) var members: [Member]

    public init() { members = [] }

    /// Builds an object; a later duplicate key replaces an earlier one.
    public init<S: Sequence>(_ pairs: S) where S.Element == (String, JSONValue) {
        members = []
        for (k, v) in pairs { self[k] = v }
    }

    /// Takes members already checked to be strictly sorted with no duplicates (the parser's output).
    init(sortedUnique: [Member]) { members = sortedUnique }

    public var count: Int { members.count }
    public var isEmpty: Bool { members.isEmpty }
    public var keys: [String] { members.map(\.key) }

    public subscript(key: String) -> JSONValue? {
        get {
            let (index, found) = Self.search(members, key)
            return found ? members[index].value : nil
        }
        set {
            let (index, found) = Self.search(members, key)
            switch (found, newValue) {
            case (true, let v?): members[index].value = v
            case (true, nil): members.remove(at: index)
            case (false, let v?): members.insert((key, v), at: index)
            case (false, nil): break
            }
        }
    }

    /// Removes and returns a member.
    @discardableResult
    public mutating func removeValue(forKey key: String) -> JSONValue? {
        let old = self[key]
        self[key] = nil
        return old
    }

    /// A copy holding only the given keys (redaction, signing forms).
    public func filtering(keys allowed: Set<String>) -> JSONObject {
        JSONObject(sortedUnique: members.filter { allowed.contains($0.key) })
    }

    /// True when `a` sorts before `b` by code point.
    static func precedes(_ a: String, _ b: String) -> Bool {
        UTF8Order.precedes(a, b)
    }

    private static func search(_ members: [Member], _ key: String) -> (Int, Bool) {
        var low = 0, high = members.count
        while low < high {
            let mid = (low + high) / 2
            let order = UTF8Order.compare(members[mid].key, key)
            if order == 0 { return (mid, true) }
            if order < 0 { low = mid + 1 } else { high = mid }
        }
        return (low, false)
    }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        lhs.members.count == rhs.members.count
            && zip(lhs.members, rhs.members).allSatisfy { a, b in
                UTF8Order.equal(a.key, b.key) && a.value == b.value
            }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(members.count)
        for m in members {
            for b in m.key.utf8 { hasher.combine(b) }
            hasher.combine(m.value)
        }
    }
}

extension JSONObject: Sequence {
    public func makeIterator() -> IndexingIterator<[Member]> { members.makeIterator() }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(elements)
    }
}
