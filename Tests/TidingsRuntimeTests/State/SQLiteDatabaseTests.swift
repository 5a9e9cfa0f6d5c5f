import Foundation
import Testing
import TidingsCore

/// The thin SQLite layer and the store's file: errors carry SQLite's own message, the file is where
/// the docs say, in WAL mode.
@Suite("SQLite database")
struct SQLiteDatabaseTests {
    @Test("bad SQL throws with sqlite3_errmsg; values round-trip through bind and column")
    func errorsAndValues() throws {
        try withScratchSync { folder in
            let database = try SQLiteDatabase(path: folder.appendingPathComponent("t.sqlite3").path)
            do {
                try database.query("SELEKT 1")
                Issue.record("bad SQL was accepted")
            } catch let error as SQLiteError {
                #expect(error.message.contains("syntax error"), "\(error)")
                #expect(error.description.hasPrefix("sqlite: prepare SELEKT 1"))
            }
            let rows = try database.query("SELECT ?, ?, ?", [.integer(-7), .text("é\u{0}x"), .null])
            #expect(rows == [[.integer(-7), .text("é\u{0}x"), .null]])
            #expect(SQLiteDatabase.libraryVersion?.hasPrefix("3.") == true)
        }
    }

    @Test("the store keeps <data>/state.sqlite3 in WAL mode; an unusable folder is unavailable")
    func file() throws {
        try withScratchSync { folder in
            let store = try SQLiteStateStore(folder: folder.appendingPathComponent("data"))
            #expect(store.path == folder.appendingPathComponent("data/state.sqlite3").path)
            let database = try SQLiteDatabase(path: store.path)
            #expect(try database.query("PRAGMA journal_mode") == [[.text("wal")]])
            let blocker = folder.appendingPathComponent("file")
            try Data("x".utf8).write(to: blocker)
            do {
                _ = try SQLiteStateStore(folder: blocker)
                Issue.record("a file was used as the data folder")
            } catch let error as StateStoreError {
                #expect(error.code == .unavailable)
                #expect(error.isRetryable)
            }
        }
    }
}
