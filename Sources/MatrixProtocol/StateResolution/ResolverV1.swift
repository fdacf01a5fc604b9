import Sodium

/// State resolution v1 (room version 1).
extension Resolver {
    mutating func resolveV1(_ sets: [StateMap]) throws(StateResolutionError) -> (state: StateMap, steps: [ResolutionStep]) {
        let (unconflicted, conflictedKeys) = Self.split(sets, missingIsConflict: false)
        var resolved = unconflicted
        func candidates(_ key: StateKey) -> [String] { Array(Set(sets.compactMap { $0[key] })) }
        func sha1(_ id: String) -> [UInt8] { SHA1.hash(Array(id.utf8)) }
        // Power levels, then join rules, then members: ascending depth, descending sha1(id);
        // the first is taken as it is, each next one only while the auth rules allow it.
        for type in ["m.room.power_levels", "m.room.join_rules", "m.room.member"] {
            for key in conflictedKeys.filter({ $0.type == type }).sorted() {
                var list: [PDU] = []
                for id in candidates(key) { list.append(try event(id)) }
                list.sort { a, b in
                    a.depth != b.depth ? a.depth < b.depth : sha1(b.eventID).lexicographicallyPrecedes(sha1(a.eventID))
                }
                guard let first = list.first else { continue }
                resolved[key] = first.eventID
                phase[first.eventID] = "v1: \(type) with the lowest depth"
                for e in list.dropFirst() {
                    guard allowed(e, in: resolved) else { rejections[e.eventID] = "not allowed in the state resolved so far"; break }
                    resolved[key] = e.eventID
                    phase[e.eventID] = "v1: \(type) allowed in order of depth"
                }
            }
        }
        // Everything else: the highest depth, then lowest sha1(id), that passes auth.
        for key in conflictedKeys.filter({ !["m.room.power_levels", "m.room.join_rules", "m.room.member"].contains($0.type) }).sorted() {
            var list: [PDU] = []
            for id in candidates(key) { list.append(try event(id)) }
            list.sort { a, b in a.depth != b.depth ? a.depth > b.depth : sha1(a.eventID).lexicographicallyPrecedes(sha1(b.eventID)) }
            if let winner = list.first(where: { allowed($0, in: resolved) }) {
                resolved[key] = winner.eventID
                phase[winner.eventID] = "v1: highest depth that passes auth"
            }
        }
        return (resolved, explain(sets, conflictedKeys: conflictedKeys, resolved: resolved))
    }

    mutating func allowed(_ e: PDU, in state: StateMap) -> Bool {
        var lookupState: [StateKey: PDU] = [:]
        for (k, id) in state { if let ev = optionalEvent(id) { lookupState[k] = ev } }
        do {
            try AuthRules.check(e, version: version) { lookupState[$0] }
            return true
        } catch {
            rejections[e.eventID] = error.reason
            return false
        }
    }
}
