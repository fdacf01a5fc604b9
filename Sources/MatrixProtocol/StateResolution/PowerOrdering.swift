/// The two orderings of state resolution v2: reverse topological power ordering and mainline ordering.
extension Resolver {
    /// Kahn's algorithm over the auth edges inside `ids`, ties broken by the power comparator:
    /// higher sender power level, then earlier origin_server_ts, then smaller event ID.
    mutating func reverseTopologicalPowerOrder(_ ids: Set<String>) throws(StateResolutionError) -> [String] {
        var dependencies: [String: Set<String>] = [:]
        var dependents: [String: [String]] = [:]
        var key: [String: (PowerLevel, Int64)] = [:]
        for id in ids {
            let e = try event(id)
            let deps = Set(authEvents(of: e).filter(ids.contains))
            dependencies[id] = deps
            for d in deps { dependents[d, default: []].append(id) }
            key[id] = (senderPowerLevel(e), e.originServerTS)
        }
        func before(_ a: String, _ b: String) -> Bool {
            Self.powerOrderPrecedes((key[a]!.0, key[a]!.1, a), (key[b]!.0, key[b]!.1, b))
        }
        var ready = ids.filter { dependencies[$0]!.isEmpty }.sorted(by: before)
        var order: [String] = []
        order.reserveCapacity(ids.count)
        while !ready.isEmpty {
            let next = ready.removeFirst()
            order.append(next)
            for d in dependents[next] ?? [] {
                dependencies[d]!.remove(next)
                if dependencies[d]!.isEmpty {
                    let index = ready.firstIndex { before(d, $0) } ?? ready.count
                    ready.insert(d, at: index)
                }
            }
        }
        return order
    }

    /// The power comparator: higher sender power level first, then earlier origin_server_ts,
    /// then the smaller event ID.
    static func powerOrderPrecedes(_ a: (PowerLevel, Int64, String), _ b: (PowerLevel, Int64, String)) -> Bool {
        if a.0 != b.0 { return a.0 > b.0 }
        if a.1 != b.1 { return a.1 < b.1 }
        return a.2.utf8.lexicographicallyPrecedes(b.2.utf8)
    }

    /// Mainline ordering: by the position of the closest power levels event on the resolved
    /// power levels' mainline (events with none first), then origin_server_ts, then event ID.
    mutating func mainlineOrder(_ ids: [String], powerLevels: String?) throws(StateResolutionError) -> [String] {
        var mainline: [String] = []
        var cursor = powerLevels
        while let id = cursor, let pl = optionalEvent(id) {
            mainline.append(id)
            cursor = authEvents(of: pl).first { optionalEvent($0).map { $0.type == "m.room.power_levels" && $0.stateKey == "" } ?? false }
        }
        var depthOf: [String: Int] = [:]
        for (i, id) in mainline.reversed().enumerated() { depthOf[id] = i + 1 }
        var memo: [String: Int] = [:]
        func mainlineDepth(_ start: String) -> Int {
            var chain: [String] = []
            var current: String? = start
            var depth = 0
            while let id = current {
                if let d = depthOf[id] { depth = d; break }
                if let d = memo[id] { depth = d; break }
                chain.append(id)
                guard let e = optionalEvent(id) else { break }
                current = authEvents(of: e).first { optionalEvent($0).map { $0.type == "m.room.power_levels" && $0.stateKey == "" } ?? false }
            }
            for id in chain { memo[id] = depth }
            return depth
        }
        var keyed: [(id: String, depth: Int, ts: Int64)] = []
        for id in ids { keyed.append((id, mainlineDepth(id), try event(id).originServerTS)) }
        keyed.sort { a, b in
            if a.depth != b.depth { return a.depth < b.depth }
            if a.ts != b.ts { return a.ts < b.ts }
            return a.id.utf8.lexicographicallyPrecedes(b.id.utf8)
        }
        return keyed.map(\.id)
    }
}
