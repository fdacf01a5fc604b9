// apus-bench: benchmark programs that print figures. Never timed assertions in tests.
//
//     apus-bench <benchmark> [options]
//
// Each benchmark is one subcommand; add new ones to `benchmarks` below.

import Foundation

/// A benchmark subcommand: runs and prints its own figures.
struct Benchmark {
    let name: String
    let summary: String
    let run: ([String]) async throws -> Void
}

let benchmarks: [Benchmark] = [
    Benchmark(
        name: "group-commit",
        summary: "small-row inserts through the Store write lane, 1 and 16 concurrent writers",
        run: GroupCommitBenchmark.run),
    Benchmark(
        name: "verify-signatures",
        summary: "event signature verification (redact, canonical JSON, Ed25519) on one core",
        run: VerifySignaturesBenchmark.run),
    Benchmark(
        name: "canonical-hash",
        summary: "canonical JSON encode + SHA-256 of a ~1 KB event, and parsing it, on one core",
        run: CanonicalHashBenchmark.run),
    Benchmark(
        name: "state-res",
        summary: "state resolution of two conflicting forks of rooms with 1k/10k/100k members",
        run: StateResBenchmark.run),
    Benchmark(
        name: "federation",
        summary: "send_join answer of 20k state events verified and stored; inbound 50-PDU transactions",
        run: FederationBenchmark.run),
    Benchmark(
        name: "push",
        summary: "push rules: one message evaluated for 100 members; sends into a 100-member room against a room of 1",
        run: PushBenchmark.run),
]

@MainActor func usage() -> String {
    var text = "usage: apus-bench <benchmark> [options]\n\nbenchmarks:\n"
    for benchmark in benchmarks {
        text += "  \(benchmark.name.padding(toLength: 16, withPad: " ", startingAt: 0))\(benchmark.summary)\n"
    }
    return text
}

let arguments = Array(CommandLine.arguments.dropFirst())
guard let name = arguments.first, let benchmark = benchmarks.first(where: { $0.name == name }) else {
    FileHandle.standardError.write(Data(usage().utf8))
    exit(arguments.first.map { ["-h", "--help", "help"].contains($0) } == true ? 0 : 64)
}
do {
    try await benchmark.run(Array(arguments.dropFirst()))
} catch {
    FileHandle.standardError.write(Data("apus-bench \(name): \(error)\n".utf8))
    exit(1)
}
