import MatrixProtocol
import Store

extension Sync {
    /// Lazy-loaded members (spec "Lazy-loading room members"): the member events of `senders`
    /// in `state`, less those the client already gets in the timeline (`shown`). Shared by
    /// `/sync` and `/messages`.
    static func memberState(of senders: Set<String>, in state: StateMap, excluding shown: Set<String>) -> StateMap {
        var out = StateMap()
        for sender in senders {
            if let id = state[.member(sender)], !shown.contains(id) { out[.member(sender)] = id }
        }
        return out
    }
}
