import APICore
import Foundation
import Hummingbird
import Services
import Store
import Synchronization

/// Prometheus metrics, kept by hand (a few counters and histograms do not need a library):
/// HTTP requests by route and status with latency histograms; the rest is read when scraped.
final class HTTPMetrics: Sendable {
    static let buckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

    struct Series: Hashable { let route: String; let method: String; let status: Int }
    struct Histogram { var counts = [Int](repeating: 0, count: HTTPMetrics.buckets.count); var sum = 0.0; var count = 0 }

    /// Metrics are per process: every listener records into this one.
    static let shared = HTTPMetrics()

    private let state = Mutex<(requests: [Series: Int], latency: [String: Histogram])>(([:], [:]))

    func record(route: String, method: String, status: Int, seconds: Double) {
        state.withLock { s in
            s.requests[Series(route: route, method: method, status: status), default: 0] += 1
            var h = s.latency[route] ?? Histogram()
            for (i, bound) in Self.buckets.enumerated() where seconds <= bound { h.counts[i] += 1 }
            h.sum += seconds
            h.count += 1
            s.latency[route] = h
        }
    }

    /// The exposition text of everything Apus measures.
    func render(homeserver: Homeserver) async -> String {
        var out = ""
        let (requests, latency) = state.withLock { ($0.requests, $0.latency) }
        out += "# HELP apus_http_requests_total HTTP requests by route pattern, method and status.\n# TYPE apus_http_requests_total counter\n"
        for (series, n) in requests.sorted(by: { "\($0.key.route)\($0.key.method)\($0.key.status)" < "\($1.key.route)\($1.key.method)\($1.key.status)" }) {
            out += "apus_http_requests_total{route=\"\(escape(series.route))\",method=\"\(series.method)\",status=\"\(series.status)\"} \(n)\n"
        }
        out += "# HELP apus_http_request_duration_seconds Request latency by route pattern.\n# TYPE apus_http_request_duration_seconds histogram\n"
        for (route, h) in latency.sorted(by: { $0.key < $1.key }) {
            for (i, bound) in Self.buckets.enumerated() {
                out += "apus_http_request_duration_seconds_bucket{route=\"\(escape(route))\",le=\"\(bound)\"} \(h.counts[i])\n"
            }
            out += "apus_http_request_duration_seconds_bucket{route=\"\(escape(route))\",le=\"+Inf\"} \(h.count)\n"
            out += "apus_http_request_duration_seconds_sum{route=\"\(escape(route))\"} \(h.sum)\n"
            out += "apus_http_request_duration_seconds_count{route=\"\(escape(route))\"} \(h.count)\n"
        }
        let stats = await homeserver.database.writer.stats
        out += "# HELP apus_db_transactions_total Write transactions committed by the write lane.\n# TYPE apus_db_transactions_total counter\n"
        out += "apus_db_transactions_total \(stats.transactions)\n"
        out += "# HELP apus_db_writes_total Writes run by the write lane.\n# TYPE apus_db_writes_total counter\n"
        out += "apus_db_writes_total \(stats.writes)\n"
        out += "# HELP apus_db_group_commit_size Writes per write-lane transaction.\n# TYPE apus_db_group_commit_size histogram\n"
        var cumulative = 0
        for (i, bound) in WriteLane.batchBuckets.enumerated() {
            cumulative += stats.batchCounts[i]
            out += "apus_db_group_commit_size_bucket{le=\"\(bound)\"} \(cumulative)\n"
        }
        out += "apus_db_group_commit_size_bucket{le=\"+Inf\"} \(stats.transactions)\napus_db_group_commit_size_sum \(stats.writes)\n"
        out += "apus_db_group_commit_size_count \(stats.transactions)\n"
        out += "# HELP apus_db_wal_syncs_total WAL syncs after commits, by the thread that ran them (syncer: while the writer ran the next batch).\n# TYPE apus_db_wal_syncs_total counter\n"
        out += "apus_db_wal_syncs_total{thread=\"writer\"} \(stats.walSyncsByWriter)\napus_db_wal_syncs_total{thread=\"syncer\"} \(stats.walSyncsBySyncer)\n"
        out += "# HELP apus_federation_queue_depth PDUs waiting to be sent, per destination.\n# TYPE apus_federation_queue_depth gauge\n"
        for (destination, n) in (try? await homeserver.database.outboxDepths()) ?? [] {
            out += "apus_federation_queue_depth{destination=\"\(escape(destination))\"} \(n)\n"
        }
        out += "# HELP apus_federation_send_failures_total Failed transactions per destination.\n# TYPE apus_federation_send_failures_total counter\n"
        for (destination, n) in homeserver.federation.sender.failures.sorted(by: { $0.key < $1.key }) {
            out += "apus_federation_send_failures_total{destination=\"\(escape(destination))\"} \(n)\n"
        }
        out += "# HELP apus_sync_waiting Long-polling /sync requests waiting.\n# TYPE apus_sync_waiting gauge\n"
        out += "apus_sync_waiting \(homeserver.notifier.waiting)\n"
        out += "# HELP apus_events_stream_position Events persisted (the event stream position).\n# TYPE apus_events_stream_position counter\n"
        out += "apus_events_stream_position \(homeserver.notifier.current.events)\n"
        out += Self.process()
        return out
    }

    /// Resident memory and CPU time from /proc (Linux).
    static func process() -> String {
        var out = ""
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
           let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
           let kb = Double(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") {
            out += "# HELP process_resident_memory_bytes Resident memory.\n# TYPE process_resident_memory_bytes gauge\n"
            out += "process_resident_memory_bytes \(Int(kb * 1024))\n"
        }
        if let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") {
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            // utime and stime are fields 14 and 15 of the line, 12 and 13 after the command name.
            if fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) {
                let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
                out += "# HELP process_cpu_seconds_total CPU time used.\n# TYPE process_cpu_seconds_total counter\n"
                out += "process_cpu_seconds_total \((user + system) / ticks)\n"
            }
        }
        return out
    }

    private func escape(_ s: String) -> String { s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") }
}

/// Times each request and counts it under its route pattern (unknown paths share one label).
struct MetricsMiddleware: RouterMiddleware {
    typealias Context = ApusRequestContext
    let metrics: HTTPMetrics
    let routes: RouteIndex

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        metrics.record(route: routes.pattern(forEndpoint: context.endpointPath) ?? "unmatched", method: request.method.rawValue,
                       status: Int(response.status.code), seconds: seconds)
        return response
    }
}
