@testable import MatrixProtocol

/// A provider that answers auth chains from its own index, as a store with a chain index would,
/// and flags chosen events as rejected.
struct ChainIndexedEvents: StateResolutionEvents {
    let events: [String: PDU]
    let version: RoomVersion
    var rejectedIDs: Set<String> = []

    func event(_ id: String) -> PDU? { events[id] }
    func isRejected(_ id: String) -> Bool { rejectedIDs.contains(id) }

    /// Walks `auth_events` (plus v12's implied create event); nil for an unknown event.
    func authChain(_ id: String) -> [String]? {
        guard let start = events[id] else { return nil }
        var seen: Set<String> = []
        var stack = parents(start)
        while let next = stack.popLast() {
            guard seen.insert(next).inserted else { continue }
            if let e = events[next] { stack += parents(e) }
        }
        return Array(seen)
    }

    private func parents(_ e: PDU) -> [String] {
        guard version.hashedRoomIDs, e.type != "m.room.create" else { return e.authEvents }
        return e.authEvents + ["$" + e.roomID.dropFirst()]
    }
}

/// A small deterministic generator (SplitMix64) for the randomised graph tests.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
