/// Sizes in the configuration: a byte count (integer) or a string with a K, M or G suffix
/// (powers of 1024), e.g. "50M".
enum ByteSize {
    static let expected = "expected a size: a byte count or a string like \"50M\" (suffix K, M or G)"

    static func parse(_ text: String) throws(ValueProblem) -> Int {
        var digits = Substring(text)
        var multiplier = 1
        switch text.last {
        case "K", "k": multiplier = 1 << 10
        case "M", "m": multiplier = 1 << 20
        case "G", "g": multiplier = 1 << 30
        default: break
        }
        if multiplier != 1 { digits = digits.dropLast() }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let count = Int(digits) else {
            throw ValueProblem("\(expected), found \"\(text)\"")
        }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: multiplier)
        guard !overflow else { throw ValueProblem("size \"\(text)\" is too large") }
        return try positive(bytes)
    }

    static func positive(_ bytes: Int) throws(ValueProblem) -> Int {
        guard bytes > 0 else { throw ValueProblem("size must be greater than 0") }
        return bytes
    }
}
