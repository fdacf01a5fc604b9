import Dispatch
import Sodium

/// argon2id off the cooperative thread pool: a hash takes milliseconds of CPU and 19 MiB, which
/// must not stall the threads serving other requests. One hash at a time, so concurrent logins
/// queue instead of multiplying the memory.
public struct PasswordHasher: Sendable {
    public let cost: PasswordHash.Cost
    private static let queue = DispatchQueue(label: "apus.password-hashing")

    public init(cost: PasswordHash.Cost) { self.cost = cost }

    public func hash(_ password: String) async throws -> String {
        let cost = self.cost
        return try await withCheckedThrowingContinuation { continuation in
            Self.queue.async { continuation.resume(with: Result { try PasswordHash.hash(password, cost: cost) }) }
        }
    }

    public func verify(_ password: String, hash: String) async -> Bool {
        await withCheckedContinuation { continuation in
            Self.queue.async { continuation.resume(returning: PasswordHash.verify(password, hash: hash)) }
        }
    }
}
