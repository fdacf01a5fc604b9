import ApusConfig
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import MatrixProtocol
import Outbound
import Synchronization
import Testing

private let base = "/_matrix/client/v3"

/// A push gateway on 127.0.0.1: records each notify body and answers as `answer` says.
final class TestGateway: Sendable {
    enum Answer: Sendable { case ok, reject, fail }
    let received = Mutex<[JSONObject]>([])
    /// The answer to the request with this index (0-based); `.ok` past the end.
    let script: [Answer]
    let attempts = Mutex(0)

    init(_ script: [Answer] = []) { self.script = script }

    var notifications: [JSONObject] { received.withLock { $0 } }

    func serve(_ body: @Sendable (_ url: String) async throws -> Void) async throws {
        let router = Router()
        router.post("/_matrix/push/v1/notify") { request, _ in
            let bytes = Array(try await request.body.collect(upTo: 1 << 20).readableBytesView)
            let attempt = self.attempts.withLock { count in defer { count += 1 }; return count }
            let answer = attempt < self.script.count ? self.script[attempt] : .ok
            guard answer != .fail else { return Response(status: .internalServerError) }
            let json = (try? JSONParser.parseObject(bytes)) ?? [:]
            self.received.withLock { $0.append(json) }
            var rejected: [JSONValue] = []
            if answer == .reject, let key = json["notification"]?["devices"]?.arrayValue?.first?["pushkey"] { rejected = [key] }
            return Response(status: .ok, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(bytes: JSONValue.object(["rejected": .array(rejected)]).encodedBytes())))
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              logger: Logger(label: "test-gateway"))
        try await app.test(.live) { client in try await body("http://127.0.0.1:\(client.port!)/_matrix/push/v1/notify") }
    }
}

/// Waits until `condition` holds (or 10 s passed); returns whether it held.
func eventually(_ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + .seconds(10)
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}

private func setPusher(_ client: some TestClientProtocol, token: String, pushkey: String, url: String,
                       extra: JSONObject = [:]) async throws {
    var data: JSONObject = ["url": .string(url)]
    for (key, value) in extra { data[key] = value }
    let r = try await client.call(.post, "\(base)/pushers/set", token: token, body: [
        "kind": "http", "app_id": "org.example.app", "pushkey": .string(pushkey), "app_display_name": "App",
        "device_display_name": "Phone", "lang": "en", "data": .object(data),
    ])
    #expect(r.status == .ok, "pushers/set: \(r.json)")
}

@Suite struct PushGatewayTests {
    /// Two users in a room, a pusher each, the push sender running.
    private func withRoom(_ gateway: TestGateway, format: String? = nil,
                          _ body: @Sendable (_ client: any TestClientProtocol, _ room: String, _ alice: String, _ bob: String,
                                             _ hs: TestHomeserver) async throws -> Void) async throws {
        let hs = try await TestHomeserver.make(configure: previewsOnLoopback)
        let sender = Task { await hs.homeserver.pushSender.run(initialBackoff: .milliseconds(50)) }
        try await gateway.serve { url in
            try await hs.test { client in
                let alice = try await registerUser(client, "alice"), bob = try await registerUser(client, "bob")
                let room = try await createRoom(client, token: alice.token, ["preset": "public_chat", "name": "Mission Control"])
                try await RoomClient(client: client).join(bob.token, room)
                let extra: JSONObject = format.map { ["format": .string($0)] } ?? ["custom": 1]
                try await setPusher(client, token: alice.token, pushkey: "alice-key", url: url, extra: extra)
                try await setPusher(client, token: bob.token, pushkey: "bob-key", url: url, extra: extra)
                try await body(client, room, alice.token, bob.token, hs)
            }
        }
        sender.cancel()
        await sender.value
        try await hs.close()
    }

