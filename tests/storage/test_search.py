"""FTS5 search: snippets, relevance mixed with recency, trash, titles, odd input."""

from __future__ import annotations

from app.core.conversation import TextPart
from app.storage.history import HistoryStore
from app.storage.search import recency_boost, search, to_fts_query
from tests.storage.conftest import FakeClock

DAY = 86400.0


def _chat(store: HistoryStore, question: str, answer: str = "", title: str = "") -> int:
    cid = store.create_conversation(title=title)
    store.add_message(cid, "user", [TextPart(question)])
    if answer:
        store.add_message(cid, "assistant", [TextPart(answer)])
    return cid


def test_snippet_highlights_the_words(store: HistoryStore) -> None:
    cid = _chat(store, "Please read this invoice", "The invoice total is 42 euros, due in May.")
    hits = store.search("total euros")
    assert [h.conversation_id for h in hits] == [cid]
    assert "[total]" in hits[0].snippet and "[euros]" in hits[0].snippet
    assert hits[0].message_id is not None
    custom = search(store.db, "invoice", highlight=("<b>", "</b>"))
    assert "<b>invoice</b>" in custom[0].snippet


def test_recency_breaks_ties_and_relevance_still_counts(
    store: HistoryStore, clock: FakeClock
) -> None:
    old = _chat(store, "the quarterly budget spreadsheet")
    clock.advance(400 * DAY)
    new = _chat(store, "the quarterly budget spreadsheet")
    assert [h.conversation_id for h in store.search("budget")][:2] == [new, old]
    clock.advance(1 * DAY)
    # Much more relevant old text beats a passing mention in a new one.
    dense = _chat(store, "budget budget budget: budget plan")
    assert store.search("budget")[0].conversation_id in (dense, new)
    assert recency_boost(0) == 2.0 and 1.0 < recency_boost(365 * DAY) < 1.1


def test_titles_are_searched_and_trash_is_not(store: HistoryStore) -> None:
    named = _chat(store, "unrelated words", title="Holiday photos from Lisbon")
    trashed = _chat(store, "Lisbon trams")
    store.trash(trashed)
    hits = store.search("lisbon")
    assert [h.conversation_id for h in hits] == [named]
    assert hits[0].message_id is None and hits[0].snippet == "Holiday photos from [Lisbon]"
    everywhere = search(store.db, "lisbon", include_trash=True)
    assert {h.conversation_id for h in everywhere} == {named, trashed}


def test_index_follows_streaming_renames_and_deletes(store: HistoryStore) -> None:
    cid = _chat(store, "hello")
    reply = store.start_reply(cid)
    store.append_stream(reply, "a zebra crossing")
    store.finish_reply(reply)
    assert [h.message_id for h in store.search("zebra")] == [reply]
    store.rename(cid, "Road safety")
    assert store.search("road")[0].conversation_id == cid
    store.delete_forever(cid)
    assert store.search("zebra") == [] and store.search("road") == []
    # The cascade fired the FTS triggers: no stale index entries are left behind.
    stale = store.db.conn.execute("SELECT count(*) FROM parts_fts WHERE parts_fts MATCH 'zebra'")
    assert stale.fetchone()[0] == 0
    assert store.db.conn.execute(
        "INSERT INTO parts_fts (parts_fts, rank) VALUES ('integrity-check', 1)"
    ).rowcount in (-1, 0, 1)


def test_diacritics_prefix_and_syntax_are_safe(store: HistoryStore) -> None:
    cid = _chat(store, "Crème brûlée recipe, NEAR the oven")
    assert store.search("creme brulee")[0].conversation_id == cid
    assert store.search("rec*")[0].conversation_id == cid
    for odd in ('"', "AND", "NEAR(", "-", "a:b", "*", "())"):
        store.search(odd)  # never an FTS syntax error
    assert store.search("   ") == []
    assert to_fts_query('say "hi" now*') == '"say" "hi" "now"*'


def test_one_hit_per_conversation(store: HistoryStore) -> None:
    cid = _chat(store, "python question", "python answer")
    store.add_message(cid, "user", [TextPart("more python")])
    assert len(store.search("python")) == 1
