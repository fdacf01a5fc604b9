import Foundation
import Hummingbird
import HummingbirdTesting
import MatrixProtocol
import Services
import Testing

@Suite struct MediaThumbnailTests {
    @Test func pngCropAndScale() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice")
            let png = testImage(width: 400, height: 300, suffix: ".png")
            #expect(ImageFormat.sniff(Array(png.prefix(12))) == .png)
            let id = try await client.uploadMedia(png, token: alice.token, contentType: "image/png")

            // 64×64 crop → the 96×96 crop size: square, never smaller than asked.
            var r = try await client.media(.get, "\(authedMedia)/thumbnail/localhost/\(id)?width=64&height=64&method=crop", token: alice.token)
            #expect(r.status == .ok && r.headers[.contentType] == "image/png")
            #expect(r.headers[.contentDisposition] == "inline; filename=\"thumbnail.png\"")
            #expect(r.headers[.contentSecurityPolicy] != nil)
            #expect(imageDimensions(r.bytes)! == (96, 96))
            let first = r.bytes
            // Asked again: the stored thumbnail, not a new one.
            r = try await client.media(.get, "\(authedMedia)/thumbnail/localhost/\(id)?width=64&height=64&method=crop", token: alice.token)
            #expect(r.bytes == first)
            #expect(try await hs.homeserver.database.mediaThumbnailCount(origin: "localhost", mediaID: id) == 1)

