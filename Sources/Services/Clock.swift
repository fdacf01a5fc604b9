import Foundation

/// Milliseconds since the Unix epoch; a parameter so tests can fix time.
public struct Clock: Sendable {
    public let nowMillis: @Sendable () -> Int64

    public init(nowMillis: @escaping @Sendable () -> Int64) { self.nowMillis = nowMillis }

    public static let system = Clock { Int64(Date().timeIntervalSince1970 * 1000) }
}
