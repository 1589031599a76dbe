import Foundation
import GRDB
import GRDBSQLite

/// A prepared statement stepped with SQLite's own calls, on the paths that run once per task (writing records,
/// reading a snapshot), where building GRDB's argument and row values would cost more than the write itself.
/// Binding indices count from 1, as in SQLite. The statement belongs to a GRDB `Database`, which finalizes it.
struct SQLiteCall {
    /// SQLite's `SQLITE_TRANSIENT`: SQLite copies bound bytes before the call returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    let statement: OpaquePointer
    let connection: OpaquePointer

    /// The cached statement for `sql` on `db`.
    init(_ db: Database, _ sql: String) throws {
        statement = try db.cachedStatement(sql: sql).sqliteStatement
        connection = db.sqliteConnection!
    }

    func bind(_ index: Int32, _ value: Int64) {
        sqlite3_bind_int64(statement, index, value)
    }

    func bind(_ index: Int32, _ value: UInt64?) {
        if let value {
            sqlite3_bind_int64(statement, index, Int64(bitPattern: value))
        } else {
            sqlite3_bind_null(statement, index)
        }
    }

    func bind(_ index: Int32, _ value: Int?) {
        if let value {
            sqlite3_bind_int64(statement, index, Int64(value))
        } else {
            sqlite3_bind_null(statement, index)
        }
    }

    func bind(_ index: Int32, _ value: String?) {
        guard let value else {
            sqlite3_bind_null(statement, index)
            return
        }
        var text = value
        text.withUTF8 { bytes in
            guard let base = bytes.baseAddress else {
                _ = sqlite3_bind_text(statement, index, "", 0, Self.transient)
                return
            }
            _ = base.withMemoryRebound(to: CChar.self, capacity: bytes.count) { chars in
                sqlite3_bind_text(statement, index, chars, Int32(bytes.count), Self.transient)
            }
        }
    }

    func bind(_ index: Int32, _ value: [UInt8]) {
        value.withUnsafeBytes { bytes in
            if let base = bytes.baseAddress {
                _ = sqlite3_bind_blob(statement, index, base, Int32(bytes.count), Self.transient)
            } else {
                _ = sqlite3_bind_zeroblob(statement, index, 0)
            }
        }
    }

    /// Runs a statement that returns no rows, then resets it for the next use.
    func run() throws {
        let code = sqlite3_step(statement)
        sqlite3_reset(statement)
        guard code == SQLITE_DONE else { throw error(code) }
    }

    /// Steps a query: `true` with a row to read, `false` at its end (the statement is reset then).
    func next() throws -> Bool {
        let code = sqlite3_step(statement)
        if code == SQLITE_ROW { return true }
        sqlite3_reset(statement)
        guard code == SQLITE_DONE else { throw error(code) }
        return false
    }

    /// Resets the statement and clears its bindings, for a query left before its end.
    func reset() {
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
    }

    func int(_ column: Int32) -> Int64 { sqlite3_column_int64(statement, column) }

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(statement, column) == SQLITE_NULL }

    func optionalUInt(_ column: Int32) -> UInt64? {
        isNull(column) ? nil : UInt64(bitPattern: sqlite3_column_int64(statement, column))
    }

    func text(_ column: Int32) -> String? {
        guard let pointer = sqlite3_column_text(statement, column) else { return nil }
        let count = Int(sqlite3_column_bytes(statement, column))
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    func bytes(_ column: Int32) -> [UInt8]? {
        if isNull(column) { return nil }
        let count = Int(sqlite3_column_bytes(statement, column))
        guard count > 0, let pointer = sqlite3_column_blob(statement, column) else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }

    /// Calls `body` with the column's bytes where SQLite holds them, valid until the next step.
    func withBlob<Result>(_ column: Int32, _ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        let count = Int(sqlite3_column_bytes(statement, column))
        return try body(UnsafeRawBufferPointer(start: sqlite3_column_blob(statement, column), count: count))
    }

    /// The column's bytes; `previous` itself (no new array) when they are equal, as the batch of consecutive rows
    /// mostly is: a million restored tasks then share one array instead of holding a million copies.
    func bytes(_ column: Int32, reusing previous: [UInt8]) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(statement, column))
        guard count == previous.count, let pointer = sqlite3_column_blob(statement, column) else {
            return bytes(column) ?? []
        }
        let same = previous.withUnsafeBytes { buffer in
            buffer.baseAddress.map { memcmp($0, pointer, count) == 0 } ?? true
        }
        return same ? previous : bytes(column) ?? []
    }

    private func error(_ code: Int32) -> DatabaseError {
        DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(connection)))
    }
}
