import MatrixProtocol

/// One room of a space hierarchy: its summary (spec `RoomSummary`) and, for a space, its
/// `m.space.child` events as stripped state with `origin_server_ts` (`children_state`).
struct SpaceRoom: Sendable {
    /// Most children taken from one space, as Synapse does: a bound on the work of one room.
    static let maxChildren = 50

    var summary: JSONObject
    var childrenState: [JSONObject]

    var roomID: String { summary["room_id"]?.stringValue ?? "" }
    var isSpace: Bool { summary["room_type"]?.stringValue == "m.space" }

    /// The summary with `children_state`, as both APIs send a room.
    var json: JSONObject {
        var out = summary
        out["children_state"] = .array(childrenState.map(JSONValue.object))
        return out
    }

    /// The children to visit, in the spec's order, with the servers to ask about them.
    var children: [(roomID: String, via: [String])] {
        childrenState.compactMap { event in
            guard let roomID = event["state_key"]?.stringValue else { return nil }
            return (roomID, Self.via(of: event) ?? [])
        }
    }

    /// A summary received over federation, with its children checked and ordered here: a
    /// remote server's list is trusted no further than our own would be.
    init?(remote room: JSONObject, suggestedOnly: Bool) {
        guard room["room_id"]?.stringValue != nil else { return nil }
        var summary = room
        let children = summary.removeValue(forKey: "children_state")?.arrayValue ?? []
        self.summary = summary
        childrenState = Self.validChildren(children.compactMap(\.objectValue), suggestedOnly: suggestedOnly)
    }

    init(summary: JSONObject, childrenState: [JSONObject]) {
        self.summary = summary
        self.childrenState = childrenState
    }

    /// `m.space.child` events that link a child: a `via` that is a non-empty list of strings
    /// (an event without one unlinks it). Ordered as the spec says — a valid `order` first by
    /// code points, then by `origin_server_ts`, then by room ID — and capped.
    static func validChildren(_ events: [JSONObject], suggestedOnly: Bool) -> [JSONObject] {
        let linked = events.filter { event in
            event["type"]?.stringValue == "m.space.child" && event["state_key"]?.stringValue?.hasPrefix("!") == true
                && via(of: event) != nil
                && (!suggestedOnly || event["content"]?["suggested"]?.boolValue == true)
        }
        return Array(linked.sorted(by: precedes).prefix(maxChildren))
    }

    static func via(of event: JSONObject) -> [String]? {
        guard let list = event["content"]?["via"]?.arrayValue, !list.isEmpty else { return nil }
        let servers = list.compactMap(\.stringValue)
        return servers.count == list.count ? servers : nil
    }

    /// `order`: at most 50 characters, each from `\x20` to `\x7E`.
    static func order(of event: JSONObject) -> String? {
        guard let order = event["content"]?["order"]?.stringValue, order.unicodeScalars.count <= 50,
              order.unicodeScalars.allSatisfy({ (0x20...0x7E).contains($0.value) }) else { return nil }
        return order
    }

    static func precedes(_ a: JSONObject, _ b: JSONObject) -> Bool {
        switch (order(of: a), order(of: b)) {
        case let (x?, y?) where x != y: return UTF8Order.precedes(x, y)
        case (.some, nil): return true
        case (nil, .some): return false
        default: break
        }
        let (ta, tb) = (a["origin_server_ts"]?.intValue ?? 0, b["origin_server_ts"]?.intValue ?? 0)
        if ta != tb { return ta < tb }
        return UTF8Order.precedes(a["state_key"]?.stringValue ?? "", b["state_key"]?.stringValue ?? "")
    }
}
