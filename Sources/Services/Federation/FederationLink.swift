import Synchronization

/// The federation services as seen from `Rooms`, which exists before them (they are built on
/// the rooms): set once at start-up.
final class FederationLink: Sendable {
    private let value = Mutex<Federation?>(nil)

    func set(_ federation: Federation) { value.withLock { $0 = federation } }

    /// The federation services, or an error saying federation is not available.
    func get() throws -> Federation {
        guard let federation = value.withLock({ $0 }), federation.enabled else {
            throw MatrixError.forbidden("Federation is disabled on this server")
        }
        return federation
    }
}

import MatrixProtocol
