/// A compiled glob for push rules (spec "Glob-style matching": `*` any run, `?` one
/// character), matched case-insensitively by lower-casing both sides.
///
/// Matching runs the pattern as an NFA over the text, so it is linear in the text for any
/// pattern; the word-boundary form (for `content.body`) starts a match after every boundary in
/// the same pass instead of retrying from each position.
public struct PushGlob: Sendable, Equatable {
    enum Token: Sendable, Equatable { case scalar(Unicode.Scalar), one, any }

    let tokens: [Token]
    /// A pattern without wildcards: plain comparison.
    let literal: [Unicode.Scalar]?

    public init(_ pattern: String) {
        tokens = pattern.lowercased().unicodeScalars.map { $0 == "*" ? .any : $0 == "?" ? .one : .scalar($0) }
        literal = tokens.allSatisfy { if case .scalar = $0 { true } else { false } } ? Array(pattern.lowercased().unicodeScalars) : nil
    }

    /// A glob matching `text` literally (wildcard characters in it are plain characters).
    public init(literal text: String) {
        let scalars = Array(text.lowercased().unicodeScalars)
        tokens = scalars.map { .scalar($0) }
        literal = scalars
    }

    /// Whether the whole of `text` (already lower-cased) matches.
    public func matches(lowercased text: [Unicode.Scalar]) -> Bool {
        if let literal { return literal == text }
        return run(text, wordBoundaries: false)
    }

    /// Whether some substring of `text` (lower-cased) that starts and ends at a word boundary
    /// matches: boundaries are the ends of the text and any character outside `[A-Za-z0-9_]`.
    public func matchesWords(lowercased text: [Unicode.Scalar]) -> Bool {
        run(text, wordBoundaries: true)
    }

    static func isWordCharacter(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x5F: true
        default: false
        }
    }

    private func run(_ text: [Unicode.Scalar], wordBoundaries: Bool) -> Bool {
        let n = tokens.count
        var active = [Bool](repeating: false, count: n + 1)
        var next = active
        func close(_ states: inout [Bool]) {
            // `*` may match nothing: being before it is being after it too.
            for k in 0..<n where states[k] { if case .any = tokens[k] { states[k + 1] = true } }
        }
        active[0] = true
        close(&active)
        // Boundary before position i: the start, or a non-word character at i-1 (which a match
        // starting at i does not include).
        for c in text {
            if wordBoundaries, active[n], !Self.isWordCharacter(c) { return true }
            for k in 0...n { next[k] = false }
            var any = false
            for k in 0..<n where active[k] {
                switch tokens[k] {
                case .scalar(let s): if s == c { next[k + 1] = true; any = true }
                case .one: next[k + 1] = true; any = true
                case .any: next[k] = true; next[k + 1] = true; any = true
                }
            }
            if wordBoundaries, !Self.isWordCharacter(c) { next[0] = true; any = true }
            swap(&active, &next)
            close(&active)
            if !any && !wordBoundaries { return false }
        }
        return active[n]
    }
}
