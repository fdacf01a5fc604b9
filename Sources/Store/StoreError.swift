/// Errors raised by the store itself (SQLite errors pass through as GRDB's `DatabaseError`).
public enum StoreError: Error, Sendable, Equatable {
    /// The write lane was closed; the write was not attempted.
    case closed
    /// The file was migrated by a newer Apus: this binary does not know every applied migration,
    /// so it must not touch the schema.
    case unknownMigrations([String])
    /// A signing key ID is already recorded with a different public key.
    case signingKeyConflict(keyID: String)
    /// A row with this key exists already (e.g. a taken user ID).
    case alreadyExists(String)
    /// A row the operation depends on is missing (e.g. a state event not stored yet).
    case notFound(String)
    /// Syncing the WAL after a commit failed (the errno): the commit may not survive a power loss.
    case walSync(Int32)
    /// SQLite rolled back the write lane's transaction after an error: nothing of the batch was
    /// kept, and its remaining writes were not run.
    case transactionAborted
}
