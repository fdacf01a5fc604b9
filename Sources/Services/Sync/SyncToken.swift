import MatrixProtocol

/// A position in the server's streams, as clients carry it in `since`, `next_batch`,
/// `prev_batch`, `from` and `to`:
/// `s<events>_<account data>_<receipts>_<typing>_<presence>_<to-device>_<device lists>`. A token
/// with fewer fields (as `/messages` hands out, or as older versions did) leaves the others at 0.
public struct SyncToken: Sendable, Equatable, CustomStringConvertible {
    public enum Stream: Sendable { case events, accountData, receipts, typing, presence, toDevice, deviceLists }

    public var events: Int64
    public var accountData: Int64 = 0
    public var receipts: Int64 = 0
    public var typing: Int64 = 0
    public var presence: Int64 = 0
    public var toDevice: Int64 = 0
    public var deviceLists: Int64 = 0

    public init(events: Int64, accountData: Int64 = 0, receipts: Int64 = 0, typing: Int64 = 0, presence: Int64 = 0,
                toDevice: Int64 = 0, deviceLists: Int64 = 0) {
        self.events = events
        self.accountData = accountData
        self.receipts = receipts
        self.typing = typing
        self.presence = presence
        self.toDevice = toDevice
        self.deviceLists = deviceLists
    }

    public init(_ text: String) throws(MatrixError) {
        let parts = text.dropFirst().split(separator: "_", omittingEmptySubsequences: false)
        let numbers = parts.map { Int64($0) }
        // Only the event position may be negative: history fetched over federation sits below 0.
        guard text.hasPrefix("s"), (1...7).contains(parts.count), numbers.allSatisfy({ $0 != nil }),
              numbers.dropFirst().allSatisfy({ $0! >= 0 }) else {
            throw MatrixError.invalidParam("Invalid stream token '\(text)'")
        }
        events = numbers[0]!
        if numbers.count > 1 { accountData = numbers[1]! }
        if numbers.count > 2 { receipts = numbers[2]! }
        if numbers.count > 3 { typing = numbers[3]! }
        if numbers.count > 4 { presence = numbers[4]! }
        if numbers.count > 5 { toDevice = numbers[5]! }
        if numbers.count > 6 { deviceLists = numbers[6]! }
    }

    public var description: String {
        "s\(events)_\(accountData)_\(receipts)_\(typing)_\(presence)_\(toDevice)_\(deviceLists)"
    }

    /// The token of a position in the room timeline only (`prev_batch`, `/messages`).
    public static func timeline(_ position: Int64) -> String { "s\(position)" }

    public subscript(stream: Stream) -> Int64 {
        get {
            switch stream {
            case .events: events
            case .accountData: accountData
            case .receipts: receipts
            case .typing: typing
            case .presence: presence
            case .toDevice: toDevice
            case .deviceLists: deviceLists
            }
        }
        set {
            switch stream {
            case .events: events = newValue
            case .accountData: accountData = newValue
            case .receipts: receipts = newValue
            case .typing: typing = newValue
            case .presence: presence = newValue
            case .toDevice: toDevice = newValue
            case .deviceLists: deviceLists = newValue
            }
        }
    }

    /// True when any stream is past `other`'s position.
    public func isAhead(of other: SyncToken) -> Bool {
        events > other.events || accountData > other.accountData || receipts > other.receipts || typing > other.typing
            || presence > other.presence || toDevice > other.toDevice || deviceLists > other.deviceLists
    }
}