    @Test func deliversNotificationsToTheRecipientsGateway() async throws {
        let gateway = TestGateway()
        try await withRoom(gateway) { client, room, alice, bob, _ in
            let rc = RoomClient(client: client)
            let hello = try await rc.text(alice, room, "hello")
            #expect(await eventually { gateway.notifications.count == 1 })
            let notification = try #require(gateway.notifications.first?["notification"]?.objectValue)
            #expect(notification["event_id"] == .string(hello))
            #expect(notification["room_id"] == .string(room))
            #expect(notification["type"] == "m.room.message")
            #expect(notification["sender"] == "@alice:localhost")
            #expect(notification["content"]?["body"] == "hello")
            #expect(notification["room_name"] == "Mission Control")
            #expect(notification["counts"] == ["unread": 1])
            // Two members: the one-to-one rule, with a sound, so high priority.
            #expect(notification["prio"] == "high")
            let device = try #require(notification["devices"]?.arrayValue?.first?.objectValue)
            #expect(device["app_id"] == "org.example.app" && device["pushkey"] == "bob-key")
            #expect(device["pushkey_ts"] == .int(TestHomeserver.now / 1000))
            #expect(device["data"] == ["custom": 1])  // without the url
            #expect(device["tweaks"] == ["sound": "default"])

            // dont_notify: no push. The pusher's user is never told of its own events either.
            let rules = "\(base)/pushrules/global/room/\(room.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)"
            #expect(try await client.call(.put, rules, token: bob, body: ["actions": ["dont_notify"]]).status == .ok)
            _ = try await rc.text(alice, room, "quiet")
            #expect(try await client.call(.delete, rules, token: bob).status == .ok)
            let loud = try await rc.text(alice, room, "loud")
            #expect(await eventually { gateway.notifications.count == 2 })
            try await Task.sleep(for: .milliseconds(200))
            let sent = gateway.notifications.compactMap { $0["notification"]?["event_id"]?.stringValue }
            #expect(sent == [hello, loud])
            #expect(gateway.notifications.allSatisfy { $0["notification"]?["devices"]?.arrayValue?.first?["pushkey"] == "bob-key" })
            #expect(gateway.notifications.last?["notification"]?["counts"] == ["unread": 2])
        }
    }

    @Test func eventIDOnlyFormatSendsNoContent() async throws {
        let gateway = TestGateway()
        try await withRoom(gateway, format: "event_id_only") { client, room, alice, _, _ in
            let hello = try await RoomClient(client: client).text(alice, room, "secret words")
            #expect(await eventually { gateway.notifications.count == 1 })
            let notification = try #require(gateway.notifications.first?["notification"]?.objectValue)
            #expect(Set(notification.keys) == ["event_id", "room_id", "counts", "prio", "devices"])
            #expect(notification["event_id"] == .string(hello))
            #expect(notification["devices"]?.arrayValue?.first?["data"] == ["format": "event_id_only"])
        }
    }

    @Test func aRejectedPushkeyRemovesThePusher() async throws {
        let gateway = TestGateway([.reject])
        try await withRoom(gateway) { client, room, alice, bob, _ in
            _ = try await RoomClient(client: client).text(alice, room, "hello")
            #expect(try await eventually {
                try await client.call(.get, "\(base)/pushers", token: bob).json["pushers"]?.arrayValue?.isEmpty == true
            })
            // Alice's pusher stays.
            #expect(try await client.call(.get, "\(base)/pushers", token: alice).json["pushers"]?.arrayValue?.count == 1)
        }
    }

    @Test func aFailingGatewayIsRetried() async throws {
        let gateway = TestGateway([.fail, .fail])
        try await withRoom(gateway) { client, room, alice, _, hs in
            let rc = RoomClient(client: client)
            let first = try await rc.text(alice, room, "first")
            let second = try await rc.text(alice, room, "second")
            #expect(await eventually { gateway.notifications.count == 2 })
            #expect(gateway.attempts.withLock { $0 } == 4)
            // In order, each once, and the pusher's position moved past both.
            #expect(gateway.notifications.compactMap { $0["notification"]?["event_id"]?.stringValue } == [first, second])
            let position = try await hs.homeserver.database.currentStreamPosition()
            #expect(try await eventually {
                try await hs.homeserver.database.pushers(of: "@bob:localhost").first?.lastStreamOrdering == position
            })
        }
    }
}
