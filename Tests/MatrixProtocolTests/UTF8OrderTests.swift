@testable import MatrixProtocol
import Testing

@Suite struct UTF8OrderTests {
    /// Code point order, the same as comparing the UTF-8 bytes one by one; never Unicode
    /// canonical equivalence.
    @Test func ordersByCodePoint() {
        let long = String(repeating: "x", count: 40)
        let cases: [(String, String)] = [
            ("", "a"), ("a", "b"), ("a", "ab"), ("Z", "a"), ("a", "é"), ("é", "€"), ("€", "😀"),
            ("e\u{301}", "é"), (long, long + "a"), (long + "a", long + "b"), ("short", long),
        ]
        for (a, b) in cases {
            #expect(UTF8Order.compare(a, b) < 0, "\(a) < \(b)")
            #expect(UTF8Order.compare(b, a) > 0, "\(b) > \(a)")
            #expect(UTF8Order.precedes(a, b) == a.utf8.lexicographicallyPrecedes(b.utf8))
            #expect(!UTF8Order.equal(a, b))
        }
        for s in ["", "a", "é", long, String(long.dropFirst()) + "é"] {
            #expect(UTF8Order.compare(s, String(decoding: Array(s.utf8), as: UTF8.self)) == 0)
        }
        // Canonically equivalent, different code points: different keys.
        #expect("e\u{301}" == "é")
        #expect(!UTF8Order.equal("e\u{301}", "é"))
    }
}
