import Foundation
import MatrixProtocol
import Sodium

/// Canonical JSON encoding plus SHA-256 of a typical ~1 KB event (the content-hash step), and
/// parsing the same event, on one core.
enum CanonicalHashBenchmark {
    static func run(_ arguments: [String]) async throws {
        let options = try Options(arguments, allowed: ["iterations", "runs"])
        let iterations = try options.int("iterations", default: 200_000)
        let runs = try options.int("runs", default: 3)
        let event: JSONObject = [
            "type": "m.room.message", "room_id": "!OGEhHVWSdvArJzumhm:matrix.org", "sender": "@someone.with.a.long.name:example.org",
            "origin_server_ts": 1_700_000_000_000, "depth": 123_456,
            "content": [
                "msgtype": "m.text",
                "body": .string(String(repeating: "A typical message with some words in it. ", count: 12)),
                "format": "org.matrix.custom.html",
                "formatted_body": "<p>A typical message with <b>formatting</b></p>",
                "m.relates_to": ["m.in_reply_to": ["event_id": "$Rqnc-F-dvnEYJTyHq_iKxU2bZ1CI92-kuZq3a5lr5Zg"]],
            ],
            "prev_events": ["$e7bPzrF6yJsVtaMdZnYqCdDMLfNuBqQ3wdtJe5xkrw0"],
            "auth_events": ["$aUth1xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx0", "$aUth2xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx0",
                            "$aUth3xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx0"],
            "hashes": ["sha256": "7kTDmhqg0K+fJG4EmiFzN8ocxRO1ZvlAlL+x4tZzvBs"],
            "signatures": ["example.org": ["ed25519:a_Abcd": "KqmLSbO39/Bzb0QIYE82zqLwsA+PDzYIpIRA2sRQ4sL53+sN6/fpNSoqE7BP7vBZhG6kYdD13EIMJpvhJI+6Bw"]],
            "unsigned": ["age_ts": 1_700_000_000_000],
        ]
        let bytes = try event.canonicalBytes()
        print("event: \(bytes.count) bytes of canonical JSON\n")
        print("| run | encode+SHA-256 /s | parse /s |")
        print("| ---: | ---: | ---: |")
        var hashRates: [Double] = [], parseRates: [Double] = []
        for run in 1...runs {
            var sink: UInt8 = 0
            var start = ContinuousClock.now
            for _ in 0..<iterations { sink ^= SHA256.hash(try event.canonicalBytes())[0] }
            let hashRate = Double(iterations) / seconds(ContinuousClock.now - start)
            start = ContinuousClock.now
            for _ in 0..<(iterations / 4) { sink ^= UInt8(truncatingIfNeeded: try JSONParser.parseObject(bytes).count) }
            let parseRate = Double(iterations / 4) / seconds(ContinuousClock.now - start)
            hashRates.append(hashRate)
            parseRates.append(parseRate)
            print("| \(run) | \(Int(hashRate)) | \(Int(parseRate)) |\(sink == 255 ? " " : "")")
        }
        print("\nmedian: \(Int(hashRates.sorted()[runs / 2])) encode+hash/s, \(Int(parseRates.sorted()[runs / 2])) parses/s")
        // Where the time goes.
        var sink: UInt8 = 0
        var start = ContinuousClock.now
        for _ in 0..<iterations { sink ^= try event.canonicalBytes()[0] }
        let encodeRate = Double(iterations) / seconds(ContinuousClock.now - start)
        start = ContinuousClock.now
        for _ in 0..<iterations { sink ^= SHA256.hash(bytes)[0] }
        let shaRate = Double(iterations) / seconds(ContinuousClock.now - start)
        print("encode alone: \(Int(encodeRate))/s; SHA-256 alone: \(Int(shaRate))/s\(sink == 255 ? " " : "")")
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}
