/// A set of graph nodes as a growable bitmap plus the list of members: O(1) membership without
/// hashing, and iteration in insertion order.
struct NodeSet {
    private var bits: [Bool] = []
    private(set) var members: [EventGraph.Node] = []

    init() {}

    init(_ nodes: some Sequence<EventGraph.Node>) {
        for n in nodes { insert(n) }
    }

    var count: Int { members.count }
    var isEmpty: Bool { members.isEmpty }

    func contains(_ n: EventGraph.Node) -> Bool { n < bits.count && bits[n] }

    @discardableResult
    mutating func insert(_ n: EventGraph.Node) -> Bool {
        if n >= bits.count { bits.append(contentsOf: repeatElement(false, count: max(n + 1, bits.count * 2) - bits.count)) }
        guard !bits[n] else { return false }
        bits[n] = true
        members.append(n)
        return true
    }
}
