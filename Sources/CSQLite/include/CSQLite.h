// SQLite for Swift, loaded on demand, like CCurl: the handlers link no libsqlite3. The first
// SQLiteDatabase calls csqlite_load(), which dlopens libsqlite3.so.0, so a handler whose state
// lives in DynamoDB never loads it, and a Lambda image needs no SQLite at all
// (docs/decisions/state-store.md has the figures). sqlite3.h (Debian's libsqlite3-dev) gives the
// types and constants; every call goes through the csqlite_ functions below. Calling a sqlite3_
// function directly from Swift would fail to link, on purpose.
#ifndef TIDINGS_CSQLITE_H
#define TIDINGS_CSQLITE_H

#include <sqlite3.h>

/// Loads libsqlite3.so.0, once per process (thread-safe). Returns NULL on success, or a message
/// saying what failed (the library is missing, or a symbol is). No other csqlite_ function may be
/// called before it has succeeded.
const char *csqlite_load(void);

int csqlite_open(const char *path, sqlite3 **db, int flags);
int csqlite_close(sqlite3 *db);
const char *csqlite_errmsg(sqlite3 *db);
const char *csqlite_errstr(int code);
int csqlite_busy_timeout(sqlite3 *db, int milliseconds);
int csqlite_exec(sqlite3 *db, const char *sql);
int csqlite_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **statement);
int csqlite_finalize(sqlite3_stmt *statement);
int csqlite_reset(sqlite3_stmt *statement);
int csqlite_step(sqlite3_stmt *statement);
int csqlite_changes(sqlite3 *db);
/// Binds a copy of the text (SQLITE_TRANSIENT), so the caller's buffer may go at once.
int csqlite_bind_text(sqlite3_stmt *statement, int index, const char *text, int bytes);
int csqlite_bind_int64(sqlite3_stmt *statement, int index, sqlite3_int64 value);
int csqlite_bind_null(sqlite3_stmt *statement, int index);
int csqlite_column_count(sqlite3_stmt *statement);
int csqlite_column_type(sqlite3_stmt *statement, int column);
sqlite3_int64 csqlite_column_int64(sqlite3_stmt *statement, int column);
const unsigned char *csqlite_column_text(sqlite3_stmt *statement, int column);
int csqlite_column_bytes(sqlite3_stmt *statement, int column);
const char *csqlite_libversion(void);

#endif
