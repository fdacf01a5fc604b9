import Foundation
import GRDB
import Store
import Testing

/// Sessions are served from memory between commits that change them; every such commit, from
/// any code path (here even raw SQL), makes the next lookup read the database again.
@Suite struct SessionCacheTests {
    @Test func changesToTokensDevicesAndUsersAreSeenAtOnce() async throws {
        try await withTemporaryDatabase { database, _ in
            try await database.createUser(userID: "@a:test", localpart: "a", passwordHash: nil, now: 1)
            let token: [UInt8] = Array(repeating: 7, count: 32)
            try await database.createSession(NewSession(userID: "@a:test", deviceID: "D1", initialDisplayName: nil,
                                                        accessTokenHash: token, refreshTokenHash: nil, expiresTS: nil, now: 1))
            #expect(try await database.session(accessTokenHash: token)?.deviceID == "D1")
            #expect(try await database.session(accessTokenHash: token)?.isAdmin == false)  // served from memory

            try await database.writer.write { db in try db.execute(sql: "UPDATE users SET is_admin = 1 WHERE user_id = '@a:test'") }
            #expect(try await database.session(accessTokenHash: token)?.isAdmin == true)

            // Unrelated writes keep what is known; the answer stays the same either way.
            try await database.writer.write { db in
                try db.execute(sql: "INSERT INTO local_signing_keys VALUES ('ed25519:x', 'pk', 1, NULL)")
            }
            #expect(try await database.session(accessTokenHash: token)?.isAdmin == true)

            let other: [UInt8] = Array(repeating: 8, count: 32)
            try await database.createSession(NewSession(userID: "@a:test", deviceID: "D2", initialDisplayName: nil,
                                                        accessTokenHash: other, refreshTokenHash: nil, expiresTS: nil, now: 1))
            #expect(try await database.session(accessTokenHash: other)?.deviceID == "D2")
            try await database.deleteDevices(["D1"], of: "@a:test")
            #expect(try await database.session(accessTokenHash: token) == nil)
            #expect(try await database.session(accessTokenHash: other)?.deviceID == "D2")

            try await database.deactivateUser("@a:test")
            #expect(try await database.session(accessTokenHash: other) == nil)
        }
    }
}
