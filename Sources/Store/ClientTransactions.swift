import GRDB
import Synchronization

/// The client transactions of the last day (`PUT /send/{type}/{txnId}`, `/redact`), in memory:
/// which event each `(user, device, txnId)` produced, so that a retried request gets that event
/// back instead of a duplicate.
///
/// The event's own row keeps its device and transaction ID (`events.txn_device`, `txn_id`), which
/// is what the map is rebuilt from at start. A table keyed by the random transaction IDs cost a
/// b-tree page of its own per message sent; the event's row is written anyway.
public final class ClientTransactions: Sendable {
    /// How long a transaction ID is remembered, as Synapse does: a client retries a failed send
    /// within that time or not at all.
    public static let retentionMillis: Int64 = 24 * 3600 * 1000

    struct Key: Hashable {
        let userID: String
        let deviceID: String
        let txnID: String
    }

    private struct State {
        var eventIDs: [Key: String] = [:]
        /// Keys in the order they were remembered, with their time, for expiry.
        var order: [(key: Key, at: Int64)] = []
        var expired = 0
    }

    private let state = Mutex(State())

    init() {}

    /// The event a transaction already produced.
    public func eventID(userID: String, deviceID: String, txnID: String) -> String? {
        state.withLock { $0.eventIDs[Key(userID: userID, deviceID: deviceID, txnID: txnID)] }
    }

    /// Remembers a committed transaction; forgets those older than the retention.
    func remember(_ transaction: ClientTransaction, eventID: String) {
        let key = transaction.key
        state.withLock { state in
            // The first event stays the answer (two racing sends of one transaction ID).
            guard state.eventIDs[key] == nil else { return }
            state.eventIDs[key] = eventID
            state.order.append((key, transaction.now))
            let horizon = transaction.now - Self.retentionMillis
            while state.expired < state.order.count, state.order[state.expired].at < horizon {
                state.eventIDs[state.order[state.expired].key] = nil
                state.expired += 1
            }
            // Drop the expired prefix once it is half of the array, so that it stays bounded.
            if state.expired > 64 && state.expired * 2 > state.order.count {
                state.order.removeFirst(state.expired)
                state.expired = 0
            }
        }
    }

    /// Rebuilds the map from the events this server's clients sent within the retention before
    /// `now`, reading the timeline backwards: up to the first of them older than that, or, in a
    /// room busy with other servers' events, up to `scanLimit` events without a transaction.
    func load(_ db: GRDB.Database, now: Int64, scanLimit: Int = 200_000) throws {
        let rows = try Row.fetchCursor(db, sql: """
            SELECT sender, txn_device, txn_id, event_id, origin_server_ts FROM events
            WHERE stream_ordering IS NOT NULL ORDER BY stream_ordering DESC
            """)
        let horizon = now - Self.retentionMillis
        var found: [(ClientTransaction, String)] = []
        var others = 0
        while let row = try rows.next() {
            guard let deviceID: String = row["txn_device"], let txnID: String = row["txn_id"] else {
                // Other servers' timestamps are theirs: only the count of such events bounds the scan.
                others += 1
                if others > scanLimit { break }
                continue
            }
            let at: Int64 = row["origin_server_ts"]
            if at < horizon { break }
            found.append((ClientTransaction(userID: row["sender"], deviceID: deviceID, txnID: txnID, now: at), row["event_id"]))
        }
        for (transaction, eventID) in found.reversed() { remember(transaction, eventID: eventID) }
    }
}
