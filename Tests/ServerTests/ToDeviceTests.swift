import Foundation
import Hummingbird
import HummingbirdTesting
import MatrixProtocol
import Testing

private let base = e2eeBase

/// `PUT /sendToDevice` and the to-device part of `/sync`.
@Suite struct ToDeviceTests {
    func send(_ client: some TestClientProtocol, from sender: E2EEDevice, txn: String, type: String = "m.test",
              _ messages: JSONObject) async throws -> (status: HTTPResponse.Status, json: JSONObject) {
        try await client.call(.put, "\(base)/sendToDevice/\(type)/\(txn)", token: sender.token, body: ["messages": .object(messages)])
    }

    @Test func deliveredUntilAcknowledged() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await E2EEDevice.register(client, "alice"), bob = try await E2EEDevice.register(client, "bob")
            var r = try await send(client, from: alice, txn: "t1", [bob.userID: [bob.deviceID: ["n": 1]]])
            #expect(r.status == .ok && r.json.isEmpty)
            r = try await send(client, from: alice, txn: "t2", [bob.userID: [bob.deviceID: ["n": 2]]])
            var sync = try await bob.sync(client)
            #expect(sync.toDeviceEvents == [["sender": .string(alice.userID), "type": "m.test", "content": ["n": 1]],
                                            ["sender": .string(alice.userID), "type": "m.test", "content": ["n": 2]]])
            // Not acknowledged yet: an initial sync (or a retry from an older token) gets them again.
            sync = try await bob.sync(client)
            #expect(sync.toDeviceEvents.count == 2)
            // Syncing from the token past them acknowledges and deletes them.
            let acked = try await bob.sync(client, since: sync.nextBatch)
            #expect(acked.toDeviceEvents.isEmpty)
            #expect(try await bob.sync(client).toDeviceEvents.isEmpty)
            #expect(try await alice.sync(client).toDeviceEvents.isEmpty)  // never the sender's
        }
        try await hs.close()
    }

    @Test func idempotentPerDeviceAndTransaction() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await E2EEDevice.register(client, "alice"), bob = try await E2EEDevice.register(client, "bob")
            let alice2 = try await alice.login(client)
            for _ in 0..<3 { _ = try await send(client, from: alice, txn: "same", [bob.userID: [bob.deviceID: ["from": 1]]]) }
            // The same transaction ID from another device is another request.
            _ = try await send(client, from: alice2, txn: "same", [bob.userID: [bob.deviceID: ["from": 2]]])
            let events = try await bob.sync(client).toDeviceEvents
            #expect(events.map { $0["content"]?["from"] } == [1, 2])
        }
        try await hs.close()
    }

    @Test func wildcardReachesEveryDevice() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await E2EEDevice.register(client, "alice"), bob = try await E2EEDevice.register(client, "bob")
            let bob2 = try await bob.login(client)
            let r = try await send(client, from: alice, txn: "w", [bob.userID: ["*": ["all": true]], "@carol:remote.example": ["D": ["x": 1]]])
            #expect(r.status == .ok)  // remote recipients are not an error (federation delivers them later)
            #expect(try await bob.sync(client).toDeviceEvents.count == 1)
            #expect(try await bob2.sync(client).toDeviceEvents.count == 1)
            _ = try await send(client, from: alice, txn: "u", [bob.userID: ["NOSUCHDEVICE": ["x": 1]]])
            #expect(try await bob.sync(client).toDeviceEvents.count == 1)  // still only the first
        }
        try await hs.close()
    }

    @Test func badRequests() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await E2EEDevice.register(client, "alice")
            var r = try await client.call(.put, "\(base)/sendToDevice/m.test/1", token: alice.token, body: [:])
            #expect(r.status == .badRequest && r.json["errcode"] == "M_MISSING_PARAM")
            r = try await client.call(.put, "\(base)/sendToDevice/m.test/2", token: alice.token, body: ["messages": "x"])
            #expect(r.json["errcode"] == "M_BAD_JSON")
            r = try await send(client, from: alice, txn: "3", ["not-a-user": ["D": [:]]])
            #expect(r.status == .badRequest && r.json["errcode"] == "M_INVALID_PARAM")
            r = try await send(client, from: alice, txn: "4", [alice.userID: ["D": "text"]])
            #expect(r.json["errcode"] == "M_BAD_JSON")
            r = try await client.call(.put, "\(base)/sendToDevice/m.test/5", body: ["messages": [:]])
            #expect(r.status == .unauthorized)
        }
        try await hs.close()
    }

    @Test func atMostAHundredPerSync() async throws {
        let hs = try await TestHomeserver.make { config in
            config.registration.enabled = true
            config.rateLimits.enabled = false  // 150 sends in a burst
        }
        try await hs.test { client in
            let alice = try await E2EEDevice.register(client, "alice"), bob = try await E2EEDevice.register(client, "bob")
            for n in 0..<150 {
                let r = try await send(client, from: alice, txn: "m\(n)", [bob.userID: [bob.deviceID: ["n": .int(Int64(n))]]])
                #expect(r.status == .ok)
            }
            let first = try await bob.sync(client)
            #expect(first.toDeviceEvents.count == 100)
            #expect(first.toDeviceEvents.first?["content"]?["n"] == 0)
            let second = try await bob.sync(client, since: first.nextBatch)
            #expect(second.toDeviceEvents.map { $0["content"]?["n"]?.intValue ?? -1 } == Array(100..<150))
            let third = try await bob.sync(client, since: second.nextBatch)
            #expect(third.toDeviceEvents.isEmpty)
        }
        try await hs.close()
    }

    @Test func longPollWakesForToDevice() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await E2EEDevice.register(client, "alice"), bob = try await E2EEDevice.register(client, "bob")
            let since = try await bob.sync(client).nextBatch
            let started = ContinuousClock.now
            async let polled = bob.sync(client, since: since, timeout: 20_000)
            try await Task.sleep(for: .milliseconds(200))
            _ = try await send(client, from: alice, txn: "wake", [bob.userID: [bob.deviceID: ["wake": true]]])
            let sync = try await polled
            #expect(ContinuousClock.now - started < .seconds(10))
            #expect(sync.toDeviceEvents.first?["content"]?["wake"] == true)
        }
        try await hs.close()
    }

    @Test func deletingADeviceDropsItsInboxAndKeys() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await E2EEDevice.register(client, "alice"), bob = try await E2EEDevice.register(client, "bob")
            let bob2 = try await bob.login(client, deviceID: "BOBTWO")
            try await bob2.upload(client, oneTimeKeyIDs: ["K"])
            _ = try await send(client, from: alice, txn: "x", [bob.userID: ["BOBTWO": ["lost": true]]])
            _ = try await client.call(.post, "\(base)/logout", token: bob2.token, body: [:])
            let again = try await bob.login(client, deviceID: "BOBTWO")
            let sync = try await again.sync(client)
            #expect(sync.toDeviceEvents.isEmpty)
            #expect(sync["device_one_time_keys_count"]?["signed_curve25519"] == 0)
            let q = try await client.call(.post, "\(base)/keys/query", token: alice.token, body: ["device_keys": [bob.userID: ["BOBTWO"]]])
            #expect(q.json["device_keys"]?[bob.userID]?.objectValue?.isEmpty == true)
            // Its keys are gone, so new identity keys are welcome.
            try await again.upload(client)
        }
        try await hs.close()
    }
}
