"""An answer cut at the answer limit: marked, continued into the same message, exported.

What the history keeps of it is plain JSON in the message's usage (the seed it was written
with, why it ended) and the job's answer limit in the chat's sampling settings, so an export
carries both and an older version reads them as data it does not use.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.conversation import MessageStatus, TextPart
from app.storage.errors import StorageError
from app.storage.export import export_json
from app.storage.history import HistoryStore
from app.storage.importer import import_file
from app.storage.records import ANSWER_LIMIT_KEY


def _cut_answer(store: HistoryStore) -> tuple[int, int]:
    cid = store.create_conversation(sampling={"seed": 3, ANSWER_LIMIT_KEY: 8192})
    store.add_message(cid, "user", [TextPart("Write the page")])
    answer = store.start_reply(cid, backend="local")
    store.append_stream(answer, "<html><body>")
    store.finish_reply(answer, usage={"generated_tokens": 4, "seed": 77, "finish_reason": "length"})
    return cid, answer


def test_a_cut_answer_is_marked_and_continues_in_the_same_message(store: HistoryStore) -> None:
    cid, answer = _cut_answer(store)
    assert store.get_message(answer).reached_limit

    store.resume_reply(answer)
    resumed = store.get_message(answer)
    assert resumed.status is MessageStatus.STREAMING and not resumed.reached_limit
    store.append_stream(answer, "<h1>Hi</h1>")
    store.finish_reply(answer, usage={"seed": 77, "continued_seeds": [78], "finish_reason": "stop"})

    loaded = store.load(cid)
    assert [m.id for m in loaded.messages][-1] == answer and len(loaded.messages) == 2
    final = loaded.messages[-1]
    assert final.text == "<html><body><h1>Hi</h1>" and len(final.parts) == 1
    assert final.sibling_count == 1  # not a new version: the same answer, longer
    assert final.status is MessageStatus.COMPLETE and not final.reached_limit
    assert final.usage == {"seed": 77, "continued_seeds": [78], "finish_reason": "stop"}


def test_a_stopped_or_failed_answer_is_not_marked(store: HistoryStore) -> None:
    _cid, answer = _cut_answer(store)
    store.resume_reply(answer)
    store.finish_reply(answer, MessageStatus.STOPPED, usage={"finish_reason": "length"})
    assert not store.get_message(answer).reached_limit


def test_only_an_answer_is_resumed(store: HistoryStore) -> None:
    cid = store.create_conversation()
    question = store.add_message(cid, "user", [TextPart("hi")])
    with pytest.raises(StorageError):
        store.resume_reply(question)


def test_an_export_keeps_the_mark_the_seed_and_the_jobs_limit(
    tmp_path: Path, store: HistoryStore
) -> None:
    cid, _answer = _cut_answer(store)
    exported = export_json(store, cid, tmp_path / "chat.json")
    with HistoryStore.open(tmp_path / "other") as other:
        (copy,) = import_file(other, exported)
        loaded = other.load(copy)
        assert loaded.messages[-1].reached_limit
        assert loaded.messages[-1].usage["seed"] == 77
        assert loaded.info.sampling == {"seed": 3, ANSWER_LIMIT_KEY: 8192}
        again = export_json(other, copy, tmp_path / "again.json")
    assert again.read_bytes() == exported.read_bytes()
