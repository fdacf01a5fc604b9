import Sodium

/// Where a paginated `/hierarchy` walk stopped, kept in memory under the `next_batch` token: the
/// rooms still to visit and those already shown. A token lapses after five minutes or with a
/// restart; then the client starts again (400 `M_INVALID_PARAM`, as for any unknown token).
actor HierarchyPages {
    struct Entry: Sendable {
        var roomID: String
        var via: [String]
        var depth: Int
        /// What a parent's federation answer said of this room, if it came from one.
        var remote: SpaceRoom?
    }

    struct Walk: Sendable {
        var userID: String
        var roomID: String
        var suggestedOnly: Bool
        var maxDepth: Int?
        var queue: [Entry]
        var processed: Set<String>
    }

    static let lifetimeMillis: Int64 = 5 * 60 * 1000
    /// Most walks kept at once: the oldest goes first.
    static let capacity = 1000

    private var walks: [String: (walk: Walk, created: Int64)] = [:]

    func save(_ walk: Walk, now: Int64) -> String {
        walks = walks.filter { now - $0.value.created < Self.lifetimeMillis }
        if walks.count >= Self.capacity, let oldest = walks.min(by: { $0.value.created < $1.value.created })?.key {
            walks[oldest] = nil
        }
        let token = SecureRandom.alphanumeric(24)
        walks[token] = (walk, now)
        return token
    }

    func walk(_ token: String, now: Int64) -> Walk? {
        guard let saved = walks[token], now - saved.created < Self.lifetimeMillis else { return nil }
        return saved.walk
    }
}
