// See include/CSQLite.h: libsqlite3 loaded with dlopen on first use, called through one table.
#include "CSQLite.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

static struct {
    int (*open_v2)(const char *, sqlite3 **, int, const char *);
    int (*close_v2)(sqlite3 *);
    const char *(*errmsg)(sqlite3 *);
    const char *(*errstr)(int);
    int (*busy_timeout)(sqlite3 *, int);
    int (*exec)(sqlite3 *, const char *, int (*)(void *, int, char **, char **), void *, char **);
    int (*prepare_v2)(sqlite3 *, const char *, int, sqlite3_stmt **, const char **);
    int (*finalize)(sqlite3_stmt *);
    int (*reset)(sqlite3_stmt *);
    int (*step)(sqlite3_stmt *);
    int (*changes)(sqlite3 *);
    int (*bind_text)(sqlite3_stmt *, int, const char *, int, void (*)(void *));
    int (*bind_int64)(sqlite3_stmt *, int, sqlite3_int64);
    int (*bind_null)(sqlite3_stmt *, int);
    int (*column_count)(sqlite3_stmt *);
    int (*column_type)(sqlite3_stmt *, int);
    sqlite3_int64 (*column_int64)(sqlite3_stmt *, int);
    const unsigned char *(*column_text)(sqlite3_stmt *, int);
    int (*column_bytes)(sqlite3_stmt *, int);
    const char *(*libversion)(void);
    void (*free)(void *);
} sqlite;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static const char *load_error = "libsqlite3 was not loaded";
static char load_message[256];

#define RESOLVE(field, name)                                                                    \
    do {                                                                                        \
        *(void **)(&sqlite.field) = dlsym(library, name);                                       \
        if (sqlite.field == NULL) {                                                             \
            load_error = "libsqlite3.so.0 lacks " name;                                         \
            return;                                                                             \
        }                                                                                       \
    } while (0)

static void load(void) {
    // RTLD_NODELETE: the library stays for the process; nothing ever unloads it.
    void *library = dlopen("libsqlite3.so.0", RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (library == NULL) {
        const char *reason = dlerror();
        snprintf(load_message, sizeof load_message, "cannot load libsqlite3.so.0: %s", reason ? reason : "unknown");
        load_error = load_message;
        return;
    }
    RESOLVE(open_v2, "sqlite3_open_v2");
    RESOLVE(close_v2, "sqlite3_close_v2");
    RESOLVE(errmsg, "sqlite3_errmsg");
    RESOLVE(errstr, "sqlite3_errstr");
    RESOLVE(busy_timeout, "sqlite3_busy_timeout");
    RESOLVE(exec, "sqlite3_exec");
    RESOLVE(prepare_v2, "sqlite3_prepare_v2");
    RESOLVE(finalize, "sqlite3_finalize");
    RESOLVE(reset, "sqlite3_reset");
    RESOLVE(step, "sqlite3_step");
    RESOLVE(changes, "sqlite3_changes");
    RESOLVE(bind_text, "sqlite3_bind_text");
    RESOLVE(bind_int64, "sqlite3_bind_int64");
    RESOLVE(bind_null, "sqlite3_bind_null");
    RESOLVE(column_count, "sqlite3_column_count");
    RESOLVE(column_type, "sqlite3_column_type");
    RESOLVE(column_int64, "sqlite3_column_int64");
    RESOLVE(column_text, "sqlite3_column_text");
    RESOLVE(column_bytes, "sqlite3_column_bytes");
    RESOLVE(libversion, "sqlite3_libversion");
    RESOLVE(free, "sqlite3_free");
    load_error = NULL;
}

const char *csqlite_load(void) {
    pthread_once(&load_once, load);
    return load_error;
}

int csqlite_open(const char *path, sqlite3 **db, int flags) { return sqlite.open_v2(path, db, flags, NULL); }
int csqlite_close(sqlite3 *db) { return sqlite.close_v2(db); }
const char *csqlite_errmsg(sqlite3 *db) { return sqlite.errmsg(db); }
const char *csqlite_errstr(int code) { return sqlite.errstr(code); }
int csqlite_busy_timeout(sqlite3 *db, int milliseconds) { return sqlite.busy_timeout(db, milliseconds); }
int csqlite_exec(sqlite3 *db, const char *sql) {
    char *message = NULL;
    int code = sqlite.exec(db, sql, NULL, NULL, &message);
    // The message is also what sqlite3_errmsg answers; this copy is not needed.
    if (message != NULL) sqlite.free(message);
    return code;
}
int csqlite_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **statement) {
    return sqlite.prepare_v2(db, sql, -1, statement, NULL);
}
int csqlite_finalize(sqlite3_stmt *statement) { return sqlite.finalize(statement); }
int csqlite_reset(sqlite3_stmt *statement) { return sqlite.reset(statement); }
int csqlite_step(sqlite3_stmt *statement) { return sqlite.step(statement); }
int csqlite_changes(sqlite3 *db) { return sqlite.changes(db); }
int csqlite_bind_text(sqlite3_stmt *statement, int index, const char *text, int bytes) {
    return sqlite.bind_text(statement, index, text, bytes, SQLITE_TRANSIENT);
}
int csqlite_bind_int64(sqlite3_stmt *statement, int index, sqlite3_int64 value) {
    return sqlite.bind_int64(statement, index, value);
}
int csqlite_bind_null(sqlite3_stmt *statement, int index) { return sqlite.bind_null(statement, index); }
int csqlite_column_count(sqlite3_stmt *statement) { return sqlite.column_count(statement); }
int csqlite_column_type(sqlite3_stmt *statement, int column) { return sqlite.column_type(statement, column); }
sqlite3_int64 csqlite_column_int64(sqlite3_stmt *statement, int column) {
    return sqlite.column_int64(statement, column);
}
const unsigned char *csqlite_column_text(sqlite3_stmt *statement, int column) {
    return sqlite.column_text(statement, column);
}
int csqlite_column_bytes(sqlite3_stmt *statement, int column) { return sqlite.column_bytes(statement, column); }
const char *csqlite_libversion(void) { return sqlite.libversion(); }
