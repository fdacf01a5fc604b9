import APICore
import Foundation
import Hummingbird
import HummingbirdTesting
import MatrixProtocol
import NIOCore
import Services
import Store
import Testing

@Suite struct MediaUploadTests {
    @Test func uploadAndDownloadRoundTripBytesExact() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice")
            // Larger than one write batch (256 KiB) and one read chunk (128 KiB), not a multiple of either.
            let bytes = (0..<700_001).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) }
            let id = try await client.uploadMedia(bytes, token: alice.token, contentType: "application/x-thing", filename: "data.bin")
            #expect(id.count == 24 && (try? MediaID(id)) != nil)

            var r = try await client.media(.get, "\(authedMedia)/download/localhost/\(id)", token: alice.token)
            #expect(r.status == .ok && r.bytes == bytes)
            #expect(r.headers[.contentType] == "application/x-thing")
            #expect(r.headers[.contentLength] == "700001")
            #expect(r.headers[.contentDisposition] == "attachment; filename=\"data.bin\"")
            #expect(r.headers[.contentSecurityPolicy]?.hasPrefix("sandbox; default-src 'none'") == true)
            #expect(r.headers[.crossOriginResourcePolicy] == "cross-origin")
            #expect(r.headers[.xContentTypeOptions] == "nosniff")
            // The file name in the path overrides the uploaded one.
            r = try await client.media(.get, "\(authedMedia)/download/localhost/\(id)/other.txt", token: alice.token)
            #expect(r.status == .ok && r.bytes == bytes && r.headers[.contentDisposition] == "attachment; filename=\"other.txt\"")

            // Content-addressed on disk, nothing left in the temporary directory.
            let root = hs.homeserver.config.mediaPath
            let sha = sha256Hex(bytes)
            #expect(filesUnder(root) == ["\(sha.prefix(2))/\(sha.dropFirst(2).prefix(2))/\(sha)"])
            // The same bytes again: a new media ID, the same file.
            let again = try await client.uploadMedia(bytes, token: alice.token)
            #expect(again != id)
            #expect(filesUnder(root).count == 1)
            r = try await client.media(.get, "\(authedMedia)/download/localhost/\(again)", token: alice.token)
            #expect(r.bytes == bytes && r.headers[.contentType] == "application/octet-stream" && r.headers[.contentDisposition] == "attachment")
        }
        try await hs.close()
    }

    @Test func jsonMediaIsNotGzipped() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice")
            let bytes = Array("{\"k\": \"\(String(repeating: "v", count: 20_000))\"}".utf8)
            let id = try await client.uploadMedia(bytes, token: alice.token, contentType: "application/json")
            var headers = HTTPFields()
            headers[.acceptEncoding] = "gzip"
            let r = try await client.media(.get, "\(authedMedia)/download/localhost/\(id)", token: alice.token, headers: headers)
            #expect(r.status == .ok && r.headers[.contentEncoding] == nil && r.bytes == bytes)
            #expect(r.headers[.contentDisposition] == "inline")
        }
        try await hs.close()
    }

    @Test func emptyUploadAndMissingContentType() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice")
            let id = try await client.uploadMedia([], token: alice.token, contentType: nil)
            let r = try await client.media(.get, "\(authedMedia)/download/localhost/\(id)", token: alice.token)
            #expect(r.status == .ok && r.bytes.isEmpty && r.headers[.contentType] == "application/octet-stream")
        }
        try await hs.close()
    }

    @Test func authIsRequired() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice")
            let id = try await client.uploadMedia(Array("hello".utf8), token: alice.token, contentType: "text/plain")
            for (method, uri) in [(HTTPRequest.Method.post, "\(mediaBase)/upload"), (.post, "/_matrix/media/v1/create"),
                                  (.put, "\(mediaBase)/upload/localhost/\(id)"),
                                  (.get, "\(authedMedia)/download/localhost/\(id)"),
                                  (.get, "\(authedMedia)/download/localhost/\(id)/x.txt"),
                                  (.get, "\(authedMedia)/thumbnail/localhost/\(id)?width=32&height=32"),
                                  (.get, "\(authedMedia)/config"), (.get, "\(mediaBase)/config")] {
                var r = try await client.media(method, uri, body: method == .get ? nil : Array("x".utf8))
                #expect(r.status == .unauthorized && r.json["errcode"] == "M_MISSING_TOKEN", "\(method) \(uri)")
                r = try await client.media(method, uri, token: "nonsense", body: method == .get ? nil : Array("x".utf8))
                #expect(r.status == .unauthorized && r.json["errcode"] == "M_UNKNOWN_TOKEN", "\(method) \(uri)")
            }
            #expect(try await hs.homeserver.database.localMediaCount() == 1)
        }
        try await hs.close()
    }

    @Test func configReportsTheUploadLimit() async throws {
        let hs = try await TestHomeserver.make(configure: { openRegistration(&$0); $0.media.maxUploadSize = 12345 })
        try await hs.test { client in
            let alice = try await registerUser(client, "alice")
            for uri in ["\(authedMedia)/config", "\(mediaBase)/config", "/_matrix/media/r0/config"] {
                let r = try await client.call(.get, uri, token: alice.token)
                #expect(r.status == .ok && r.json == ["m.upload.size": 12345], "\(uri)")
            }
        }
        try await hs.close()
    }

    @Test func oversizedUploadIsRefusedAndLeavesNothing() async throws {
        let hs = try await TestHomeserver.make(configure: { openRegistration(&$0); $0.media.maxUploadSize = 100_000 })
        try await hs.test { client in
            let alice = try await registerUser(client, "alice")
            // At the limit: fine (and above http.max_request_body_size's 1 MiB would be too; see below).
            _ = try await client.uploadMedia(Array(repeating: 1, count: 100_000), token: alice.token)
            // Declared too large: refused before reading.
            let r = try await client.media(.post, "\(mediaBase)/upload", token: alice.token, contentType: "text/plain",
                                           body: Array(repeating: 2, count: 100_001))
            #expect(r.status == .contentTooLarge && r.json["errcode"] == "M_TOO_LARGE")
            // Undeclared (chunked) and too large: refused while streaming, the temporary file removed.
            let requester = try await hs.homeserver.accounts.authenticate(accessToken: alice.token)
            let chunks = (0..<5).map { _ in ByteBuffer(repeating: 3, count: 30_000) }
            await #expect(throws: MatrixError.self) {
                _ = try await hs.homeserver.media.upload(Chunks(chunks: chunks), contentType: nil, filename: nil, uploader: requester)
            }
            #expect(try await hs.homeserver.database.localMediaCount() == 1)
            #expect(filesUnder(hs.homeserver.config.mediaPath).count == 1)
            #expect(filesUnder(hs.homeserver.media.files.temporaryDirectory).isEmpty)
        }
        try await hs.close()
    }

    @Test func uploadsLargerThanTheJSONBodyLimitAreAccepted() async throws {
        let hs = try await TestHomeserver.make(configure: { openRegistration(&$0); $0.http.maxRequestBodySize = 1024 })
        try await hs.test { client in
            let alice = try await registerUser(client, "alice")
            let bytes = Array(repeating: UInt8(7), count: 5000)
            let id = try await client.uploadMedia(bytes, token: alice.token)
            let r = try await client.media(.get, "\(authedMedia)/download/localhost/\(id)", token: alice.token)
            #expect(r.bytes == bytes)
            // Other endpoints keep the small limit.
            let big = try await client.call(.put, "/_matrix/client/v3/profile/\(enc(alice.userID))/displayname", token: alice.token,
                                            rawBody: "{\"displayname\":\"\(String(repeating: "x", count: 2000))\"}")
            #expect(big.status == .contentTooLarge)
        }
        try await hs.close()
    }

    @Test func badFilenamesAreRefused() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice")
            var r = try await client.media(.post, "\(mediaBase)/upload?filename=a%0D%0Ab", token: alice.token, body: [1])
            #expect(r.status == .badRequest && r.json["errcode"] == "M_INVALID_PARAM")
            r = try await client.media(.post, "\(mediaBase)/upload?filename=\(String(repeating: "x", count: 300))", token: alice.token, body: [1])
            #expect(r.status == .badRequest && r.json["errcode"] == "M_INVALID_PARAM")
            #expect(try await hs.homeserver.database.localMediaCount() == 0)
        }
        try await hs.close()
    }
}

