import MatrixProtocol
import Store

/// How a received event fared against the state before it and the current state.
public enum ReceiveOutcome: Sendable, Equatable {
    case accepted(stream: Int64)
    case rejected(String)
    case softFailed(String)
    case duplicate
}

extension RoomLane {
    /// Adds an event received from another server, whose signatures, hashes and auth events the
    /// pipeline has checked and whose prev events are stored (or whose state after them is in
    /// `prevStates`). Computes the state before it (resolving over its prev events), rejects it
    /// when the auth rules refuse it there, soft-fails it when they refuse it against the current
    /// state, and otherwise makes it part of the timeline and the room's current state.
    func receive(_ pdu: PDU, json: [UInt8], prevStates: [String: StateMap] = [:]) async throws -> ReceiveOutcome {
        try await exclusively {
            if let stored = try await database.event(pdu.eventID), !stored.outlier { return .duplicate }
            let current = try await loadState()
            // Extending the only extremity: the state before is the current state, in memory.
            if prevStates.isEmpty, pdu.prevEvents.count == 1, extremities.count == 1, extremities[0].eventID == pdu.prevEvents[0] {
                return try await receiveLinear(pdu, json: json, current: current)
            }
            var sets: [StateMap] = []
            for prev in pdu.prevEvents {
                if let known = prevStates[prev] {
                    sets.append(known)
                } else if let after = try await database.dagStateAfter(prev, version: version) {
                    sets.append(after)
                }
            }
            guard !sets.isEmpty else { throw MatrixError.unknown("No state known before \(pdu.eventID)") }
            let before = try await database.resolve(sets, version: version)
            var rejection: String?
            var softFailure: String?
            let needed = AuthRules.authEventKeys(for: pdu.type, stateKey: pdu.stateKey, sender: pdu.sender,
                                                 content: pdu.content, version: version) + [.create]
            var beforeEvents: [StateKey: PDU] = [:]
            for stored in try await database.events(needed.compactMap { before[$0] }) {
                let event = try stored.pdu(version: version)
                if let key = event.stateKeyPair { beforeEvents[key] = event }
            }
            do throws(AuthFailure) {
                try AuthRules.check(pdu, version: version) { beforeEvents[$0] }
            } catch {
                rejection = "not allowed by the state before it: \(error.reason)"
            }
            if rejection == nil {
                do throws(AuthFailure) {
                    try AuthRules.check(pdu, version: version) { current[$0] }
                } catch {
                    softFailure = error.reason
                }
            }
            var after = before
            if rejection == nil, let key = pdu.stateKeyPair { after[key] = pdu.eventID }
            var newCurrent: StateMap?
            if rejection == nil && softFailure == nil {
                let prevs = Set(pdu.prevEvents)
                var sets = [after]
                for other in extremities where !prevs.contains(other.eventID) {
                    if let state = try await database.dagStateAfter(other.eventID, version: version) { sets.append(state) }
                }
                newCurrent = try await database.resolve(sets, version: version)
            }
            var stored = pdu
            if let key = pdu.stateKeyPair {
                var replaced = beforeEvents[key]
                if replaced == nil, let id = before[key] { replaced = try await database.event(id).map { try $0.pdu(version: version) } }
                stored = ReplacedState.stored(pdu, replacing: replaced)
            }
            var event = ReceivedEvent(pdu: pdu, json: pdu.stateKey == nil ? json : stored.json.encodedBytes(), stateBefore: before,
                                      rejectedReason: rejection,
                                      softFailed: softFailure != nil)
            if rejection == nil && softFailure == nil {
                // Push rules judge the event against the room as it was before it (our local members only).
                event.pushActions = try? await notifications.actions(for: pdu, stateBefore: current, version: version)
            }
            let stream = try await database.appendReceivedEvent(event, room: room, currentState: newCurrent)
            if let rejection { return .rejected(rejection) }
            if let softFailure { return .softFailed(softFailure) }
            guard let stream else { return .duplicate }
            // Keep the cache when the event only extended a linear room; reload after a merge.
            let linear = newCurrent == Self.map(current).merging([pdu.stateKeyPair].compactMap { $0 }.map { ($0, pdu.eventID) }) { $1 }
            if linear, let key = pdu.stateKeyPair { state?[key] = stored } else if !linear { state = nil }
            extremities = try await database.forwardExtremities(of: room)
            if linear, state == nil { _ = try await loadState() }
            onAppend(stream)
            return .accepted(stream: stream)
        }
    }

    /// `receive` for an event on the room's only forward extremity: no state to load or resolve.
    private func receiveLinear(_ pdu: PDU, json: [UInt8], current: [StateKey: PDU]) async throws -> ReceiveOutcome {
        var rejection: String?
        do throws(AuthFailure) {
            try AuthRules.check(pdu, version: version) { current[$0] }
        } catch {
            rejection = "not allowed by the state before it: \(error.reason)"
        }
        // A message keeps the bytes it came as; a state event gains what it replaced.
        let stored = ReplacedState.stored(pdu, stateBefore: current)
        var event = ReceivedEvent.extendingCurrentState(pdu: pdu, json: pdu.stateKey == nil ? json : stored.json.encodedBytes(),
                                                        rejectedReason: rejection)
        if rejection == nil { event.pushActions = try? await notifications.actions(for: pdu, stateBefore: current, version: version) }
        let stream = try await database.appendReceivedEvent(event, room: room, currentState: nil)
        if let rejection { return .rejected(rejection) }
        guard let stream else { return .duplicate }
        if let key = pdu.stateKeyPair { state?[key] = stored }
        extremities = [(pdu.eventID, pdu.depth)]
        onAppend(stream)
        return .accepted(stream: stream)
    }

    /// Installs the state and first timeline event of a room joined over federation, or a
    /// state the pipeline already checked (send_join): see `Federation.joinRemote`.
    func appendJoinEvent(_ pdu: PDU, json: [UInt8], stateBefore: StateMap) async throws -> Int64? {
        try await exclusively {
            var after = stateBefore
            if let key = pdu.stateKeyPair { after[key] = pdu.eventID }
            let stream = try await database.appendReceivedEvent(ReceivedEvent(pdu: pdu, json: json, stateBefore: stateBefore),
                                                                room: room, currentState: after)
            state = nil
            extremities = try await database.forwardExtremities(of: room)
            _ = try await loadState()
            if let stream { onAppend(stream) }
            return stream
        }
    }

    static func map(_ state: [StateKey: PDU]) -> StateMap {
        state.mapValues(\.eventID)
    }
}
