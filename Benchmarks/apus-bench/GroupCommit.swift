import Foundation
import Logging
import Store

/// Inserts small rows through the write lane with 1, then N, concurrent writers, on a fresh
/// database per run, and prints throughput and how many writes shared each transaction.
///
/// Options: `--writes 2000`, `--writers 1,16`, `--synchronous full|normal`, `--runs 3` (the
/// median run is shown: fsync times are noisy), `--dir PATH` (where the scratch databases go;
/// default the system temp dir — point it at the data disk to measure that disk).
enum GroupCommitBenchmark {
    static func run(_ arguments: [String]) async throws {
        let options = try Options(arguments, allowed: ["writes", "writers", "synchronous", "runs", "dir"])
        let writes = try options.int("writes", default: 2000)
        let writerCounts = try options.intList("writers", default: [1, 16])
        let runs = try options.int("runs", default: 3)
        let parent = URL(fileURLWithPath: options.string("dir", default: FileManager.default.temporaryDirectory.path))
        let syncName = options.string("synchronous", default: "full")
        guard let synchronous = Store.Database.Synchronous(rawValue: syncName) else {
            throw Options.Invalid(description: "--synchronous is full or normal")
        }

        print("group-commit: \(writes) inserts per run, synchronous=\(synchronous.rawValue), build=\(buildConfiguration), median of \(runs) runs, in \(parent.path)")
        print("| writers | writes/s | transactions | transactions/write | largest batch | elapsed |")
        print("| ---: | ---: | ---: | ---: | ---: | ---: |")
        for writers in writerCounts {
            var results: [Result] = []
            for _ in 0..<runs {
                results.append(try await measure(writes: writes, writers: writers, synchronous: synchronous, in: parent))
            }
            let result = results.sorted { $0.seconds < $1.seconds }[runs / 2]
            print(String(
                format: "| %d | %.0f | %d | %.3f | %d | %.2f s |",
                writers, Double(writes) / result.seconds, result.transactions,
                Double(result.transactions) / Double(writes), result.largestBatch, result.seconds))
        }
    }

    struct Result {
        var seconds: Double
        var transactions: Int
        var largestBatch: Int
    }

    static func measure(
        writes: Int, writers: Int, synchronous: Store.Database.Synchronous, in parent: URL
    ) async throws -> Result {
        let directory = parent.appendingPathComponent("apus-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        var quiet = Logger(label: "apus-bench")
        quiet.logLevel = .warning
        let database = try Store.Database(
            path: directory.appendingPathComponent("bench.db").path, synchronous: synchronous, logger: quiet)
        let lane = database.writer
        try await lane.write { db in
            try db.execute(sql: "CREATE TABLE bench (id INTEGER PRIMARY KEY, writer INTEGER NOT NULL, body TEXT NOT NULL)")
        }
        let before = await lane.stats

        let clock = ContinuousClock()
        let start = clock.now
        // Each writer issues its share back to back, like a request handler awaiting its write.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<writers {
                let share = writes / writers + (writer < writes % writers ? 1 : 0)
                group.addTask {
                    for index in 0..<share {
                        try await lane.write { db in
                            try db.execute(
                                sql: "INSERT INTO bench (writer, body) VALUES (?, ?)",
                                arguments: [writer, "event \(writer)-\(index) padding to about a hundred bytes of payload ........."])
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = clock.now - start

        let after = await lane.stats
        let rows = try await database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM bench") ?? 0 }
        try await database.close()
        guard rows == writes else {
            throw Options.Invalid(description: "expected \(writes) rows, found \(rows)")
        }
        let components = elapsed.components
        return Result(
            seconds: Double(components.seconds) + Double(components.attoseconds) / 1e18,
            transactions: after.transactions - before.transactions,
            largestBatch: after.largestBatch)
    }

    static var buildConfiguration: String {
        #if DEBUG
        "debug"
        #else
        "release"
        #endif
    }
}
