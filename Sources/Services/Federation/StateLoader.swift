import MatrixProtocol
import Store

/// Events read from the store for state resolution: the events of the state sets and their
/// whole auth chains, with rejection flags.
struct StoredResolutionEvents: StateResolutionEvents {
    let events: [String: PDU]
    let rejected: Set<String>

    func event(_ id: String) -> PDU? { events[id] }
    func isRejected(_ id: String) -> Bool { rejected.contains(id) }
}

extension Database {
    /// Resolves state sets of a room with the room version's algorithm.
    func resolve(_ sets: [StateMap], version: RoomVersion) async throws -> StateMap {
        let distinct = Array(Set(sets))
        if distinct.count <= 1 { return distinct.first ?? [:] }
        let ids = Array(Set(distinct.flatMap(\.values)))
        var pdus: [String: PDU] = [:]
        var rejected: Set<String> = []
        for stored in try await events(ids) + authChain(of: ids) {
            pdus[stored.eventID] = try stored.pdu(version: version)
            if stored.rejectedReason != nil { rejected.insert(stored.eventID) }
        }
        do {
            return try StateResolution.resolve(distinct, version: version, events: StoredResolutionEvents(events: pdus, rejected: rejected))
        } catch {
            throw MatrixError.unknown("State resolution failed: \(error)")
        }
    }

    /// The state after an event in the DAG: the state before it, plus itself when it is an
    /// accepted state event. Nil when the event is unknown or has no state (an outlier).
    func dagStateAfter(_ eventID: String, version: RoomVersion) async throws -> StateMap? {
        guard let stored = try await event(eventID), !stored.outlier else { return nil }
        var state = try await stateBefore(eventID: eventID) ?? [:]
        if stored.rejectedReason == nil, let key = try stored.pdu(version: version).stateKeyPair { state[key] = eventID }
        return state
    }
}
