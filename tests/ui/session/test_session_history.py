"""The conversation list and the search hits read a chat's marks the same way."""

from __future__ import annotations

from pathlib import Path

from app.core.conversation import TextPart
from app.storage.history import HistoryStore
from app.ui.session.session_history import SessionHistory, SidebarRow


def _listed(qtbot, history: SessionHistory, query: str) -> list[SidebarRow]:
    with qtbot.waitSignal(history.conversations_listed, timeout=10_000) as listed:
        history.refresh_list(query)
    return listed.args[0]


def test_a_search_hit_in_a_recovered_chat_carries_the_marks_its_line_in_the_list_does(
    qtbot, tmp_path: Path
) -> None:
    with HistoryStore.open(tmp_path / "data") as store:
        ids = {}
        for title in ("salvaged", "sound", "pinned"):
            ids[title] = store.create_conversation(title=title)
            store.add_message(ids[title], "user", [TextPart(f"the okapi budget, {title}")])
        with store.db.write() as conn:  # what salvage stamps on a chat it rebuilt
            conn.execute(
                "UPDATE conversations SET recovered_at = 1700000000 WHERE id = ?",
                (ids["salvaged"],),
            )
        store.set_pinned(ids["pinned"], True)
        history = SessionHistory(store)
        try:
            listed = {row.conversation_id: row for row in _listed(qtbot, history, "")}
            hits = {row.conversation_id: row for row in _listed(qtbot, history, "okapi")}
        finally:
            history.close()
    assert set(hits) == set(listed) == set(ids.values())
    assert all(hit.snippet for hit in hits.values())
    for cid, row in listed.items():
        hit = hits[cid]
        assert (hit.recovered, hit.damaged, hit.pinned) == (row.recovered, row.damaged, row.pinned)
    assert hits[ids["salvaged"]].recovered and not hits[ids["sound"]].recovered
    assert hits[ids["pinned"]].pinned
