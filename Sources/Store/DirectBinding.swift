import GRDB
import GRDBSQLite

/// Runs a cached statement with its values bound straight through SQLite's C API. A statement
/// of hundreds of parameters (the push rows of a big room's message) costs a boxed value per
/// parameter through `StatementArguments`, more than SQLite spends writing the row.
struct DirectBinding {
    private let statement: SQLiteStatement
    private var index: Int32 = 1
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    init(_ statement: Statement) {
        self.statement = statement.sqliteStatement
        sqlite3_reset(self.statement)
        sqlite3_clear_bindings(self.statement)
    }

    mutating func bind(_ value: Int64) {
        sqlite3_bind_int64(statement, index, value)
        index += 1
    }

    mutating func bind(_ value: Bool) { bind(value ? 1 : 0 as Int64) }

    mutating func bind(_ value: String) {
        sqlite3_bind_text(statement, index, value, -1, Self.transient)
        index += 1
    }

    mutating func bind(blob: [UInt8]) {
        blob.withUnsafeBytes { bytes in
            if let base = bytes.baseAddress {
                sqlite3_bind_blob(statement, index, base, Int32(bytes.count), Self.transient)
            } else {
                sqlite3_bind_zeroblob(statement, index, 0)
            }
        }
        index += 1
    }

    /// Steps the statement to its end (it must not return rows), then lets go of the bound values.
    func run(_ db: GRDB.Database) throws {
        defer { sqlite3_reset(statement); sqlite3_clear_bindings(statement) }
        let code = sqlite3_step(statement)
        guard code == SQLITE_DONE else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: db.lastErrorMessage,
                                sql: String(cString: sqlite3_sql(statement)))
        }
    }
}
