import GRDB
import GRDBSQLite
import MatrixProtocol

/// Runs a cached statement with its values bound straight through SQLite's C API. A statement
/// of hundreds of parameters (the push rows of a big room's message) costs a boxed value per
/// parameter through `StatementArguments`, more than SQLite spends writing the row; so do the
/// few statements per event that storing a join's tens of thousands of events runs.
struct DirectBinding {
    private let statement: SQLiteStatement
    private var index: Int32 = 1
    /// The first bind that failed (a value too big, say), reported by `run`.
    private var failure: Int32 = SQLITE_OK
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    init(_ statement: Statement) {
        self.statement = statement.sqliteStatement
        sqlite3_reset(self.statement)
        sqlite3_clear_bindings(self.statement)
    }

    private mutating func check(_ code: Int32) {
        if code != SQLITE_OK, failure == SQLITE_OK { failure = code }
        index += 1
    }

    mutating func bind(_ value: Int64) { check(sqlite3_bind_int64(statement, index, value)) }

    mutating func bind(_ value: Bool) { bind(value ? 1 : 0 as Int64) }

    mutating func bind(_ value: String) { check(sqlite3_bind_text(statement, index, value, -1, Self.transient)) }

    mutating func bind(_ value: Int64?) {
        if let value { bind(value) } else { check(sqlite3_bind_null(statement, index)) }
    }

    mutating func bind(_ value: String?) {
        if let value { bind(value) } else { check(sqlite3_bind_null(statement, index)) }
    }

    mutating func bind(blob: [UInt8]) {
        let code = blob.withUnsafeBytes { bytes in
            if let base = bytes.baseAddress {
                sqlite3_bind_blob(statement, index, base, Int32(bytes.count), Self.transient)
            } else {
                sqlite3_bind_zeroblob(statement, index, 0)
            }
        }
        check(code)
    }

    /// Steps the statement to its end (it must not return rows), then lets go of the bound values.
    func run(_ db: GRDB.Database) throws {
        defer { sqlite3_reset(statement); sqlite3_clear_bindings(statement) }
        // Every write goes through the write lane's transaction: a write in autocommit mode
        // means SQLite rolled that transaction back, and running it would commit it alone.
        // (GRDB guards the statements it runs itself the same way.)
        if sqlite3_stmt_readonly(statement) == 0, let connection = db.sqliteConnection, sqlite3_get_autocommit(connection) != 0 {
            throw DatabaseError(resultCode: .SQLITE_ABORT, message: "Transaction was aborted")
        }
        let code = failure == SQLITE_OK ? sqlite3_step(statement) : failure
        guard code == SQLITE_DONE else { throw error(code, db) }
    }

    /// The first column of the first row as an integer: nil when there is no row or it is NULL.
    func int64(_ db: GRDB.Database) throws -> Int64? {
        defer { sqlite3_reset(statement); sqlite3_clear_bindings(statement) }
        let code = failure == SQLITE_OK ? sqlite3_step(statement) : failure
        switch code {
        case SQLITE_ROW: return sqlite3_column_type(statement, 0) == SQLITE_NULL ? nil : sqlite3_column_int64(statement, 0)
        case SQLITE_DONE: return nil
        default: throw error(code, db)
        }
    }

    /// The first two columns of the first row (NULL read as 0), or nil when there is no row.
    func int64Pair(_ db: GRDB.Database) throws -> (Int64, Int64)? {
        defer { sqlite3_reset(statement); sqlite3_clear_bindings(statement) }
        let code = failure == SQLITE_OK ? sqlite3_step(statement) : failure
        switch code {
        case SQLITE_ROW: return (sqlite3_column_int64(statement, 0), sqlite3_column_int64(statement, 1))
        case SQLITE_DONE: return nil
        default: throw error(code, db)
        }
    }

    private func error(_ code: Int32, _ db: GRDB.Database) -> DatabaseError {
        DatabaseError(resultCode: ResultCode(rawValue: code), message: db.lastErrorMessage, sql: String(cString: sqlite3_sql(statement)))
    }
}

extension DirectBinding {
    /// The columns every `events` insert starts with, in this order: event_id, room_nid, type,
    /// state_key_nid, sender, depth, origin_server_ts.
    mutating func bindEventColumns(_ pdu: PDU, room: RoomRecord, stateKeyNID: Int64?) {
        bind(pdu.eventID)
        bind(room.nid)
        bind(pdu.type)
        bind(stateKeyNID)
        bind(pdu.sender)
        bind(pdu.depth)
        bind(pdu.originServerTS)
    }
}