            // 300×200 scale (the default method) → fits 320×240 keeping 4:3.
            r = try await client.media(.get, "\(authedMedia)/thumbnail/localhost/\(id)?width=300&height=200", token: alice.token)
            #expect(r.status == .ok && imageDimensions(r.bytes)! == (320, 240))
            // 32×32 crop.
            r = try await client.media(.get, "\(authedMedia)/thumbnail/localhost/\(id)?width=20&height=20&method=crop&animated=true",
                                       token: alice.token)
            #expect(r.status == .ok && imageDimensions(r.bytes)! == (32, 32))
            #expect(try await hs.homeserver.database.mediaThumbnailCount(origin: "localhost", mediaID: id) == 3)
            // Larger than the image in the chosen box: the original itself, never upscaled.
            r = try await client.media(.get, "\(authedMedia)/thumbnail/localhost/\(id)?width=700&height=500", token: alice.token)
            #expect(r.status == .ok && r.bytes == png && r.headers[.contentType] == "image/png")
            #expect(filesUnder(hs.homeserver.media.files.temporaryDirectory).isEmpty)
        }
        try await hs.close()
    }

    @Test func jpegScaleKeepsAspectAndFormat() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice")
            let jpeg = testImage(width: 1000, height: 500, suffix: ".jpg")
            #expect(ImageFormat.sniff(Array(jpeg.prefix(12))) == .jpeg)
            // The uploader's content type is not trusted for thumbnailing: the bytes decide.
            let id = try await client.uploadMedia(jpeg, token: alice.token, contentType: "application/octet-stream")
            var r = try await client.media(.get, "\(authedMedia)/thumbnail/localhost/\(id)?width=640&height=480&method=scale", token: alice.token)
            #expect(r.status == .ok && r.headers[.contentType] == "image/jpeg")
            #expect(r.headers[.contentDisposition] == "inline; filename=\"thumbnail.jpg\"")
            #expect(imageDimensions(r.bytes)! == (640, 320))
            #expect(ImageFormat.sniff(Array(r.bytes.prefix(12))) == .jpeg)
            r = try await client.media(.get, "\(authedMedia)/thumbnail/localhost/\(id)?width=96&height=96&method=crop", token: alice.token)
            #expect(imageDimensions(r.bytes)! == (96, 96))
        }
        try await hs.close()
    }

    @Test func gifAndWebPAreThumbnailed() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice")
            for suffix in [".gif", ".webp"] {
                let image = testImage(width: 500, height: 500, suffix: suffix)
                let id = try await client.uploadMedia(image, token: alice.token, contentType: "image/\(suffix.dropFirst())")
                let r = try await client.media(.get, "\(authedMedia)/thumbnail/localhost/\(id)?width=96&height=96&method=crop",
                                               token: alice.token)
                #expect(r.status == .ok && r.headers[.contentType] == "image/png", "\(suffix)")
                #expect(imageDimensions(r.bytes).map { [$0.width, $0.height] } == [96, 96], "\(suffix)")
            }
        }
        try await hs.close()
    }

    @Test func nonImagesAndBrokenImagesAreRefused() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice")
            let text = try await client.uploadMedia(Array("just text".utf8), token: alice.token, contentType: "text/plain")
            // HTML claiming to be a PNG.
            let html = try await client.uploadMedia(Array("<html><script>x</script></html>".utf8), token: alice.token, contentType: "image/png")
            // A PNG signature followed by garbage.
            let broken = try await client.uploadMedia([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: 0x41, count: 100),
                                                      token: alice.token, contentType: "image/png")
            // SVG is not thumbnailed (its decoder is never reached).
            let svg = try await client.uploadMedia(Array("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"500\" height=\"500\"/>".utf8),
                                                   token: alice.token, contentType: "image/svg+xml")
            for id in [text, html, broken, svg] {
                let r = try await client.media(.get, "\(authedMedia)/thumbnail/localhost/\(id)?width=32&height=32", token: alice.token)
                #expect(r.status == .badRequest && r.json["errcode"] == "M_UNKNOWN", "\(id)")
                #expect(try await hs.homeserver.database.mediaThumbnailCount(origin: "localhost", mediaID: id) == 0)
            }
            #expect(filesUnder(hs.homeserver.config.mediaPath).count == 4)
        }
        try await hs.close()
    }

    @Test func imagesAboveThePixelLimitAreRefused() async throws {
        let hs = try await TestHomeserver.make(configure: { openRegistration(&$0); $0.media.maxImagePixels = 100 * 100 })
        try await hs.test { client in
            let alice = try await registerUser(client, "alice")
            let big = try await client.uploadMedia(testImage(width: 101, height: 100, suffix: ".png"), token: alice.token)
            var r = try await client.media(.get, "\(authedMedia)/thumbnail/localhost/\(big)?width=32&height=32", token: alice.token)
            #expect(r.status == .contentTooLarge && r.json["errcode"] == "M_TOO_LARGE")
            #expect(try await hs.homeserver.database.mediaThumbnailCount(origin: "localhost", mediaID: big) == 0)
            let fits = try await client.uploadMedia(testImage(width: 100, height: 100, suffix: ".png"), token: alice.token)
            r = try await client.media(.get, "\(authedMedia)/thumbnail/localhost/\(fits)?width=32&height=32&method=crop", token: alice.token)
            #expect(r.status == .ok)
        }
        try await hs.close()
    }

    @Test func decompressionBombIsRefusedBeforeDecoding() async throws {
        // A 20000×20000 PNG of one colour compresses to a small file; decoding it would take
        // 1.2 GB. The header check refuses it at the default 32 M pixel limit.
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice")
            let bomb = pngHeaderOnly(width: 20_000, height: 20_000)
            let id = try await client.uploadMedia(bomb, token: alice.token, contentType: "image/png")
            let r = try await client.media(.get, "\(authedMedia)/thumbnail/localhost/\(id)?width=32&height=32", token: alice.token)
            #expect(r.status == .contentTooLarge && r.json["errcode"] == "M_TOO_LARGE")
        }
        try await hs.close()
    }

    @Test func badThumbnailParameters() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await registerUser(client, "alice")
            let id = try await client.uploadMedia(testImage(width: 50, height: 50, suffix: ".png"), token: alice.token)
            let cases: [(query: String, errcode: String)] = [
                ("height=32", "M_MISSING_PARAM"), ("width=32", "M_MISSING_PARAM"), ("width=abc&height=32", "M_INVALID_PARAM"),
                ("width=-1&height=32", "M_INVALID_PARAM"), ("width=0&height=32", "M_INVALID_PARAM"),
                ("width=32&height=32&method=zoom", "M_INVALID_PARAM"), ("width=32&height=32&animated=maybe", "M_INVALID_PARAM"),
                ("width=32&height=32&timeout_ms=soon", "M_INVALID_PARAM"),
            ]
            for (query, errcode) in cases {
                let r = try await client.media(.get, "\(authedMedia)/thumbnail/localhost/\(id)?\(query)", token: alice.token)
                #expect(r.status == .badRequest && r.json["errcode"] == .string(errcode), "\(query)")
            }
        }
        try await hs.close()
    }

    @Test func sizeSelection() {
        #expect(ThumbnailSize.choose(width: 32, height: 32, method: .crop) == .init(width: 32, height: 32, method: .crop))
        #expect(ThumbnailSize.choose(width: 33, height: 10, method: .crop) == .init(width: 96, height: 96, method: .crop))
        #expect(ThumbnailSize.choose(width: 100, height: 100, method: .crop) == .init(width: 320, height: 240, method: .scale))
        #expect(ThumbnailSize.choose(width: 1, height: 1, method: .scale) == .init(width: 320, height: 240, method: .scale))
        #expect(ThumbnailSize.choose(width: 321, height: 100, method: .scale) == .init(width: 640, height: 480, method: .scale))
        #expect(ThumbnailSize.choose(width: 5000, height: 5000, method: .scale) == .init(width: 800, height: 600, method: .scale))
    }
}

