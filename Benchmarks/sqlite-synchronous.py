#!/usr/bin/env python3
"""What SQLite's synchronous setting costs a claim + complete (docs/decisions/state-store.md): the
statements SQLiteStateStore runs, on 2,000 fresh keys in a WAL database in a temporary folder, with
synchronous=FULL and NORMAL. Uses Python's sqlite3, which on Debian is the system libsqlite3.

    python3 Benchmarks/sqlite-synchronous.py
"""
import os, shutil, sqlite3, tempfile, time
for mode in ["FULL", "NORMAL"]:
    d = tempfile.mkdtemp(); c = sqlite3.connect(os.path.join(d, "s.db"), isolation_level=None)
    c.execute("PRAGMA journal_mode=WAL"); c.execute(f"PRAGMA synchronous={mode}")
    c.execute("CREATE TABLE state (key TEXT PRIMARY KEY NOT NULL, kind TEXT NOT NULL, owner TEXT, lease_until INTEGER, result TEXT, amount INTEGER, time INTEGER, expires_at INTEGER) WITHOUT ROWID")
    s = []
    for i in range(2000):
        t = time.perf_counter(); k = f"k{i}"
        c.execute("BEGIN IMMEDIATE"); c.execute("SELECT kind, owner, lease_until, result FROM state WHERE key = ?", (k,)).fetchall()
        c.execute("INSERT INTO state (owner, lease_until, expires_at, key, kind) VALUES (?, ?, ?, ?, 'claimed')", ("o", 1, 2, k)); c.execute("COMMIT")
        c.execute("UPDATE state SET kind='completed', result=?, lease_until=NULL, expires_at=? WHERE key=? AND kind='claimed' AND owner=?", ("sent", 3, k, "o"))
        s.append((time.perf_counter() - t) * 1e6)
    s.sort(); print(f"python sqlite3 {sqlite3.sqlite_version} synchronous={mode}: median {s[1000]:.1f} µs, p99 {s[1979]:.1f} µs")
    c.close(); shutil.rmtree(d)
