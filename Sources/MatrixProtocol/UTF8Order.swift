#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Code point order of strings (their UTF-8 bytes compared), the order canonical JSON and the
/// state resolution tie-breaks use; Swift's `==` and `<` on `String` follow Unicode canonical
/// equivalence instead. One three-way comparison of the contiguous bytes, so a binary search
/// (`JSONObject`) makes one comparison per step instead of an equality test and an ordering.
public enum UTF8Order {
    /// Negative, zero or positive as `a` sorts before, equal to or after `b`.
    @inlinable
    public static func compare(_ a: String, _ b: String) -> Int {
        let fast = a.utf8.withContiguousStorageIfAvailable { pa in
            b.utf8.withContiguousStorageIfAvailable { pb -> Int in
                let common = min(pa.count, pb.count)
                if common > 0, let x = pa.baseAddress, let y = pb.baseAddress {
                    let c = memcmp(x, y, common)
                    if c != 0 { return Int(c) }
                }
                return pa.count - pb.count
            }
        }
        if let result = fast ?? nil { return result }
        if a.utf8.elementsEqual(b.utf8) { return 0 }
        return a.utf8.lexicographicallyPrecedes(b.utf8) ? -1 : 1
    }

    @inlinable
    public static func equal(_ a: String, _ b: String) -> Bool { compare(a, b) == 0 }

    @inlinable
    public static func precedes(_ a: String, _ b: String) -> Bool { compare(a, b) < 0 }
}
