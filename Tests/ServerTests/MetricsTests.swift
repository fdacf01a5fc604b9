import Foundation
import Hummingbird
import HummingbirdTesting
import MatrixProtocol
import Testing

@Suite struct MetricsTests {
    @Test func prometheusTextOnTheMetricsResourceOnly() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test(resources: [.client, .metrics]) { client in
            _ = try await client.call(.get, "/_matrix/client/versions")
            _ = try await client.call(.get, "/_matrix/client/v3/rooms/%21x%3Alocalhost/state", token: "bad")
            _ = try await client.call(.put, "/_matrix/client/v3/rooms/%21x%3Alocalhost/state/m.room.topic/", token: "bad")
            _ = try await client.call(.get, "/_matrix/client/v3/no/such/endpoint")
            let _ = try await registerUser(client, "metered")
            let text = try await client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
            #expect(text.contains("apus_http_requests_total{route=\"/_matrix/client/versions\",method=\"GET\",status=\"200\"}"))
            #expect(text.contains("apus_http_requests_total{route=\"/_matrix/client/v3/rooms/:roomID/state\",method=\"GET\",status=\"401\"}"))
            #expect(text.contains("apus_http_request_duration_seconds_bucket{route=\"/_matrix/client/versions\",le=\"+Inf\"}"))
            // The route the router ran (an empty state key's trailing slash is dropped).
            #expect(text.contains("apus_http_requests_total{route=\"/_matrix/client/v3/rooms/:roomID/state/:eventType\",method=\"PUT\",status=\"401\"}"))
            #expect(text.contains("apus_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"}"))
            #expect(text.contains("apus_db_transactions_total "))
            #expect(text.contains("apus_db_group_commit_size_bucket{le=\"1\"}"))
            #expect(text.contains("apus_db_wal_syncs_total{thread=\"writer\"} "))
            #expect(text.contains("apus_db_wal_syncs_total{thread=\"syncer\"} "))
            #expect(text.contains("apus_sync_waiting 0"))
            #expect(text.contains("process_resident_memory_bytes "))
            #expect(text.contains("process_cpu_seconds_total "))
        }
        try await hs.test(resources: [.client]) { client in
            let status = try await client.call(.get, "/metrics").status
            #expect(status == .notFound)
        }
        try await hs.close()
    }
}
