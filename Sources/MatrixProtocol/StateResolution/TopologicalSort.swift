/// The lexicographically smallest topological ordering of a DAG: Kahn's algorithm taking, at each
/// step, the smallest of the ready nodes (spec `v2-state-res.md`, "Reverse topological power
/// ordering"). A node is ready once every node it depends on is placed, so dependencies come
/// first. Ready nodes wait in a binary heap: O(E + V log V).
///
/// Nodes on a dependency cycle (impossible with hashed event IDs) never become ready and are left out.
func lexicographicTopologicalSort<Node: Hashable>(_ nodes: [Node], dependencies: (Node) -> [Node],
                                                  precedes: @escaping (Node, Node) -> Bool) -> [Node] {
    let members = Set(nodes)
    var waitingOn: [Node: Int] = [:]
    var dependents: [Node: [Node]] = [:]
    var ready = BinaryHeap<Node>(precedes: precedes)
    for n in members {
        let deps = Set(dependencies(n)).intersection(members)
        waitingOn[n] = deps.count
        for d in deps { dependents[d, default: []].append(n) }
        if deps.isEmpty { ready.push(n) }
    }
    var order: [Node] = []
    order.reserveCapacity(members.count)
    while let next = ready.pop() {
        order.append(next)
        for d in dependents[next] ?? [] {
            waitingOn[d]! -= 1
            if waitingOn[d] == 0 { ready.push(d) }
        }
    }
    return order
}

/// A binary min-heap under a strict ordering.
struct BinaryHeap<Element> {
    private var items: [Element] = []
    private let precedes: (Element, Element) -> Bool

    init(precedes: @escaping (Element, Element) -> Bool) {
        self.precedes = precedes
    }

    var isEmpty: Bool { items.isEmpty }

    mutating func push(_ e: Element) {
        items.append(e)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard precedes(items[i], items[parent]) else { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> Element? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let top = items.removeLast()
        var i = 0
        while true {
            let left = 2 * i + 1, right = left + 1
            var smallest = i
            if left < items.count, precedes(items[left], items[smallest]) { smallest = left }
            if right < items.count, precedes(items[right], items[smallest]) { smallest = right }
            if smallest == i { break }
            items.swapAt(i, smallest)
            i = smallest
        }
        return top
    }
}
