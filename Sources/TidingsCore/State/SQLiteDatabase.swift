import CSQLite
import Foundation

/// One SQLite connection: open, run statements, close. A thin, safe layer over the C library
/// (loaded on demand through CSQLite): statements are prepared, bound and finalized inside one
/// call, so no statement outlives it, and every failure is a `SQLiteError` carrying
/// `sqlite3_errmsg`. Not thread-safe by itself: `SQLiteStateStore` serializes its use.
package final class SQLiteDatabase {
    /// A value bound to a `?` or read from a column.
    package enum Value: Sendable, Hashable {
        /// SQL NULL.
        case null
        /// A 64-bit integer.
        case integer(Int64)
        /// UTF-8 text.
        case text(String)

        /// The integer, nil for any other kind.
        package var integer: Int64? {
            if case .integer(let value) = self { return value }
            return nil
        }

        /// The text, nil for any other kind.
        package var text: String? {
            if case .text(let value) = self { return value }
            return nil
        }
    }

    private let handle: OpaquePointer
    /// The database file's path.
    package let path: String

    /// Opens (creating it if needed) the database at `path`, with `busyTimeout` milliseconds of
    /// waiting for another connection's lock before SQLITE_BUSY. Throws `SQLiteError` when
    /// libsqlite3 cannot be loaded or the file cannot be opened.
    package init(path: String, busyTimeout: Int32 = 5_000) throws(SQLiteError) {
        if let message = csqlite_load() {
            throw SQLiteError(code: -1, operation: "load", message: String(cString: message))
        }
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let code = csqlite_open(path, &handle, flags)
        guard code == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: csqlite_errmsg($0)) } ?? String(cString: csqlite_errstr(code))
            if let handle { csqlite_close(handle) }
            throw SQLiteError(code: code, operation: "open \(path)", message: message)
        }
        self.handle = handle
        self.path = path
        csqlite_busy_timeout(handle, busyTimeout)
    }

    deinit { csqlite_close(handle) }

    /// The loaded library's version ("3.40.1").
    package static var libraryVersion: String? {
        csqlite_load() == nil ? String(cString: csqlite_libversion()) : nil
    }

    /// Runs `sql`, one or more statements without parameters or results (PRAGMA, CREATE, BEGIN).
    package func execute(_ sql: String) throws(SQLiteError) {
        let code = csqlite_exec(handle, sql)
        guard code == SQLITE_OK else { throw error(code, "exec \(sql.prefix(40))") }
    }

    /// Runs one statement with `parameters` bound to its `?`s in order and returns its rows, each
    /// a list of column values. Throws `SQLiteError` (SQLITE_BUSY once the busy timeout passed).
    @discardableResult
    package func query(_ sql: String, _ parameters: [Value] = []) throws(SQLiteError) -> [[Value]] {
        var statement: OpaquePointer?
        let prepared = csqlite_prepare(handle, sql, &statement)
        guard prepared == SQLITE_OK, let statement else { throw error(prepared, "prepare \(sql.prefix(40))") }
        defer { csqlite_finalize(statement) }
        for (offset, parameter) in parameters.enumerated() {
            let index = Int32(offset + 1)
            let code: Int32
            switch parameter {
            case .null: code = csqlite_bind_null(statement, index)
            case .integer(let value): code = csqlite_bind_int64(statement, index, value)
            case .text(let value):
                code = value.utf8CString.withUnsafeBufferPointer {
                    csqlite_bind_text(statement, index, $0.baseAddress, Int32($0.count - 1))
                }
            }
            guard code == SQLITE_OK else { throw error(code, "bind \(index)") }
        }
        var rows: [[Value]] = []
        while true {
            let code = csqlite_step(statement)
            if code == SQLITE_DONE { break }
            guard code == SQLITE_ROW else { throw error(code, "step \(sql.prefix(40))") }
            var row: [Value] = []
            for column in 0..<Int32(csqlite_column_count(statement)) {
                row.append(value(statement, column))
            }
            rows.append(row)
        }
        return rows
    }

    /// Rows changed by the last INSERT, UPDATE or DELETE.
    package var changes: Int { Int(csqlite_changes(handle)) }

    /// Runs `body` inside `BEGIN IMMEDIATE` ... `COMMIT`: the write lock is taken at the start, so
    /// two connections never both read and then both write; rolled back when `body` throws.
    package func immediateTransaction<Result>(_ body: () throws(SQLiteError) -> Result) throws(SQLiteError) -> Result {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    private func value(_ statement: OpaquePointer, _ column: Int32) -> Value {
        switch csqlite_column_type(statement, column) {
        case SQLITE_NULL: return .null
        case SQLITE_INTEGER: return .integer(csqlite_column_int64(statement, column))
        default:
            guard let text = csqlite_column_text(statement, column) else { return .null }
            let count = Int(csqlite_column_bytes(statement, column))
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self))
        }
    }

    private func error(_ code: Int32, _ operation: String) -> SQLiteError {
        SQLiteError(code: code, operation: operation, message: String(cString: csqlite_errmsg(handle)))
    }
}

/// A failed SQLite call: its result code, what was being done and `sqlite3_errmsg`'s text.
package struct SQLiteError: Error, Sendable, CustomStringConvertible {
    /// The primary or extended result code (SQLITE_BUSY is 5); -1 when the library did not load.
    package var code: Int32
    /// What was being done ("open PATH", "step INSERT INTO ...").
    package var operation: String
    /// SQLite's message.
    package var message: String

    /// Creates an error.
    package init(code: Int32, operation: String, message: String) {
        self.code = code
        self.operation = operation
        self.message = message
    }

    /// Whether another connection's lock outlasted the busy timeout (SQLITE_BUSY, SQLITE_LOCKED).
    package var isBusy: Bool { code & 0xff == SQLITE_BUSY || code & 0xff == SQLITE_LOCKED }

    /// "sqlite: OPERATION: MESSAGE (code N)".
    package var description: String { "sqlite: \(operation): \(message) (code \(code))" }
}
