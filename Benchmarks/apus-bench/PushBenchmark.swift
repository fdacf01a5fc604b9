import ApusConfig
import Foundation
import Logging
import MatrixProtocol
import Services
import Store

/// The cost of push rules on the send path, through the real services on a real database:
/// - evaluating one message for every member of a room of N local members (rules cached, and
///   the first event, which reads and compiles every member's rules);
/// - sending messages into that room, against sending into a room of one (nobody to notify).
enum PushBenchmark {
    static func run(_ arguments: [String]) async throws {
        let options = try Options(arguments, allowed: ["members", "sends", "evaluations"])
        let members = try options.int("members", default: 100)
        let sends = try options.int("sends", default: 300)
        let evaluations = try options.int("evaluations", default: 2000)
        let bench = try await BenchHomeserver.make("push")
        let hs = bench.homeserver
        let creator = "@u0:bench.local"
        var request = RoomCreationRequest(creator: creator)
        request.preset = .publicChat
        let big = try await hs.rooms.create(request)
        for i in 1..<members { _ = try await hs.rooms.join(big, user: "@u\(i):bench.local") }
        let alone = try await hs.rooms.create(request)
        print("push rules, \(members) local members (\(members - 1) evaluated per event)")

        let state = try await hs.rooms.currentState(roomID: big)
        let version = try require(RoomVersion.named(try await hs.database.room(big)?.version ?? ""))
        let pdu = try await hs.rooms.send(roomID: big, sender: creator, type: "m.room.message", stateKey: nil,
                                          content: ["msgtype": "m.text", "body": "warm-up"])
        // The warm-up send filled the cache.
        var start = ContinuousClock.now
        var notified = 0
        for _ in 0..<evaluations {
            notified = try await hs.notifications.actions(for: pdu, stateBefore: state, version: version).notifiedCount
        }
        let perEvent = (ContinuousClock.now - start) / evaluations
        print("  evaluate one message for all members (cached rules): \(format(perEvent)) per event, "
              + "\(format(perEvent / max(1, members - 1))) per member, \(notified) notified")

        // A rule change drops that user's cache entry: the next event reads one user's rules.
        try await hs.pushRules.setEnabled(userID: "@u1:bench.local", kind: .override, ruleID: ".m.rule.master", enabled: false)
        start = ContinuousClock.now
        _ = try await hs.notifications.actions(for: pdu, stateBefore: state, version: version)
        print("  evaluate after one member changed a rule (one user's rules read): \(format(ContinuousClock.now - start))")

        for (label, roomID) in [("room of \(members)", big), ("room of 1", alone)] {
            start = ContinuousClock.now
            let cpuStart = processCPUSeconds()
            for i in 0..<sends {
                _ = try await hs.rooms.send(roomID: roomID, sender: creator, type: "m.room.message", stateKey: nil,
                                            content: ["msgtype": "m.text", "body": .string("message \(i)")])
            }
            let per = (ContinuousClock.now - start) / sends
            let cpu = Duration.seconds(processCPUSeconds() - cpuStart) / sends
            print("  send (sequential, synchronous = \(hs.config.database.synchronous)) into a \(label): \(format(per)) per event, "
                  + "\(format(cpu)) CPU")
        }
        try await bench.close()
    }

    static func format(_ duration: Duration) -> String {
        let micros = Double(duration.components.seconds) * 1e6 + Double(duration.components.attoseconds) / 1e12
        return micros >= 1000 ? String(format: "%.2f ms", micros / 1000) : String(format: "%.1f µs", micros)
    }

    /// User + system CPU time of the whole process: what a send costs, apart from waiting on fsync.
    static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    struct Missing: Error {}

    static func require<T>(_ value: T?) throws -> T {
        guard let value else { throw Missing() }
        return value
    }
}