/// Chunks as an async sequence without a declared length (a chunked request body).
struct Chunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let chunks: [ByteBuffer]
    struct AsyncIterator: AsyncIteratorProtocol {
        var rest: ArraySlice<ByteBuffer>
        mutating func next() async throws -> ByteBuffer? { rest.popFirst() }
    }
    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(rest: chunks[...]) }
}

@Suite struct MediaAsyncUploadTests {
    @Test func createThenUpload() async throws {
        let clock = TestClock()
        let hs = try await TestHomeserver.make(configure: openRegistration, clock: clock.clock)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice"), bob = try await registerUser(client, "bob")
            let created = try await client.call(.post, "/_matrix/media/v1/create", token: alice.token)
            #expect(created.status == .ok)
            #expect(created.json["unused_expires_at"]?.intValue == TestHomeserver.now + 24 * 3600 * 1000)
            let uri = try #require(created.json["content_uri"]?.stringValue)
            #expect(uri.hasPrefix("mxc://localhost/"))
            let id = String(uri.dropFirst("mxc://localhost/".count))
            let put = "\(mediaBase)/upload/localhost/\(id)"

            // Not uploaded yet: the download waits timeout_ms, then 504.
            var r = try await client.media(.get, "\(authedMedia)/download/localhost/\(id)?timeout_ms=50", token: alice.token)
            #expect(r.status == .gatewayTimeout && r.json["errcode"] == "M_NOT_YET_UPLOADED")
            // Someone else's ID, an unknown one, another server's.
            r = try await client.media(.put, put, token: bob.token, contentType: "text/plain", body: Array("mallory".utf8))
            #expect(r.status == .forbidden && r.json["errcode"] == "M_FORBIDDEN")
            r = try await client.media(.put, "\(mediaBase)/upload/localhost/unknownID", token: alice.token, body: [1])
            #expect(r.status == .notFound && r.json["errcode"] == "M_NOT_FOUND")
            r = try await client.media(.put, "\(mediaBase)/upload/elsewhere.test/\(id)", token: alice.token, body: [1])
            #expect(r.status == .notFound && r.json["errcode"] == "M_NOT_FOUND")

            // A download waiting when the upload lands is answered with it.
            let waiting = Task { try await client.media(.get, "\(authedMedia)/download/localhost/\(id)?timeout_ms=10000", token: bob.token) }
            try await Task.sleep(for: .milliseconds(100))
            r = try await client.media(.put, "\(put)?filename=note.txt", token: alice.token, contentType: "text/plain",
                                       body: Array("hello".utf8))
            #expect(r.status == .ok && r.json == [:])
            let waited = try await waiting.value
            #expect(waited.status == .ok && waited.bytes == Array("hello".utf8))
            #expect(waited.headers[.contentDisposition] == "inline; filename=\"note.txt\"")

            r = try await client.media(.put, put, token: alice.token, contentType: "text/plain", body: Array("again".utf8))
            #expect(r.status == .conflict && r.json["errcode"] == "M_CANNOT_OVERWRITE_MEDIA")
            r = try await client.media(.get, "\(authedMedia)/download/localhost/\(id)", token: alice.token)
            #expect(r.bytes == Array("hello".utf8))

            // An ID left unused lapses after 24 hours.
            let lapsing = try await client.call(.post, "/_matrix/media/v1/create", token: alice.token)
            let lapsingID = String(lapsing.json["content_uri"]?.stringValue?.split(separator: "/").last ?? "")
            clock.now += 24 * 3600 * 1000
            r = try await client.media(.put, "\(mediaBase)/upload/localhost/\(lapsingID)", token: alice.token, body: [1])
            #expect(r.status == .notFound && r.json["errcode"] == "M_NOT_FOUND")
            r = try await client.media(.get, "\(authedMedia)/download/localhost/\(lapsingID)?timeout_ms=0", token: alice.token)
            #expect(r.status == .notFound)
        }
        try await hs.close()
    }

    @Test func racingPutsFillTheIDOnce() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice")
            for _ in 0..<3 {
                let created = try await client.call(.post, "/_matrix/media/v1/create", token: alice.token)
                let id = String(created.json["content_uri"]?.stringValue?.split(separator: "/").last ?? "")
                let statuses = try await withThrowingTaskGroup(of: (Int, HTTPResponse.Status).self) { group in
                    for n in 0..<2 {
                        group.addTask {
                            let body = Array(repeating: UInt8(n), count: 300_000)
                            return (n, try await client.media(.put, "\(mediaBase)/upload/localhost/\(id)", token: alice.token, body: body).status)
                        }
                    }
                    return try await group.reduce(into: [Int: HTTPResponse.Status]()) { $0[$1.0] = $1.1 }
                }
                #expect(statuses.values.sorted { $0.code < $1.code } == [.ok, .conflict])
                let winner = try #require(statuses.first { $0.value == .ok }?.key)
                let r = try await client.media(.get, "\(authedMedia)/download/localhost/\(id)", token: alice.token)
                #expect(r.bytes == Array(repeating: UInt8(winner), count: 300_000))
            }
        }
        try await hs.close()
    }

    @Test func pendingUploadsAreLimitedPerUser() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice"), bob = try await registerUser(client, "bob")
            for _ in 0..<MediaRepository.maxPendingUploads {
                #expect(try await client.call(.post, "/_matrix/media/v1/create", token: alice.token).status == .ok)
            }
            let r = try await client.call(.post, "/_matrix/media/v1/create", token: alice.token)
            #expect(r.status == .tooManyRequests && r.json["errcode"] == "M_LIMIT_EXCEEDED")
            #expect(try await client.call(.post, "/_matrix/media/v1/create", token: bob.token).status == .ok)
        }
        try await hs.close()
    }

    @Test func oversizedPutLeavesTheIDPending() async throws {
        let hs = try await TestHomeserver.make(configure: { openRegistration(&$0); $0.media.maxUploadSize = 1000 })
        try await hs.test { client in
            let alice = try await registerUser(client, "alice")
            let created = try await client.call(.post, "/_matrix/media/v1/create", token: alice.token)
            let id = String(created.json["content_uri"]?.stringValue?.split(separator: "/").last ?? "")
            var r = try await client.media(.put, "\(mediaBase)/upload/localhost/\(id)", token: alice.token, body: Array(repeating: 1, count: 1001))
            #expect(r.status == .contentTooLarge && r.json["errcode"] == "M_TOO_LARGE")
            #expect(filesUnder(hs.homeserver.config.mediaPath).isEmpty)
            r = try await client.media(.put, "\(mediaBase)/upload/localhost/\(id)", token: alice.token, body: Array(repeating: 1, count: 1000))
            #expect(r.status == .ok)
        }
        try await hs.close()
    }
}

