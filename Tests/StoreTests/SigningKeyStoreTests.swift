import Store
import Testing

@Suite struct SigningKeyStoreTests {
    @Test func firstKeyHasNoHistory() async throws {
        try await withTemporaryDatabase { database, _ in
            let old = try await database.recordCurrentSigningKey(keyID: "ed25519:a", publicKey: "PKA", now: 1_000)
            #expect(old.isEmpty)
            // Recording the same key again (every start-up) changes nothing.
            #expect(try await database.recordCurrentSigningKey(keyID: "ed25519:a", publicKey: "PKA", now: 2_000).isEmpty)
        }
    }

    @Test func rotationExpiresPreviousKeys() async throws {
        try await withTemporaryDatabase { database, _ in
            _ = try await database.recordCurrentSigningKey(keyID: "ed25519:a", publicKey: "PKA", now: 1_000)
            let afterB = try await database.recordCurrentSigningKey(keyID: "ed25519:b", publicKey: "PKB", now: 2_000)
            #expect(afterB == [OldSigningKey(keyID: "ed25519:a", publicKey: "PKA", expiredTS: 2_000)])

            let afterC = try await database.recordCurrentSigningKey(keyID: "ed25519:c", publicKey: "PKC", now: 3_000)
            #expect(afterC == [
                OldSigningKey(keyID: "ed25519:a", publicKey: "PKA", expiredTS: 2_000),
                OldSigningKey(keyID: "ed25519:b", publicKey: "PKB", expiredTS: 3_000),
            ])
            // Re-recording the current key keeps the expiry times of the old ones.
            let again = try await database.recordCurrentSigningKey(keyID: "ed25519:c", publicKey: "PKC", now: 4_000)
            #expect(again == afterC)
            #expect(try await database.oldSigningKeys() == afterC)
        }
    }

    @Test func returningToAnOldKeyMakesItCurrent() async throws {
        try await withTemporaryDatabase { database, _ in
            _ = try await database.recordCurrentSigningKey(keyID: "ed25519:a", publicKey: "PKA", now: 1_000)
            _ = try await database.recordCurrentSigningKey(keyID: "ed25519:b", publicKey: "PKB", now: 2_000)
            let old = try await database.recordCurrentSigningKey(keyID: "ed25519:a", publicKey: "PKA", now: 3_000)
            #expect(old == [OldSigningKey(keyID: "ed25519:b", publicKey: "PKB", expiredTS: 3_000)])
        }
    }

    @Test func sameKeyIDWithAnotherKeyIsRefused() async throws {
        try await withTemporaryDatabase { database, _ in
            _ = try await database.recordCurrentSigningKey(keyID: "ed25519:a", publicKey: "PKA", now: 1_000)
            await #expect(throws: StoreError.signingKeyConflict(keyID: "ed25519:a")) {
                try await database.recordCurrentSigningKey(keyID: "ed25519:a", publicKey: "OTHER", now: 2_000)
            }
            #expect(try await database.oldSigningKeys().isEmpty)
        }
    }
}
