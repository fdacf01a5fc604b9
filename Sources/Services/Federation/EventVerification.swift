import MatrixProtocol
import Sodium

extension Federation {
    /// A received PDU as the spec's checks 1–3 leave it ("Checks performed on receipt of a PDU"):
    /// well formed, signed by every server that must sign it, and redacted when its content hash
    /// does not match (kept, but only as its redacted form).
    func verified(_ json: JSONObject, version: RoomVersion) async throws -> PDU {
        let (pdu, signed) = try Self.parsed(json, version: version)
        for server in AuthRules.requiredSigningServers(of: pdu, version: version) {
            let ids = JSONSigning.keyIDs(in: json, entity: server)
            guard !ids.isEmpty else { throw MatrixError.forbidden("Event \(pdu.eventID) is not signed by \(server)") }
            var ok = false
            var reason = ""
            for id in ids {
                do {
                    let key = try await keys.key(server: server, keyID: id, at: pdu.originServerTS)
                    try EventSigning.verify(json, redactedCanonical: signed, serverName: server, keyID: id, publicKey: key)
                    ok = true
                    break
                } catch {
                    reason = "\(error)"
                }
            }
            guard ok else { throw MatrixError.forbidden("Bad signature on \(pdu.eventID) by \(server): \(reason)") }
        }
        return try checkingContentHash(pdu, json: json, version: version)
    }

    /// The PDU and the redacted canonical bytes that its ID and signatures cover. The sender's
    /// `unsigned` is dropped: nothing signs it, so a server could otherwise put a
    /// `transaction_id`, `redacted_because` or `m.relations` before our clients; what `unsigned`
    /// says to clients is this server's own (age, replaced state, redaction, aggregations).
    private static func parsed(_ json: JSONObject, version: RoomVersion) throws(MatrixError) -> (PDU, [UInt8]) {
        do {
            var json = json
            json["unsigned"] = nil
            let signed = try EventHashing.redactedCanonical(json, version: version)
            return (try PDU(json: json, version: version, eventID: EventHashing.eventID(redactedCanonical: signed, version: version)), signed)
        } catch {
            throw MatrixError.badJSON("Invalid PDU: \(error)")
        }
    }

    private func checkingContentHash(_ pdu: PDU, json: JSONObject, version: RoomVersion) throws -> PDU {
        if !EventHashing.hasValidContentHash(json, version: version) {
            logger.warning("content hash mismatch on \(pdu.eventID): keeping it redacted")
            var redacted = Redaction.redact(json, rules: version.redactionRules)
            redacted["unsigned"] = nil
            return try PDU(json: redacted, version: version, eventID: pdu.eventID)
        }
        return pdu
    }
}

extension Federation {
    /// `verified` for many events at once, spread over the cores, their signatures checked in
    /// batches (signature checks dominate the cost of a join's answer or a full transaction).
    func verifiedAll(_ events: [JSONObject], version: RoomVersion) async -> [Result<PDU, Error>] {
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8))
        let chunk = max(1, (events.count + workers - 1) / workers)
        return await withTaskGroup(of: (Int, [Result<PDU, Error>]).self) { group in
            for start in stride(from: 0, to: events.count, by: chunk) {
                let slice = Array(events[start..<min(start + chunk, events.count)])
                group.addTask { (start, await self.verifiedInBatches(slice, version: version)) }
            }
            var results = [Result<PDU, Error>?](repeating: nil, count: events.count)
            for await (start, part) in group {
                for (offset, result) in part.enumerated() { results[start + offset] = result }
            }
            return results.map { $0 ?? .failure(MatrixError.unknown("not verified")) }
        }
    }

    /// An event whose signatures are gathered: one per server that must sign, by the first key
    /// ID that server lists.
    private struct Prepared {
        let index: Int
        let pdu: PDU
        let checks: Range<Int>
    }

    /// Each event's signatures go into one batch check; an event that is malformed, lacks a
    /// signature or key, or fails the batch check goes through `verified`, which tries every key
    /// ID and says what is wrong.
    private func verifiedInBatches(_ events: [JSONObject], version: RoomVersion) async -> [Result<PDU, Error>] {
        var prepared: [Prepared] = []
        var checks: [Ed25519.SignedMessage] = []
        var slow: [Int] = []
        prepared.reserveCapacity(events.count)
        checks.reserveCapacity(events.count)
        eventLoop: for (index, json) in events.enumerated() {
            guard let (pdu, signed) = try? Self.parsed(json, version: version) else {
                slow.append(index)
                continue
            }
            let first = checks.count
            for server in AuthRules.requiredSigningServers(of: pdu, version: version) {
                guard let id = JSONSigning.keyIDs(in: json, entity: server).first,
                      let signature = try? JSONSigning.signature(in: json, entity: server, keyID: id),
                      let key = try? await keys.key(server: server, keyID: id, at: pdu.originServerTS) else {
                    checks.removeSubrange(first...)
                    slow.append(index)
                    continue eventLoop
                }
                checks.append(Ed25519.SignedMessage(signature: signature, message: signed, publicKey: key))
            }
            prepared.append(Prepared(index: index, pdu: pdu, checks: first..<checks.count))
        }
        let valid = Ed25519.verifyAll(checks)
        var results = [Result<PDU, Error>?](repeating: nil, count: events.count)
        for event in prepared {
            if event.checks.allSatisfy({ valid[$0] }) {
                results[event.index] = Result { try checkingContentHash(event.pdu, json: events[event.index], version: version) }
            } else {
                slow.append(event.index)
            }
        }
        for index in slow {
            do { results[index] = .success(try await verified(events[index], version: version)) } catch { results[index] = .failure(error) }
        }
        return results.map { $0 ?? .failure(MatrixError.unknown("not verified")) }
    }
}

import Foundation