@Suite struct MediaServingTests {
    @Test func dispositionIsInlineOnlyForSafeTypes() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice")
            let cases: [(type: String, expected: String)] = [
                ("image/svg+xml", "attachment"), ("text/html", "attachment"), ("text/html; charset=utf-8", "attachment"),
                ("application/javascript", "attachment"), ("application/pdf", "attachment"), ("text/xml", "attachment"),
                ("image/png", "inline"), ("IMAGE/JPEG", "inline"), ("text/plain; charset=utf-8", "inline"),
                ("video/mp4", "inline"), ("audio/ogg", "inline"),
            ]
            for (type, expected) in cases {
                let id = try await client.uploadMedia(Array("<svg onload=alert(1)>".utf8), token: alice.token, contentType: type)
                let r = try await client.media(.get, "\(authedMedia)/download/localhost/\(id)", token: alice.token)
                #expect(r.headers[.contentDisposition] == expected, "\(type)")
                #expect(r.headers[.contentType] == type)
            }
            // A malformed content type is not echoed.
            let id = try await client.uploadMedia([1], token: alice.token, contentType: "not a type")
            let r = try await client.media(.get, "\(authedMedia)/download/localhost/\(id)", token: alice.token)
            #expect(r.headers[.contentType] == "application/octet-stream" && r.headers[.contentDisposition] == "attachment")
        }
        try await hs.close()
    }

    @Test func filenamesAreEncodedSafely() {
        #expect(MediaResponse.contentDisposition(contentType: "image/png", filename: "cat.png") == "inline; filename=\"cat.png\"")
        #expect(MediaResponse.contentDisposition(contentType: "text/html", filename: "a\"; filename=evil.html")
            == "attachment; filename*=utf-8''a%22%3B%20filename%3Devil.html")
        #expect(MediaResponse.contentDisposition(contentType: "image/png", filename: "chat 🐈.png")
            == "inline; filename*=utf-8''chat%20%F0%9F%90%88.png")
        #expect(MediaResponse.contentDisposition(contentType: "application/pdf", filename: "100%.pdf")
            == "attachment; filename*=utf-8''100%25.pdf")
        #expect(MediaResponse.contentDisposition(contentType: "image/png", filename: nil) == "inline")
    }

    @Test func unicodeFilenameRoundTrips() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice")
            let id = try await client.uploadMedia([1, 2], token: alice.token, contentType: "image/png", filename: "Grüße.png")
            let r = try await client.media(.get, "\(authedMedia)/download/localhost/\(id)", token: alice.token)
            #expect(r.headers[.contentDisposition] == "inline; filename*=utf-8''Gr%C3%BC%C3%9Fe.png")
        }
        try await hs.close()
    }

    @Test func badMediaIDsAndServerNamesAreRefused() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice")
            _ = try await client.uploadMedia([1], token: alice.token)
            let before = filesUnder(hs.directory)
            for path in ["localhost/..%2F..%2Fapus.db", "localhost/%2E%2E", "localhost/abc%00", "localhost/a.b", "localhost/a%20b",
                         "localhost/%C3%A9", "..%2F..%2Fetc/passwd", "bad_server!/abc", "localhost:99999/abc"] {
                for uri in ["\(authedMedia)/download/\(path)", "\(authedMedia)/thumbnail/\(path)?width=32&height=32"] {
                    let r = try await client.media(.get, uri, token: alice.token)
                    #expect(r.status == .badRequest && r.json["errcode"] == "M_INVALID_PARAM", "\(uri): \(r.status)")
                }
                let r = try await client.media(.put, "\(mediaBase)/upload/\(path)", token: alice.token, body: [1])
                #expect(r.status == .badRequest && r.json["errcode"] == "M_INVALID_PARAM", "PUT \(path)")
            }
            // A literal "/.." makes the path another route.
            let r = try await client.media(.get, "\(authedMedia)/download/localhost/../../apus.db", token: alice.token)
            #expect(r.status == .notFound && r.bytes.count < 200)
            #expect(filesUnder(hs.directory) == before)
            // Well-formed but unknown.
            let unknown = try await client.media(.get, "\(authedMedia)/download/localhost/nosuchmedia", token: alice.token)
            #expect(unknown.status == .notFound && unknown.json["errcode"] == "M_NOT_FOUND")
        }
        try await hs.close()
    }

    @Test func remoteMediaIsNotFoundForNow() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice")
            var r = try await client.media(.get, "\(authedMedia)/download/matrix.org/abcDEF123", token: alice.token)
            #expect(r.status == .notFound && r.json["errcode"] == "M_NOT_FOUND")
            r = try await client.media(.get, "\(authedMedia)/thumbnail/matrix.org/abcDEF123?width=32&height=32", token: alice.token)
            #expect(r.status == .notFound && r.json["errcode"] == "M_NOT_FOUND")
        }
        try await hs.close()
    }

    @Test func cachedRemoteMediaIsServedAndThumbnailed() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice")
            // What the federation client will do once it fetches: store the bytes, then the row.
            let png = testImage(width: 300, height: 300, suffix: ".png")
            let stored = try await hs.homeserver.media.files.store(bytes: png)
            try await hs.homeserver.database.upsertRemoteMedia(RemoteMedia(
                origin: "matrix.org", mediaID: "remoteID", contentType: "image/png", filename: "r.png", size: stored.size,
                sha256: stored.sha256, fetchedTs: TestHomeserver.now, legacyAccess: false))
            var r = try await client.media(.get, "\(authedMedia)/download/matrix.org/remoteID", token: alice.token)
            #expect(r.status == .ok && r.bytes == png && r.headers[.contentDisposition] == "inline; filename=\"r.png\"")
            r = try await client.media(.get, "\(authedMedia)/thumbnail/matrix.org/remoteID?width=32&height=32&method=crop", token: alice.token)
            #expect(r.status == .ok && imageDimensions(r.bytes).map { [$0.width, $0.height] } == [32, 32])
            #expect(try await hs.homeserver.database.mediaThumbnailCount(origin: "matrix.org", mediaID: "remoteID") == 1)
            // Cached after the freeze: not on the legacy endpoints.
            r = try await client.media(.get, "/_matrix/media/v3/download/matrix.org/remoteID")
            #expect(r.status == .notFound)
        }
        try await hs.close()
    }

    @Test func previewURLIsNotOffered() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice")
            let r = try await client.media(.get, "\(authedMedia)/preview_url?url=http://127.0.0.1/", token: alice.token)
            #expect(r.status == .notFound && r.json["errcode"] == "M_UNRECOGNIZED")
        }
        try await hs.close()
    }
}

