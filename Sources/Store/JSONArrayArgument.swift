import MatrixProtocol

extension Database {
    /// A list as one JSON array argument, read back with `IN (SELECT value FROM json_each(?))`:
    /// the statement stays the same for any length, so it is prepared once and cached.
    static func jsonArray(_ strings: [String]) -> String {
        String(decoding: JSONValue.array(strings.map { .string($0) }).encodedBytes(), as: UTF8.self)
    }

    static func jsonArray(_ numbers: [Int64]) -> String {
        String(decoding: JSONValue.array(numbers.map { .int($0) }).encodedBytes(), as: UTF8.self)
    }
}
