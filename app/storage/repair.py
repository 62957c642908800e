"""Damage confined to the search index is repaired in place, not treated as a lost history.

The FTS5 index (``parts_fts``, ``conversations_fts`` and their shadow tables) holds nothing
that is not also in ``parts`` and ``conversations``: it can always be rebuilt from them. Before
this, a scribbled index page failed ``PRAGMA quick_check`` like any other page, and the whole
history was moved aside over a page only search reads.

``quick_check(TABLE)`` (SQLite 3.33+) checks one table and its indexes, so each ordinary table
is checked on its own; when all pass, the damage is in the index (or in pages no table uses).
The index is then dropped by deleting its rows from ``sqlite_master`` (a ``DROP TABLE`` would
walk the damaged pages and fail), created again from its own ``CREATE`` statement, filled with
FTS5's ``'rebuild'``, and ``VACUUM`` writes a new file without the orphaned damaged pages.
"""

from __future__ import annotations

import sqlite3
from contextlib import suppress
from pathlib import Path

SHADOW_SUFFIXES = ("data", "idx", "content", "docsize", "config")
"""The tables FTS5 creates for a virtual table ``x``: ``x_data``, ``x_idx``, …"""


def search_tables(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """``(name, CREATE statement)`` of every FTS5 table (reading ``sqlite_master`` only)."""
    return conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' "
        "AND sql LIKE 'CREATE VIRTUAL TABLE%USING fts5%'"
    ).fetchall()


def damage_is_search_only(conn: sqlite3.Connection) -> bool:
    """True when every table except the search index passes ``quick_check`` on its own."""
    try:
        search = {name for name, _sql in search_tables(conn)}
        shadows = {f"{name}_{suffix}" for name in search for suffix in SHADOW_SUFFIXES}
        tables = [
            row[0]
            for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if row[0] not in search and row[0] not in shadows
        ]
        for table in tables:
            quoted = table.replace('"', '""')
            if [row[0] for row in conn.execute(f'PRAGMA quick_check("{quoted}")')] != ["ok"]:
                return False
    except (sqlite3.DatabaseError, MemoryError):
        return False
    return bool(search)


def rebuild_search_index(path: Path, busy_timeout_s: float = 10.0) -> None:
    """Drop, recreate and refill every FTS5 table of the database at ``path``, then VACUUM.

    One transaction: the file either has a whole new index or is left as it was. Raises
    ``sqlite3.DatabaseError`` when it cannot be repaired this way; the caller then treats it
    as damaged throughout (or as busy, for a lock another instance holds).
    """
    conn = sqlite3.connect(path, isolation_level=None, timeout=busy_timeout_s)
    try:
        found = search_tables(conn)
        names = [name for name, _sql in found]
        names += [f"{name}_{suffix}" for name in list(names) for suffix in SHADOW_SUFFIXES]
        marks = ",".join("?" * len(names))
        conn.execute("PRAGMA writable_schema = ON")
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "DELETE FROM sqlite_master WHERE type IN ('table', 'index') "
            f"AND (name IN ({marks}) OR tbl_name IN ({marks}))",
            names * 2,
        )
        # A new schema version makes every connection, this one included, read it again.
        version = conn.execute("PRAGMA schema_version").fetchone()[0]
        conn.execute(f"PRAGMA schema_version = {int(version) + 1}")
        conn.execute("PRAGMA writable_schema = RESET")  # reload now (3.x without it: OFF)
        conn.execute("PRAGMA writable_schema = OFF")
        for name, sql in found:
            conn.execute(sql)
            conn.execute(f'INSERT INTO "{name}"("{name}") VALUES (\'rebuild\')')
        conn.execute("COMMIT")
        # A new file from the live tables, without the orphaned damaged pages. Sound without
        # it too (the check that follows decides), so a busy VACUUM is not a failure.
        with suppress(sqlite3.OperationalError):
            conn.execute("VACUUM")
    finally:
        with suppress(sqlite3.Error):
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            conn.execute("PRAGMA writable_schema = OFF")
        conn.close()
