import Foundation
import Hummingbird
import HummingbirdTesting
import MatrixProtocol
import Testing

private let base = e2eeBase

/// `device_lists`, `device_one_time_keys_count` and `device_unused_fallback_key_types` in `/sync`.
@Suite struct DeviceListSyncTests {
    @Test func initialSyncCarriesKeyCountsButNoDeviceLists() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await E2EEDevice.register(client, "alice")
            try await alice.upload(client, oneTimeKeyIDs: ["A", "B"])
            let sync = try await alice.sync(client)
            #expect(sync["device_one_time_keys_count"] == ["signed_curve25519": 2])
            #expect(sync["device_unused_fallback_key_types"] == [])
            #expect(sync.changedDeviceLists.isEmpty && sync.leftDeviceLists.isEmpty)
            // The token grew two streams; an old five-field token still parses.
            #expect(sync.nextBatch.split(separator: "_").count == 7)
            var r = try await client.call(.get, "\(base)/sync?since=s0_0_0_0_0&timeout=0", token: alice.token)
            #expect(r.status == .ok)
            r = try await client.call(.get, "\(base)/sync?since=s1_2_3_4_5_6_7_8&timeout=0", token: alice.token)
            #expect(r.status == .badRequest && r.json["errcode"] == "M_INVALID_PARAM")
        }
        try await hs.close()
    }

    @Test func keyChangesOfRoomMatesAreListed() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await E2EEDevice.register(client, "alice"), bob = try await E2EEDevice.register(client, "bob")
            let stranger = try await E2EEDevice.register(client, "stranger")
            let room = try await createRoom(client, token: alice.token, ["invite": [.string(bob.userID)]])
            _ = try await client.call(.post, "\(base)/join/\(enc(room))", token: bob.token, body: [:])
            let since = try await alice.sync(client).nextBatch
            // A long-poll wakes when a room mate uploads keys.
            let started = ContinuousClock.now
            async let polled = alice.sync(client, since: since, timeout: 20_000)
            try await Task.sleep(for: .milliseconds(200))
            try await stranger.upload(client)  // no room in common: must not end the poll by itself
            try await bob.upload(client)
            let sync = try await polled
            #expect(ContinuousClock.now - started < .seconds(10))
            #expect(sync.changedDeviceLists == [bob.userID])
            // Nothing more since then.
            let quiet = try await alice.sync(client, since: sync.nextBatch)
            #expect(quiet.changedDeviceLists.isEmpty)
            // A new device of bob's, and then its deletion, are changes too.
            let bob2 = try await bob.login(client)
            try await bob2.upload(client)
            var next = try await alice.sync(client, since: quiet.nextBatch)
            #expect(next.changedDeviceLists == [bob.userID])
            let challenge = try await client.call(.delete, "\(base)/devices/\(bob2.deviceID)", token: bob.token, body: [:])
            let session = try #require(challenge.json["session"]?.stringValue)
            let deleted = try await client.call(.delete, "\(base)/devices/\(bob2.deviceID)", token: bob.token, body: [
                "auth": ["type": "m.login.password", "identifier": ["type": "m.id.user", "user": .string(bob.userID)],
                         "password": .string(bob.password), "session": .string(session)]])
            #expect(deleted.status == .ok)
            next = try await alice.sync(client, since: next.nextBatch)
            #expect(next.changedDeviceLists == [bob.userID])
            // Alice's own other devices hear of her own changes.
            let alice2 = try await alice.login(client)
            try await alice2.upload(client)
            next = try await alice.sync(client, since: next.nextBatch)
            #expect(next.changedDeviceLists == [alice.userID])
        }
        try await hs.close()
    }

    @Test func joiningAndLeavingRoomMates() async throws {
        let hs = try await TestHomeserver.make(configure: openRegistration)
        try await hs.test { client in
            let alice = try await E2EEDevice.register(client, "alice"), carol = try await E2EEDevice.register(client, "carol")
            let dave = try await E2EEDevice.register(client, "dave")
            let room = try await createRoom(client, token: alice.token, ["preset": "public_chat"])
            let other = try await createRoom(client, token: alice.token, ["preset": "public_chat"])
            var since = try await alice.sync(client).nextBatch
            _ = try await client.call(.post, "\(base)/join/\(enc(room))", token: carol.token, body: [:])
            var sync = try await alice.sync(client, since: since)
            #expect(sync.changedDeviceLists == [carol.userID])  // a new room mate: refresh their devices
            #expect(sync.leftDeviceLists.isEmpty)
            since = sync.nextBatch

            // Carol also joins another shared room, then leaves the first: still sharing one.
            _ = try await client.call(.post, "\(base)/join/\(enc(other))", token: carol.token, body: [:])
            since = try await alice.sync(client, since: since).nextBatch
            _ = try await client.call(.post, "\(base)/rooms/\(enc(room))/leave", token: carol.token, body: [:])
            sync = try await alice.sync(client, since: since)
            #expect(sync.leftDeviceLists.isEmpty)
            since = sync.nextBatch
            _ = try await client.call(.post, "\(base)/rooms/\(enc(other))/leave", token: carol.token, body: [:])
            sync = try await alice.sync(client, since: since)
            #expect(sync.leftDeviceLists == [carol.userID])
            since = sync.nextBatch
            // No longer sharing a room: carol's key changes are not alice's business.
            try await carol.upload(client)
            #expect(try await alice.sync(client, since: since).changedDeviceLists.isEmpty)

            // When alice herself joins a room, its members are new to her; when she leaves, they are gone.
            let daves = try await createRoom(client, token: dave.token, ["preset": "public_chat"])
            since = try await alice.sync(client).nextBatch
            _ = try await client.call(.post, "\(base)/join/\(enc(daves))", token: alice.token, body: [:])
            sync = try await alice.sync(client, since: since)
            #expect(sync.changedDeviceLists == [dave.userID])
            _ = try await client.call(.post, "\(base)/rooms/\(enc(daves))/leave", token: alice.token, body: [:])
            sync = try await alice.sync(client, since: sync.nextBatch)
            #expect(sync.leftDeviceLists == [dave.userID])
            // What happens in a room she left long ago is none of her clients' concern.
            _ = try await client.call(.post, "\(base)/join/\(enc(daves))", token: carol.token, body: [:])
            sync = try await alice.sync(client, since: sync.nextBatch)
            #expect(sync.leftDeviceLists.isEmpty && sync.changedDeviceLists.isEmpty)
        }
        try await hs.close()
    }
}
