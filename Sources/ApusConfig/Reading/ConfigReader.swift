import TOMLKit

/// Reads one TOML table by hand (not Codable) so that every problem is reported with its key
/// path: typed getters record an issue and return nil instead of throwing, and `finish()`
/// reports the keys nobody asked for.
final class ConfigReader {
    let path: KeyPath
    private let table: TOMLTable
    private let log: IssueLog
    /// Every key asked for, present or not: the known keys of this table.
    private var known: [String] = []

    init(table: TOMLTable, path: KeyPath, log: IssueLog) {
        self.table = table
        self.path = path
        self.log = log
    }

    // MARK: Scalars

    func string(_ key: String) -> String? {
        typed(key, "a string") { $0.string }
    }

    /// A string checked (and possibly converted) by `transform`.
    func string<T>(_ key: String, _ transform: (String) throws(ValueProblem) -> T) -> T? {
        string(key).flatMap { validated(path.appending(key), $0, transform) }
    }

    /// A non-empty string naming a file or directory.
    func path(_ key: String) -> String? {
        string(key, Self.nonEmptyPath)
    }

    func bool(_ key: String) -> Bool? {
        typed(key, "a boolean") { $0.bool }
    }

    func int(_ key: String, in range: ClosedRange<Int>) -> Int? {
        guard let value = typed(key, "an integer", { $0.int }) else { return nil }
        guard range.contains(value) else {
            let bounds = range.upperBound == .max ? "at least \(range.lowerBound)" : "\(range.lowerBound)-\(range.upperBound)"
            invalid(key, "expected an integer \(bounds), found \(value)")
            return nil
        }
        return value
    }

    /// A float; an integer is accepted too (`per_second = 10`).
    func positiveDouble(_ key: String) -> Double? {
        guard let value = typed(key, "a number", { $0.double ?? $0.int.map(Double.init) }) else { return nil }
        guard value > 0, value.isFinite else {
            invalid(key, "expected a number greater than 0, found \(value)")
            return nil
        }
        return value
    }

    /// One of the raw values of `T`.
    func choice<T: RawRepresentable & CaseIterable>(_ key: String) -> T? where T.RawValue == String {
        string(key) { text throws(ValueProblem) in try Self.choice(text) }
    }

    /// A byte count: an integer, or a string like "50M".
    func size(_ key: String) -> Int? {
        let keyPath = path.appending(key)
        guard let value = raw(key) else { return nil }
        if let bytes = value.int { return validated(keyPath, bytes, ByteSize.positive) }
        if let text = value.string { return validated(keyPath, text, ByteSize.parse) }
        log.add(.wrongType, at: keyPath, "\(ByteSize.expected), found \(Self.describe(value.type))")
        return nil
    }

    // MARK: Arrays

    /// An array of strings, each checked by `transform`; problems are reported per element.
    func array<T>(_ key: String, of transform: (String) throws(ValueProblem) -> T) -> [T]? {
        guard let array = typed(key, "an array of strings", { $0.array }) else { return nil }
        var result: [T] = []
        var ok = true
        for (index, element) in array.enumerated() {
            let elementPath = path.appending(key).appending(index: index)
            guard let text = element.string else {
                log.add(.wrongType, at: elementPath, "expected a string, found \(Self.describe(element.type))")
                ok = false
                continue
            }
            if let value = validated(elementPath, text, transform) { result.append(value) } else { ok = false }
        }
        return ok ? result : nil
    }

    /// A non-empty array of distinct raw values of `T`, in file order.
    func array<T: RawRepresentable & CaseIterable & Equatable>(_ key: String, uniqueChoicesOf _: T.Type) -> [T]?
        where T.RawValue == String {
        guard let values: [T] = array(key, of: { text throws(ValueProblem) in try Self.choice(text) }) else { return nil }
        guard !values.isEmpty else {
            invalid(key, "must not be empty; expected some of \(Self.choices(T.self))")
            return nil
        }
        for (index, value) in values.enumerated() where values[..<index].contains(value) {
            log.add(.invalidValue, at: path.appending(key).appending(index: index), "\"\(value.rawValue)\" is listed twice")
            return nil
        }
        return values
    }

    // MARK: Tables