@Suite struct MediaLegacyTests {
    @Test func legacyEndpointsAreOffByDefault() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice")
            let png = testImage(width: 200, height: 100, suffix: ".png")
            let id = try await client.uploadMedia(png, token: alice.token, contentType: "image/png")
            for version in ["v3", "r0"] {
                for uri in ["/_matrix/media/\(version)/download/localhost/\(id)", "/_matrix/media/\(version)/download/localhost/\(id)/a.png",
                            "/_matrix/media/\(version)/thumbnail/localhost/\(id)?width=32&height=32"] {
                    for token in [nil, alice.token] {
                        let r = try await client.media(.get, uri, token: token)
                        #expect(r.status == .notFound && r.json["errcode"] == "M_NOT_FOUND", "\(uri)")
                    }
                }
            }
        }
        try await hs.close()
    }

    @Test func freezeKeepsOlderMediaOnLegacyEndpoints() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("apus-test-\(UUID().uuidString)").path
        // Before the freeze: legacy access allowed, media uploaded.
        let before = try await TestHomeserver.make(configure: { openRegistration(&$0); $0.media.allowLegacyUnauthenticated = true },
                                                  directory: directory)
        let box = TestBox()
        try await before.test { client in
            let user = try await registerUser(client, "alice")
            let oldID = try await client.uploadMedia(Array("old".utf8), token: user.token, contentType: "text/plain")
            await box.set(token: user.token, mediaID: oldID)
            let r = try await client.media(.get, "/_matrix/media/v3/download/localhost/\(oldID)")
            #expect(r.status == .ok && r.bytes == Array("old".utf8))
        }
        try await before.homeserver.database.close()
        // After: new media is only on the authenticated endpoints; old media stays reachable.
        let after = try await TestHomeserver.make(configure: openRegistration, directory: directory)
        try await after.test { client in
            let token = await box.token, oldMedia = await box.mediaID
            let newID = try await client.uploadMedia(Array("new".utf8), token: token, contentType: "text/plain")
            var r = try await client.media(.get, "/_matrix/media/v3/download/localhost/\(oldMedia)")
            #expect(r.status == .ok && r.bytes == Array("old".utf8))
            #expect(r.headers[.contentSecurityPolicy] != nil)
            r = try await client.media(.get, "/_matrix/media/r0/download/localhost/\(newID)")
            #expect(r.status == .notFound && r.json["errcode"] == "M_NOT_FOUND")
            r = try await client.media(.get, "\(authedMedia)/download/localhost/\(newID)", token: token)
            #expect(r.status == .ok && r.bytes == Array("new".utf8))
        }
        try await after.close()
    }
}

/// Carries a value out of one test closure into the next.
actor TestBox {
    var token = ""
    var mediaID = ""
    func set(token: String, mediaID: String) {
        self.token = token
        self.mediaID = mediaID
    }
}
