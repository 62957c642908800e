"""The history schema as an ordered list of migrations (the simonw/llm pattern).

Each migration is a function run inside its own write transaction; the database records every
migration it applied in ``schema_migrations`` and its version in ``PRAGMA user_version`` (which
is transactional, so a crash mid-migration leaves the previous version intact). Never edit a
released migration: append a new one.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable

Migration = Callable[[sqlite3.Connection], None]


def run_script(conn: sqlite3.Connection, script: str) -> None:
    """Run statements one by one; ``executescript`` would COMMIT our migration transaction."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            conn.execute(statement)
            statement = ""
    if statement.strip():
        raise ValueError(f"incomplete SQL statement: {statement!r}")


def _v1_initial(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
        CREATE TABLE conversations (
            id INTEGER PRIMARY KEY,
            uid TEXT NOT NULL UNIQUE,           -- stable id for export/import
            title TEXT NOT NULL DEFAULT '',
            title_source TEXT NOT NULL DEFAULT 'auto'
                CHECK (title_source IN ('auto', 'model', 'user')),
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            pinned INTEGER NOT NULL DEFAULT 0,
            archived INTEGER NOT NULL DEFAULT 0,
            trashed_at REAL,                    -- NULL unless in the trash
            backend TEXT NOT NULL DEFAULT '',
            model TEXT NOT NULL DEFAULT '',
            system_prompt TEXT NOT NULL DEFAULT '',
            sampling TEXT NOT NULL DEFAULT '{}', -- JSON object
            private INTEGER NOT NULL DEFAULT 0,
            active_leaf_id INTEGER REFERENCES messages(id) ON DELETE SET NULL
        );
        -- The sidebar query: pinned first, then most recent, trash excluded.
        CREATE INDEX conversations_recent ON conversations (pinned DESC, updated_at DESC)
            WHERE trashed_at IS NULL;
        CREATE INDEX conversations_trash ON conversations (trashed_at)
            WHERE trashed_at IS NOT NULL;

        -- Messages form a tree per conversation: a sibling (same parent) is an edited
        -- question or a regenerated answer; the conversation shows the path to active_leaf_id.
        CREATE TABLE messages (
            id INTEGER PRIMARY KEY,
            conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
            parent_id INTEGER REFERENCES messages(id) ON DELETE CASCADE,
            role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
            status TEXT NOT NULL DEFAULT 'complete' CHECK (status IN
                ('complete', 'streaming', 'stopped', 'failed', 'interrupted')),
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            backend TEXT NOT NULL DEFAULT '',
            model TEXT NOT NULL DEFAULT '',
            usage TEXT,                          -- JSON object or NULL
            timings TEXT,                        -- JSON object or NULL
            error TEXT,
            stream_owner TEXT                    -- instance id while status = 'streaming'
        );
        CREATE INDEX messages_conversation ON messages (conversation_id, parent_id);
        CREATE INDEX messages_parent ON messages (parent_id);
        CREATE INDEX messages_streaming ON messages (stream_owner) WHERE status = 'streaming';

        CREATE TABLE blobs (
            sha256 TEXT PRIMARY KEY,
            size INTEGER NOT NULL,
            mime TEXT NOT NULL DEFAULT 'application/octet-stream',
            created_at REAL NOT NULL
        ) WITHOUT ROWID;

        -- Parts in order. Text parts keep their text; image/document parts point at a blob
        -- and may carry searchable text (a PDF page's text layer).
        CREATE TABLE parts (
            id INTEGER PRIMARY KEY,
            message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('text', 'image', 'document')),
            text TEXT,
            blob_sha256 TEXT REFERENCES blobs(sha256),
            meta TEXT,                           -- JSON object or NULL
            UNIQUE (message_id, position)
        );
        CREATE INDEX parts_blob ON parts (blob_sha256) WHERE blob_sha256 IS NOT NULL;

        -- Full-text search over message text and titles; external content, kept in step by
        -- triggers, so the text is stored once.
        CREATE VIRTUAL TABLE parts_fts USING fts5 (
            text, content = 'parts', content_rowid = 'id',
            tokenize = 'unicode61 remove_diacritics 2'
        );
        CREATE TRIGGER parts_fts_insert AFTER INSERT ON parts WHEN new.text IS NOT NULL BEGIN
            INSERT INTO parts_fts (rowid, text) VALUES (new.id, new.text);
        END;
        CREATE TRIGGER parts_fts_delete AFTER DELETE ON parts WHEN old.text IS NOT NULL BEGIN
            INSERT INTO parts_fts (parts_fts, rowid, text) VALUES ('delete', old.id, old.text);
        END;
        CREATE TRIGGER parts_fts_update AFTER UPDATE OF text ON parts BEGIN
            INSERT INTO parts_fts (parts_fts, rowid, text)
                SELECT 'delete', old.id, old.text WHERE old.text IS NOT NULL;
            INSERT INTO parts_fts (rowid, text) SELECT new.id, new.text WHERE new.text IS NOT NULL;
        END;

        CREATE VIRTUAL TABLE conversations_fts USING fts5 (
            title, content = 'conversations', content_rowid = 'id',
            tokenize = 'unicode61 remove_diacritics 2'
        );
        CREATE TRIGGER conversations_fts_insert AFTER INSERT ON conversations BEGIN
            INSERT INTO conversations_fts (rowid, title) VALUES (new.id, new.title);
        END;
        CREATE TRIGGER conversations_fts_delete AFTER DELETE ON conversations BEGIN
            INSERT INTO conversations_fts (conversations_fts, rowid, title)
                VALUES ('delete', old.id, old.title);
        END;
        CREATE TRIGGER conversations_fts_update AFTER UPDATE OF title ON conversations BEGIN
            INSERT INTO conversations_fts (conversations_fts, rowid, title)
                VALUES ('delete', old.id, old.title);
            INSERT INTO conversations_fts (rowid, title) VALUES (new.id, new.title);
        END;
        """,
    )


def _v2_allow_fallback_column(conn: sqlite3.Connection) -> None:
    """The per-chat "answer elsewhere without asking" flag gets its own column.

    It used to be an ``allow_fallback`` key inside the ``sampling`` JSON, where it is not a
    sampling setting at all and every reader of the settings had to filter it back out. The
    value moves out as it was read then (any true value allows). A ``sampling`` value that is
    not a JSON object is left alone: the history shows it as damaged, as before.
    """
    conn.execute("ALTER TABLE conversations ADD COLUMN allow_fallback INTEGER NOT NULL DEFAULT 0")
    rows = conn.execute(
        "SELECT id, sampling FROM conversations WHERE instr(sampling, 'allow_fallback') > 0"
    ).fetchall()
    for conversation_id, text in rows:
        try:
            sampling = json.loads(text)
        except (TypeError, ValueError, RecursionError):
            continue
        if not isinstance(sampling, dict) or "allow_fallback" not in sampling:
            continue
        allowed = bool(sampling.pop("allow_fallback"))
        conn.execute(
            "UPDATE conversations SET allow_fallback = ?, sampling = ? WHERE id = ?",
            (
                int(allowed),
                json.dumps(sampling, ensure_ascii=False, sort_keys=True),
                conversation_id,
            ),
        )


def _v3_recovered_at_column(conn: sqlite3.Connection) -> None:
    """When a conversation was salvaged out of a damaged history (NULL: never damaged).

    Salvage knows a conversation may be incomplete; the list marks it so the user knows why,
    and the time stands in for a date the damage made unreadable.
    """
    conn.execute("ALTER TABLE conversations ADD COLUMN recovered_at REAL")


MIGRATIONS: tuple[Migration, ...] = (
    _v1_initial,
    _v2_allow_fallback_column,
    _v3_recovered_at_column,
)
"""Position + 1 is the schema version each migration brings the database to."""

SCHEMA_VERSION = len(MIGRATIONS)
