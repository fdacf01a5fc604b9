/// Minimal `--name value` option parsing, shared by the benchmarks.
struct Options {
    private var values: [String: String] = [:]

    struct Invalid: Error, CustomStringConvertible {
        let description: String
    }

    init(_ arguments: [String], allowed: Set<String>) throws {
        var iterator = arguments.makeIterator()
        while let argument = iterator.next() {
            guard argument.hasPrefix("--"), allowed.contains(String(argument.dropFirst(2))) else {
                throw Invalid(description: "unknown option \(argument) (allowed: \(allowed.sorted().map { "--\($0)" }.joined(separator: ", ")))")
            }
            guard let value = iterator.next() else { throw Invalid(description: "\(argument) needs a value") }
            values[String(argument.dropFirst(2))] = value
        }
    }

    func string(_ name: String, default fallback: String) -> String { values[name] ?? fallback }

    func int(_ name: String, default fallback: Int) throws -> Int {
        guard let text = values[name] else { return fallback }
        guard let value = Int(text), value > 0 else { throw Invalid(description: "--\(name) needs a positive integer") }
        return value
    }

    func intList(_ name: String, default fallback: [Int]) throws -> [Int] {
        guard let text = values[name] else { return fallback }
        let list = text.split(separator: ",").compactMap { Int($0) }.filter { $0 > 0 }
        guard !list.isEmpty else { throw Invalid(description: "--\(name) needs positive integers, e.g. 1,16") }
        return list
    }
}
