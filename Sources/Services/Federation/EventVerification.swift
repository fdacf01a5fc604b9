import MatrixProtocol

extension Federation {
    /// A received PDU as the spec's checks 1–3 leave it ("Checks performed on receipt of a PDU"):
    /// well formed, signed by every server that must sign it, and redacted when its content hash
    /// does not match (kept, but only as its redacted form).
    func verified(_ json: JSONObject, version: RoomVersion) async throws -> PDU {
        let pdu: PDU
        let signed: [UInt8]
        do {
            signed = try EventHashing.redactedCanonical(json, version: version)
            pdu = try PDU(json: json, version: version, eventID: EventHashing.eventID(redactedCanonical: signed, version: version))
        } catch {
            throw MatrixError.badJSON("Invalid PDU: \(error)")
        }
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
    /// `verified` for many events at once, spread over the cores (signature checks dominate the
    /// cost of a join's answer or a full transaction). Nil where an event failed.
    func verifiedAll(_ events: [JSONObject], version: RoomVersion) async -> [Result<PDU, Error>] {
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8))
        let chunk = max(1, (events.count + workers - 1) / workers)
        return await withTaskGroup(of: (Int, [Result<PDU, Error>]).self) { group in
            for start in stride(from: 0, to: events.count, by: chunk) {
                let slice = Array(events[start..<min(start + chunk, events.count)])
                group.addTask {
                    var out: [Result<PDU, Error>] = []
                    out.reserveCapacity(slice.count)
                    for json in slice {
                        do { out.append(.success(try await self.verified(json, version: version))) } catch { out.append(.failure(error)) }
                    }
                    return (start, out)
                }
            }
            var results = [Result<PDU, Error>?](repeating: nil, count: events.count)
            for await (start, part) in group {
                for (offset, result) in part.enumerated() { results[start + offset] = result }
            }
            return results.map { $0 ?? .failure(MatrixError.unknown("not verified")) }
        }
    }
}

import Foundation
