import APICore
import Foundation
import Hummingbird
import HummingbirdTesting
import MatrixProtocol
@testable import Server
import Testing

struct SecretFailure: Error { let secret = "password=hunter2" }

/// Routes behind the real middleware that exercise body reading and error rendering.
func probeRoutes(_ routes: RouteTable) {
    routes.post("/_test/echo") { request, context in
        .json(try await request.jsonObject(context: context))
    }
    routes.get("/_test/big") { _, _ in
        .json(["filler": .string(String(repeating: "matrix ", count: 2000))])
    }
    routes.get("/_test/small") { _, _ in .json(["ok": true]) }
    routes.get("/_test/crash") { _, _ in throw SecretFailure() }
    routes.get("/_test/forbidden") { _, _ in throw MatrixError.forbidden("no") }
    routes.get("/_test/items/:id") { _, context in .json(["id": .string(context.parameters.get("id") ?? "")]) }
}

@Suite struct MiddlewareTests {
    @Test func unknownPathIs404Unrecognized() async throws {
        let hs = try await TestHomeserver.make()
        try await hs.test(extraRoutes: probeRoutes) { client in
            for uri in ["/nope", "/_matrix/client/v3/nope", "/_test/items", "/_test/items/1/2"] {
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.status == .notFound, "\(uri)")
                    #expect(response.json["errcode"]?.stringValue == "M_UNRECOGNIZED")
                    #expect(response.headers[.accessControlAllowOrigin] == "*")
                }
            }
        }
        try await hs.close()
    }

    @Test func wrongMethodIs405Unrecognized() async throws {
        let hs = try await TestHomeserver.make()
        try await hs.test(extraRoutes: probeRoutes) { client in
            try await client.execute(uri: "/_matrix/client/versions", method: .post) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.json["errcode"]?.stringValue == "M_UNRECOGNIZED")
                #expect(response.headers[.allow]?.contains("GET") == true)
            }
            try await client.execute(uri: "/_test/items/42", method: .delete) { response in
                #expect(response.status == .methodNotAllowed)
            }
            try await client.execute(uri: "/_test/items/42", method: .get) { response in
                #expect(response.json["id"]?.stringValue == "42")
            }
        }
        try await hs.close()
    }

    @Test func matrixErrorsRenderAsJSON() async throws {
        let hs = try await TestHomeserver.make()
        try await hs.test(extraRoutes: probeRoutes) { client in
            try await client.execute(uri: "/_test/forbidden", method: .get) { response in
                #expect(response.status == .forbidden)
                let body = response.json
                #expect(body == ["errcode": "M_FORBIDDEN", "error": "no"])
            }
        }
        try await hs.close()
    }

    @Test func unexpectedErrorsAre500WithoutDetails() async throws {
        let hs = try await TestHomeserver.make()
        try await hs.test(extraRoutes: probeRoutes) { client in
            try await client.execute(uri: "/_test/crash", method: .get) { response in
                #expect(response.status == .internalServerError)
                #expect(response.json["errcode"]?.stringValue == "M_UNKNOWN")
                let text = String(buffer: response.body)
                #expect(!text.contains("hunter2"))
                #expect(!text.contains("SecretFailure"))
            }
        }
        try await hs.close()
    }

    @Test func jsonBodies() async throws {
        let hs = try await TestHomeserver.make()
        try await hs.test(extraRoutes: probeRoutes) { client in
            try await client.execute(uri: "/_test/echo", method: .post, body: ByteBuffer(string: #"{"b":1,"a":"x"}"#)) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == #"{"a":"x","b":1}"#)
            }
            try await client.execute(uri: "/_test/echo", method: .post, body: ByteBuffer(string: "{not json")) { response in
                #expect(response.status == .badRequest)
                #expect(response.json["errcode"]?.stringValue == "M_NOT_JSON")
            }
            try await client.execute(uri: "/_test/echo", method: .post, body: ByteBuffer(string: "[1,2]")) { response in
                #expect(response.status == .badRequest)
                #expect(response.json["errcode"]?.stringValue == "M_BAD_JSON")
            }
            try await client.execute(uri: "/_test/echo", method: .post, body: ByteBuffer(string: #"{"a":1,"a":2}"#)) { response in
                #expect(response.json["errcode"]?.stringValue == "M_NOT_JSON")
            }
        }
        try await hs.close()
    }

    @Test func oversizedBodiesAre413TooLarge() async throws {
        let hs = try await TestHomeserver.make { $0.http.maxRequestBodySize = 1024 }
        let big = ByteBuffer(string: #"{"a":""# + String(repeating: "x", count: 2000) + #""}"#)
        try await hs.test(extraRoutes: probeRoutes) { client in
            try await client.execute(uri: "/_test/echo", method: .post, body: big) { response in
                #expect(response.status == .contentTooLarge)
                #expect(response.json["errcode"]?.stringValue == "M_TOO_LARGE")
            }
            let fits = ByteBuffer(string: #"{"a":""# + String(repeating: "x", count: 900) + #""}"#)
            try await client.execute(uri: "/_test/echo", method: .post, body: fits) { response in
                #expect(response.status == .ok)
            }
        }
        try await hs.close()
    }

    @Test func corsPreflightAndHeaders() async throws {
        let hs = try await TestHomeserver.make()
        try await hs.test(extraRoutes: probeRoutes) { client in
            try await client.execute(uri: "/_matrix/client/v3/login", method: .options, headers: [.origin: "https://app.element.io"]) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.accessControlAllowOrigin] == "*")
                #expect(response.headers[.accessControlAllowMethods]?.contains("PUT") == true)
                #expect(response.headers[.accessControlAllowHeaders]?.contains("Authorization") == true)
            }
        }
        try await hs.close()
        let restricted = try await TestHomeserver.make { $0.http.corsAllowedOrigins = ["https://good.example"] }
        try await restricted.test(extraRoutes: probeRoutes) { client in
            try await client.execute(uri: "/_test/small", method: .get, headers: [.origin: "https://good.example"]) { response in
                #expect(response.headers[.accessControlAllowOrigin] == "https://good.example")
                #expect(response.headers[.vary]?.contains("Origin") == true)
            }
            try await client.execute(uri: "/_test/small", method: .get, headers: [.origin: "https://evil.example"]) { response in
                #expect(response.headers[.accessControlAllowOrigin] == nil)
            }
        }
        try await restricted.close()
    }

    @Test func gzipOnlyForLargeResponsesWhenAccepted() async throws {
        let hs = try await TestHomeserver.make()
        try await hs.test(extraRoutes: probeRoutes) { client in
            var plainLength = 0
            try await client.execute(uri: "/_test/big", method: .get) { response in
                #expect(response.headers[.contentEncoding] == nil)
                plainLength = response.body.readableBytes
            }
            try await client.execute(uri: "/_test/big", method: .get, headers: [.acceptEncoding: "gzip, deflate"]) { response in
                #expect(response.headers[.contentEncoding] == "gzip")
                #expect(response.headers[.vary]?.contains("Accept-Encoding") == true)
                #expect(response.body.readableBytes < plainLength / 10)
                let inflated = try #require(Gzip.decompress(response.body.readableBytesView))
                let object = try JSONParser.parseObject(inflated)
                #expect(object["filler"]?.stringValue?.count == 14000)
            }
            try await client.execute(uri: "/_test/big", method: .get, headers: [.acceptEncoding: "gzip;q=0"]) { response in
                #expect(response.headers[.contentEncoding] == nil)
            }
            try await client.execute(uri: "/_test/small", method: .get, headers: [.acceptEncoding: "gzip"]) { response in
                #expect(response.headers[.contentEncoding] == nil)
            }
        }
        try await hs.close()
    }

    @Test func routeIndexMatching() {
        let table = RouteTable()
        table.get("/a/:x/c") { _, _ in .json([:]) }
        table.put("/a/:x/c") { _, _ in .json([:]) }
        table.get("/files/**") { _, _ in .json([:]) }
        let index = table.index
        #expect(index.allowedMethods(for: "/a/1/c") == [.get, .head, .put])
        #expect(index.allowedMethods(for: "/a/1").isEmpty)
        #expect(index.allowedMethods(for: "/a/1/c/d").isEmpty)
        #expect(index.allowedMethods(for: "/files/x/y") == [.get, .head])
        #expect(index.allowedMethods(for: "/files").isEmpty)
    }
}

