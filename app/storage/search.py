"""Full-text search over message text and conversation titles (SQLite FTS5).

Ranking mixes relevance and recency: each match's bm25 score is boosted by how recent the
message is, so last week's answer beats an equally relevant one from two years ago without
burying a much better match. One hit per conversation, with a highlighted snippet.

Cost is bounded by scoring only the newest ``CANDIDATES`` matches (FTS5 walks its doclists in
rowid order and stops; rowids grow with time). A word found in fewer places is ranked over all
of its matches; for a word in hundreds of thousands of messages, where bm25 barely tells them
apart anyway, only the newest few thousand compete. ``ORDER BY rank`` over every match took
~400 ms for such words on 500,000 messages; this takes under 10 ms (tests/bench).
"""

from __future__ import annotations

import re
import sqlite3
import time
from dataclasses import dataclass

from app.storage.database import Database
from app.storage.records import ConversationInfo, as_time

CANDIDATES = 2000
"""How many of the newest matches are scored; bounds the cost of very common words."""
RECENCY_HALF_LIFE_DAYS = 30.0
TITLE_WEIGHT = 2.0
"""A match in a title someone chose counts double (an automatic title repeats the first
question, so there it counts once and the message, with its better snippet, wins ties)."""
SNIPPET_TOKENS = 12


@dataclass(frozen=True)
class SearchHit:
    conversation_id: int
    message_id: int | None
    """None when the title matched and no message text did better."""
    title: str
    snippet: str
    """Matched text with the query terms between the ``highlight`` markers."""
    score: float
    """Lower is better (bm25's convention)."""
    updated_at: float
    conversation: ConversationInfo
    """The chat it was found in, as the list reads it: a hit shows the same marks (pinned,
    recovered, damaged) as the chat's line in the list."""


def to_fts_query(text: str) -> str:
    """Turn what a person typed into a safe FTS5 query: every word must match.

    Words are quoted so FTS5 syntax (AND, NEAR, ``-``, ``:``) in the input is just text; a
    trailing ``*`` keeps its meaning as a prefix search.
    """
    terms = []
    for word in text.split():
        prefix = word.endswith("*")
        word = word.rstrip("*").replace('"', "")
        if not re.search(r"\w", word):
            continue
        terms.append(f'"{word}"' + ("*" if prefix else ""))
    return " ".join(terms)


def recency_boost(age_seconds: float) -> float:
    """1.0 for old messages up to 2.0 for new ones; multiplies the (negative) bm25 score."""
    age_days = max(age_seconds, 0.0) / 86400.0
    return 1.0 + 1.0 / (1.0 + age_days / RECENCY_HALF_LIFE_DAYS)


def search(
    db: Database,
    text: str,
    *,
    limit: int = 20,
    now: float | None = None,
    highlight: tuple[str, str] = ("[", "]"),
    include_trash: bool = False,
) -> list[SearchHit]:
    """Best-first hits for ``text``, at most one per conversation."""
    query = to_fts_query(text)
    if not query:
        return []
    now = time.time() if now is None else now
    trash = "" if include_trash else "AND c.trashed_at IS NULL"
    best: dict[int, tuple[float, int | None, str, float]] = {}
    with db.read() as conn:
        rows = conn.execute(
            "WITH hits AS (SELECT rowid, rank FROM parts_fts WHERE parts_fts MATCH ? "
            "ORDER BY rowid DESC LIMIT ?) "
            "SELECT m.conversation_id, p.id, hits.rank, m.updated_at, c.title "
            "FROM hits JOIN parts p ON p.id = hits.rowid "
            "JOIN messages m ON m.id = p.message_id "
            f"JOIN conversations c ON c.id = m.conversation_id WHERE 1 {trash}",
            (query, CANDIDATES),
        ).fetchall()
        rows += conn.execute(
            "WITH hits AS (SELECT rowid, rank FROM conversations_fts "
            "WHERE conversations_fts MATCH ? ORDER BY rowid DESC LIMIT ?) "
            "SELECT c.id, NULL, hits.rank * CASE c.title_source WHEN 'auto' THEN 1.0 "
            f"ELSE {TITLE_WEIGHT} END, c.updated_at, c.title "
            f"FROM hits JOIN conversations c ON c.id = hits.rowid WHERE 1 {trash}",
            (query, CANDIDATES),
        ).fetchall()
        for conversation_id, part_id, rank, stored_at, title in rows:
            updated_at = as_time(stored_at)  # a damaged row ranks as old, never raises
            score = rank * recency_boost(now - updated_at)
            if conversation_id not in best or score < best[conversation_id][0]:
                best[conversation_id] = (score, part_id, title, updated_at)
        ranked = sorted(best.items(), key=lambda item: item[1][0])[:limit]
        infos = _conversations(conn, [conversation_id for conversation_id, _ in ranked])
        hits = []
        for conversation_id, (score, part_id, title, updated_at) in ranked:
            message_id, snippet = _snippet(conn, query, part_id, conversation_id, highlight)
            info = infos[conversation_id]
            hits.append(
                SearchHit(conversation_id, message_id, title, snippet, score, updated_at, info)
            )
    return hits


def _conversations(conn: sqlite3.Connection, ids: list[int]) -> dict[int, ConversationInfo]:
    """The hits' chats, read as the list reads them; 500 ids a query (SQLite bounds the
    parameters of one statement, and ``limit`` may be large for the command line)."""
    infos: dict[int, ConversationInfo] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = conn.execute(
            f"SELECT {ConversationInfo.COLUMNS} FROM conversations "
            f"WHERE id IN ({','.join('?' * len(chunk))})",
            chunk,
        ).fetchall()
        infos.update((row[0], ConversationInfo.from_row(row)) for row in rows)
    return infos


def _snippet(
    conn, query: str, part_id: int | None, conversation_id: int, marks: tuple[str, str]
) -> tuple[int | None, str]:
    if part_id is None:
        row = conn.execute(
            "SELECT highlight(conversations_fts, 0, ?, ?) FROM conversations_fts "
            "WHERE conversations_fts MATCH ? AND rowid = ?",
            (*marks, query, conversation_id),
        ).fetchone()
        return None, row[0] if row else ""
    row = conn.execute(
        "SELECT p.message_id, snippet(parts_fts, 0, ?, ?, '…', ?) FROM parts_fts "
        "JOIN parts p ON p.id = parts_fts.rowid WHERE parts_fts MATCH ? AND parts_fts.rowid = ?",
        (*marks, SNIPPET_TOKENS, query, part_id),
    ).fetchone()
    return (row[0], row[1]) if row else (None, "")
