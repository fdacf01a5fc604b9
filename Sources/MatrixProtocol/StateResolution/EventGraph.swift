/// The events one resolution touches, interned to dense integers: the graph walks then work on
/// arrays instead of hashing event ID strings, and each event is fetched from the provider once.
struct EventGraph {
    typealias Node = Int

    private let source: any StateResolutionEvents
    /// Room v12: every event but the create event has the create event as an implied auth event
    /// (its ID is the room ID with `$` for `!`), which `auth_events` never lists.
    private let impliedCreate: Bool

    private var index: [String: Node] = [:]
    private(set) var ids: [String] = []
    private var pdus: [PDU?] = []
    private var parentLists: [[Node]?] = []
    private var rejected: [Bool?] = []

    init(source: any StateResolutionEvents, version: RoomVersion) {
        self.source = source
        impliedCreate = version.hashedRoomIDs
    }

    var count: Int { ids.count }

    /// The node of an event ID, interning it on first sight (nothing is fetched yet).
    mutating func node(_ id: String) -> Node {
        if let n = index[id] { return n }
        let n = ids.count
        index[id] = n
        ids.append(id)
        pdus.append(nil)
        parentLists.append(nil)
        rejected.append(nil)
        return n
    }

    func id(_ n: Node) -> String { ids[n] }

    /// The event, fetched once; an unknown event is an error.
    mutating func pdu(_ n: Node) throws(StateResolutionError) -> PDU {
        if let e = pdus[n] { return e }
        guard let e = source.event(ids[n]) else { throw .unknownEvent(ids[n]) }
        pdus[n] = e
        return e
    }

    /// The event when the provider knows it.
    mutating func knownPDU(_ n: Node) -> PDU? {
        try? pdu(n)
    }

    /// Whether the provider flags the event as rejected on its own auth events.
    mutating func isRejected(_ n: Node) -> Bool {
        if let r = rejected[n] { return r }
        let r = source.isRejected(ids[n])
        rejected[n] = r
        return r
    }

    /// The event's auth events (with v12's implied create event), deduplicated, in listed order.
    mutating func parents(_ n: Node) throws(StateResolutionError) -> [Node] {
        if let p = parentLists[n] { return p }
        let list = parents(of: try pdu(n))
        parentLists[n] = list
        return list
    }

    /// The auth events of any event, also one outside the graph (a probe, an event being sent).
    mutating func parents(of e: PDU) -> [Node] {
        var list: [Node] = []
        list.reserveCapacity(e.authEvents.count + 1)
        for id in e.authEvents {
            let p = node(id)
            if !list.contains(p) { list.append(p) }
        }
        if impliedCreate, e.type != "m.room.create" {
            let create = node("$" + e.roomID.dropFirst())
            if !list.contains(create) { list.append(create) }
        }
        return list
    }

    /// The provider's precomputed auth chain, interned; nil when it has none.
    mutating func precomputedChain(_ n: Node) -> [Node]? {
        source.authChain(ids[n]).map { $0.map { node($0) } }
    }
}