/// A PNG that declares `width`×`height` in its header and holds one row of pixel data: what a
/// decoder must refuse from the header alone.
func pngHeaderOnly(width: Int, height: Int) -> [UInt8] {
    let real = testImage(width: 1, height: 1, suffix: ".png")
    // IHDR's width and height are the big-endian words at offsets 16 and 20; its CRC follows at 29.
    var png = real
    for (offset, value) in [(16, width), (20, height)] {
        for i in 0..<4 { png[offset + i] = UInt8(truncatingIfNeeded: value >> (24 - 8 * i)) }
    }
    let crc = crc32(Array(png[12..<29]))
    for i in 0..<4 { png[29 + i] = UInt8(truncatingIfNeeded: crc >> (24 - 8 * UInt32(i))) }
    return png
}

func crc32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for b in bytes {
        crc ^= UInt32(b)
        for _ in 0..<8 { crc = (crc >> 1) ^ (0xEDB8_8320 & (0 &- (crc & 1))) }
    }
    return ~crc
}

@Suite struct MediaFederationTests {
    @Test func ownMediaIsServedAsMultipart() async throws {
        let pair = try await FederatedPair.make()
        try await pair.run { a, _ in
            let alice = try await registerUser(a, "alice")
            let bytes = Array("federated bytes \u{0}\r\n--not-a-boundary".utf8) + Array(repeating: 0xAB, count: 200_000)
            let id = try await a.uploadMedia(bytes, token: alice.token, contentType: "application/pdf", filename: "doc.pdf")
            let png = try await a.uploadMedia(testImage(width: 400, height: 400, suffix: ".png"), token: alice.token, contentType: "image/png")

            func signedGet(_ path: String) async throws -> MediaReply {
                let auth = try XMatrixAuthorization.sign(method: "GET", uri: path, origin: "b.test", destination: "a.test",
                                                         content: nil, key: pair.b.homeserver.signingKey)
                var headers: HTTPFields = [:]
                headers[.authorization] = auth.headerValue
                return try await a.media(.get, path, headers: headers)
            }
            var r = try await signedGet("/_matrix/federation/v1/media/download/\(id)")
            #expect(r.status == .ok && r.headers[.contentType]?.hasPrefix("multipart/mixed; boundary=") == true)
            var parts = multipartParts(r.bytes, contentType: r.headers[.contentType])
            #expect(parts.count == 2)
            #expect(parts.first?.headers["content-type"] == "application/json" && parts.first?.body == Array("{}".utf8))
            #expect(parts.last?.headers["content-type"] == "application/pdf")
            #expect(parts.last?.headers["content-disposition"] == "attachment; filename=\"doc.pdf\"")
            #expect(parts.last?.body == bytes)
            #expect(r.headers[.contentLength].flatMap { Int($0) } == r.bytes.count)

            r = try await signedGet("/_matrix/federation/v1/media/thumbnail/\(png)?width=96&height=96&method=crop")
            parts = multipartParts(r.bytes, contentType: r.headers[.contentType])
            #expect(r.status == .ok && parts.count == 2 && parts.last?.headers["content-type"] == "image/png")
            #expect(imageDimensions(parts.last?.body ?? []).map { [$0.width, $0.height] } == [96, 96])

            r = try await signedGet("/_matrix/federation/v1/media/download/nosuchmedia")
            #expect(r.status == .notFound && r.json["errcode"] == "M_NOT_FOUND")
            r = try await signedGet("/_matrix/federation/v1/media/download/..%2Fx")
            #expect(r.status == .badRequest && r.json["errcode"] == "M_INVALID_PARAM")
            // Unsigned: refused.
            r = try await a.media(.get, "/_matrix/federation/v1/media/download/\(id)")
            #expect(r.status == .unauthorized && r.json["errcode"] == "M_UNAUTHORIZED")
        }
        try await pair.close()
    }
}
