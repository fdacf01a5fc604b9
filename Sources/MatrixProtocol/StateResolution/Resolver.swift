/// One resolution's working memory: memoised events, auth chains and power levels.
struct Resolver {
    let version: RoomVersion
    let lookup: StateResolution.Events
    private var chains: [String: Set<String>] = [:]
    var phase: [String: String] = [:]
    var rejections: [String: String] = [:]

    init(version: RoomVersion, lookup: @escaping StateResolution.Events) {
        self.version = version
        self.lookup = lookup
    }

    /// The lookup is the provider's (the store caches behind it), so nothing is copied here.
    mutating func event(_ id: String) throws(StateResolutionError) -> PDU {
        guard let e = lookup(id) else { throw StateResolutionError(message: "event \(id) is not known") }
        return e
    }

    mutating func optionalEvent(_ id: String) -> PDU? {
        try? event(id)
    }

    /// An event's auth events; in v12 the create event is implied (its ID is the room ID's).
    mutating func authEvents(of e: PDU) -> [String] {
        guard version.hashedRoomIDs, e.type != "m.room.create" else { return e.authEvents }
        let create = "$" + e.roomID.dropFirst()
        return e.authEvents.contains(create) ? e.authEvents : e.authEvents + [create]
    }

    /// All auth ancestors of an event (not the event itself), memoised.
    mutating func authChain(_ id: String) throws(StateResolutionError) -> Set<String> {
        if let c = chains[id] { return c }
        // Iterative post-order walk, so deep chains cannot overflow the stack.
        var stack: [(String, Bool)] = [(id, false)]
        while let (current, expanded) = stack.popLast() {
            if chains[current] != nil { continue }
            let e = try event(current)
            let parents = authEvents(of: e)
            if expanded {
                var chain = Set(parents)
                for p in parents { chain.formUnion(chains[p] ?? []) }
                chains[current] = chain
            } else {
                stack.append((current, true))
                for p in parents where chains[p] == nil { stack.append((p, false)) }
            }
        }
        return chains[id] ?? []
    }

    /// Every auth ancestor of the given events (a breadth-first walk; the events themselves only
    /// when another one reaches them), for the auth difference.
    mutating func ancestors(of ids: some Sequence<String>) throws(StateResolutionError) -> Set<String> {
        var seen: Set<String> = []
        var frontier: [String] = []
        for id in ids { frontier.append(contentsOf: authEvents(of: try event(id))) }
        while let id = frontier.popLast() {
            guard seen.insert(id).inserted else { continue }
            frontier.append(contentsOf: authEvents(of: try event(id)))
        }
        return seen
    }

    /// The sender's power level from the event's own auth events (creator 100 without a PL
    /// event; v12 creators infinite).
    mutating func senderPowerLevel(_ e: PDU) -> PowerLevel {
        var pl: PDU?, create: PDU?
        for id in authEvents(of: e) {
            guard let a = optionalEvent(id) else { continue }
            if a.type == "m.room.power_levels", a.stateKey == "" { pl = a }
            if a.type == "m.room.create", a.stateKey == "" { create = a }
        }
        if e.type == "m.room.create" { create = e }
        return PowerLevels(event: pl, create: create, version: version).userLevel(e.sender)
    }
}