    func table(_ key: String) -> ConfigReader? {
        typed(key, "a table") { $0.table }.map { ConfigReader(table: $0, path: path.appending(key), log: log) }
    }

    /// Reads the sub-table `key` with `read`, then reports its unknown keys; nil when absent or not a table.
    func section<T>(_ key: String, _ read: (ConfigReader) -> T) -> T? {
        guard let reader = table(key) else { return nil }
        let value = read(reader)
        reader.finish()
        return value
    }

    /// One element of an array of tables, and whether it was read without any problem.
    struct Element<T> {
        let index: Int
        let value: T
        let isClean: Bool
    }

    /// An array of tables (`[[key]]`), each read with `read` and checked for unknown keys.
    func sections<T>(_ key: String, _ read: (ConfigReader) -> T) -> [Element<T>]? {
        guard let array = typed(key, "an array of tables ([[\(key)]])", { $0.array }) else { return nil }
        var result: [Element<T>] = []
        for (index, element) in array.enumerated() {
            let elementPath = path.appending(key).appending(index: index)
            guard let table = element.table else {
                log.add(.wrongType, at: elementPath, "expected a table, found \(Self.describe(element.type))")
                continue
            }
            let issuesBefore = log.count
            let reader = ConfigReader(table: table, path: elementPath, log: log)
            let value = read(reader)
            reader.finish()
            result.append(Element(index: index, value: value, isClean: log.count == issuesBefore))
        }
        return result
    }

    // MARK: Problems

    /// Records a value that has the right type but is not acceptable.
    func invalid(_ key: String, _ message: String) {
        invalid(at: path.appending(key), message)
    }

    func invalid(at keyPath: KeyPath, _ message: String) {
        log.add(.invalidValue, at: keyPath, message)
    }

    /// Reports every key present in the table that no getter asked for.
    func finish() {
        for key in table.keys where !known.contains(key) {
            var message = "unknown key"
            if let suggestion = Self.closest(to: key, in: known) {
                message += " (did you mean \"\(suggestion)\"?)"
            }
            log.add(.unknownKey, at: path.appending(key), message)
        }
    }

    // MARK: Helpers

    private func raw(_ key: String) -> TOMLValueConvertible? {
        known.append(key)
        return table[key]
    }

    private func typed<T>(_ key: String, _ expected: String, _ extract: (TOMLValueConvertible) -> T?) -> T? {
        guard let value = raw(key) else { return nil }
        guard let typed = extract(value) else {
            log.add(.wrongType, at: path.appending(key), "expected \(expected), found \(Self.describe(value.type))")
            return nil
        }
        return typed
    }

    private func validated<In, Out>(_ at: KeyPath, _ value: In, _ transform: (In) throws(ValueProblem) -> Out) -> Out? {
        do {
            return try transform(value)
        } catch {
            log.add(.invalidValue, at: at, error.message)
            return nil
        }
    }

    private static func choice<T: RawRepresentable & CaseIterable>(_ text: String) throws(ValueProblem) -> T
        where T.RawValue == String {
        guard let value = T(rawValue: text) else {
            throw ValueProblem("expected one of \(choices(T.self)), found \"\(text)\"")
        }
        return value
    }

    private static func choices<T: RawRepresentable & CaseIterable>(_: T.Type) -> String where T.RawValue == String {
        T.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
    }

    static func describe(_ type: TOMLType) -> String {
        switch type {
        case .string: "a string"
        case .int: "an integer"
        case .double: "a float"
        case .bool: "a boolean"
        case .table: "a table"
        case .array: "an array"
        case .date: "a date"
        case .time: "a time"
        case .dateTime: "a date-time"
        }
    }

    /// A known key within edit distance 2 of a typo, to suggest in the message.
    private static func closest(to key: String, in known: [String]) -> String? {
        known.map { ($0, editDistance(Array(key), Array($0))) }
            .filter { $0.1 <= 2 }
            .min { $0.1 < $1.1 }?.0
    }

    private static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        var previous = Array(0...b.count)
        for i in a.indices {
            var current = [i + 1] + Array(repeating: 0, count: b.count)
            for j in b.indices {
                current[j + 1] = min(previous[j + 1] + 1, current[j] + 1, previous[j] + (a[i] == b[j] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