@Suite struct RateLimitTests {
    @Test func writesOverTheBurstAre429() async throws {
        let hs = try await TestHomeserver.make {
            $0.rateLimits.perSecond = 0.01  // no refill within the test, however slow the machine
            $0.rateLimits.burst = 2
        }
        try await hs.test(extraRoutes: probeRoutes) { client in
            var statuses: [HTTPResponse.Status] = []
            var retry: JSONValue?
            var header: String?
            for _ in 0..<3 {
                try await client.execute(uri: "/_test/echo", method: .post, headers: [.authorization: "Bearer same"],
                                         body: ByteBuffer(string: "{}")) { response in
                    statuses.append(response.status)
                    if response.status == .tooManyRequests {
                        retry = response.json["retry_after_ms"]
                        header = response.headers[.retryAfter]
                        #expect(response.json["errcode"] == "M_LIMIT_EXCEEDED")
                    }
                }
            }
            #expect(statuses == [.ok, .ok, .tooManyRequests])
            #expect((retry?.intValue ?? 0) > 0 && header != nil)
            // Another requester has its own bucket, and reads are not limited.
            try await client.execute(uri: "/_test/echo", method: .post, headers: [.authorization: "Bearer other"],
                                     body: ByteBuffer(string: "{}")) { #expect($0.status == .ok) }
            for _ in 0..<5 {
                try await client.execute(uri: "/_test/small", method: .get, headers: [.authorization: "Bearer same"]) { #expect($0.status == .ok) }
            }
        }
        try await hs.close()
    }

    @Test func bucketsRefill() {
        let clock = TestClock()
        let limiter = RateLimiter(perSecond: 2, burst: 1) { Double(clock.now) / 1000 }
        #expect(limiter.take("k") == nil)
        #expect(limiter.take("k") == 500)
        clock.now += 500
        #expect(limiter.take("k") == nil)
    }
}
