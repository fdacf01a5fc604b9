import Foundation
import MatrixProtocol
import Sodium

/// Event signature verification throughput on one core: the per-PDU cost of the receiving
/// pipeline's signature step (redact, canonical JSON, Ed25519 verify).
enum VerifySignaturesBenchmark {
    static func run(_ arguments: [String]) async throws {
        let options = try Options(arguments, allowed: ["events", "version", "runs"])
        let count = try options.int("events", default: 20_000)
        let runs = try options.int("runs", default: 3)
        let versionID = options.string("version", default: "10")
        guard let version = RoomVersion.named(versionID) else { throw Options.Invalid(description: "unknown room version \(versionID)") }
        let key = SigningKey.generate()
        // Realistic message events (~600 bytes of JSON each).
        var events: [JSONObject] = []
        for i in 0..<count {
            let event: JSONObject = [
                "type": "m.room.message", "room_id": "!bench:example.org", "sender": .string("@user\(i % 100):example.org"),
                "content": ["msgtype": "m.text", "body": .string("message number \(i) with some text to make it typical")],
                "origin_server_ts": .int(1_700_000_000_000 + Int64(i)), "depth": .int(Int64(i + 10)),
                "prev_events": ["$e7bPzrF6yJsVtaMdZnYqCdDMLfNuBqQ3wdtJe5xkrw0"],
                "auth_events": ["$aUth1xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx0", "$aUth2xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx0",
                                "$aUth3xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx0"],
            ]
            let hashed = try EventHashing.addingContentHash(event, version: version)
            events.append(try EventSigning.sign(hashed, serverName: "example.org", key: key, version: version))
        }
        print("| run | events | seconds | events/s |")
        print("| ---: | ---: | ---: | ---: |")
        var rates: [Double] = []
        for run in 1...runs {
            let start = ContinuousClock.now
            var valid = 0
            for event in events {
                do {
                    try EventSigning.verify(event, serverName: "example.org", keyID: key.keyID, publicKey: key.keyPair.publicKey,
                                            version: version)
                    valid += 1
                } catch {}
            }
            let elapsed = ContinuousClock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            guard valid == count else { throw Options.Invalid(description: "only \(valid) of \(count) signatures verified") }
            rates.append(Double(count) / seconds)
            print("| \(run) | \(count) | \(String(format: "%.3f", seconds)) | \(Int(Double(count) / seconds)) |")
        }
        // libsodium alone, for the ceiling: verify the same 64-byte signature over a fixed message.
        let message = Array(repeating: UInt8(7), count: 300)
        let signature = key.keyPair.sign(message)
        let start = ContinuousClock.now
        for _ in 0..<count { _ = Ed25519.verify(signature: signature, message: message, publicKey: key.keyPair.publicKey) }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        // The batch verifier over the same kind of input: distinct messages by one key.
        let batch = (0..<count).map { n in
            let message = Array(repeating: UInt8(n & 0xFF), count: 300) + [UInt8(n >> 8 & 0xFF)]
            return Ed25519.SignedMessage(signature: key.keyPair.sign(message), message: message, publicKey: key.keyPair.publicKey)
        }
        let batchStart = ContinuousClock.now
        let batchValid = Ed25519.verifyAll(batch).filter { $0 }.count
        let batchElapsed = ContinuousClock.now - batchStart
        guard batchValid == count else { throw Options.Invalid(description: "batch: only \(batchValid) of \(count) verified") }
        let batchSeconds = Double(batchElapsed.components.seconds) + Double(batchElapsed.components.attoseconds) / 1e18
        print("\nmedian: \(Int(rates.sorted()[rates.count / 2])) events/s (room v\(versionID)); libsodium verify alone: \(Int(Double(count) / seconds))/s; "
              + "batches of \(Ed25519.batchSize): \(Int(Double(count) / batchSeconds))/s")
    }
}
