"""Conversations, messages, branches, streaming writes, trash and titles."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.conversation import ImagePart, MessageStatus, Role, TextPart
from app.storage.errors import DiskFullError, NotFoundError, StorageError
from app.storage.history import HistoryStore
from tests.storage.conftest import FakeClock


def test_conversation_fields_round_trip(store: HistoryStore) -> None:
    cid = store.create_conversation(
        backend="local",
        model="pixtral-12b-Q4_K_M.gguf",
        system_prompt="Be brief.",
        sampling={"temperature": 0.3, "top_p": 0.95},
        private=True,
    )
    info = store.get_conversation(cid)
    assert (info.backend, info.model, info.system_prompt) == (
        "local",
        "pixtral-12b-Q4_K_M.gguf",
        "Be brief.",
    )
    assert info.sampling == {"temperature": 0.3, "top_p": 0.95} and info.private is True
    store.update_conversation(cid, model="mistral-small-latest", sampling={"seed": 1})
    info = store.get_conversation(cid)
    assert info.model == "mistral-small-latest" and info.sampling == {"seed": 1}
    assert info.allow_fallback is False
    store.update_conversation(cid, allow_fallback=True)
    info = store.get_conversation(cid)
    assert info.allow_fallback is True and info.sampling == {"seed": 1}
    with pytest.raises(TypeError):
        store.update_conversation(cid, uid="x")
    with pytest.raises(NotFoundError, match="no conversation 999"):
        store.get_conversation(999)


def test_messages_keep_parts_in_order_usage_and_backend(store: HistoryStore, make_image) -> None:
    cid = store.create_conversation()
    first, second = make_image((1, 1, 1), name="a.png"), make_image((2, 2, 2), name="b.png")
    store.add_message(cid, Role.USER, [TextPart("compare"), ImagePart(first), ImagePart(second)])
    reply = store.add_message(
        cid,
        Role.ASSISTANT,
        [TextPart("They differ.")],
        backend="mistral_api",
        model="pixtral-large-latest",
        usage={"prompt_tokens": 130, "generated_tokens": 4},
        timings={"ttft_s": 0.25, "tokens_per_s": 31.5},
    )
    loaded = store.load(cid)
    kinds = [p.kind for p in loaded.messages[0].parts]
    assert kinds == ["text", "image", "image"]
    assert [p.meta["name"] for p in loaded.messages[0].parts[1:]] == ["a.png", "b.png"]
    message = store.get_message(reply)
    assert message.usage == {"prompt_tokens": 130, "generated_tokens": 4}
    assert message.timings == {"ttft_s": 0.25, "tokens_per_s": 31.5}
    assert (message.backend, message.model) == ("mistral_api", "pixtral-large-latest")
    core = loaded.to_core(store.blobs)
    assert [m.role for m in core.messages] == [Role.USER, Role.ASSISTANT]
    assert [i.name for i in core.messages[0].images] == ["a.png", "b.png"]
    assert core.messages[1].text == "They differ."


def test_list_is_pinned_first_then_recent_and_skips_trash(
    store: HistoryStore, clock: FakeClock
) -> None:
    ids = []
    for i in range(4):
        ids.append(store.create_conversation(title=f"c{i}"))
        clock.advance(10)
    store.set_pinned(ids[0], True)
    store.trash(ids[2])
    listed = [c.id for c in store.list_conversations()]
    assert listed == [ids[0], ids[3], ids[1]]
    store.update_conversation(ids[1], archived=True)
    assert [c.id for c in store.list_conversations()] == [ids[0], ids[3]]
    assert ids[1] in [c.id for c in store.list_conversations(include_archived=True)]


def test_titles_come_from_the_first_question_but_never_over_the_user(store: HistoryStore) -> None:
    cid = store.create_conversation()
    store.add_message(cid, "user", [TextPart("  How do I   read\nthis chart? " + "x" * 100)])
    info = store.get_conversation(cid)
    assert info.title.startswith("How do I read this chart?") and info.title.endswith("…")
    assert len(info.title) <= 60 and info.title_source == "auto"
    store.add_message(cid, "user", [TextPart("second question")])
    assert store.get_conversation(cid).title == info.title  # only the first question
    store.rename(cid, "My chart")
    assert store.get_conversation(cid).title_source == "user"
    other = store.create_conversation(title="Typed first")
    store.add_message(other, "user", [TextPart("a question that would title it")])
    assert store.get_conversation(other).title == "Typed first"
    with pytest.raises(StorageError):
        store.rename(cid, "   ")


def test_image_only_question_is_titled_by_the_image(store: HistoryStore, make_image) -> None:
    cid = store.create_conversation()
    store.add_message(cid, "user", [ImagePart(make_image(name="receipt.jpg"))])
    assert store.get_conversation(cid).title == "receipt.jpg"


def test_trash_restore_and_empty(store: HistoryStore) -> None:
    keep, gone = store.create_conversation(), store.create_conversation()
    store.add_message(gone, "user", [TextPart("bye")])
    store.trash(keep)
    store.trash(gone)
    assert {c.id for c in store.list_trash()} == {keep, gone}
    store.restore(keep)
    assert [c.id for c in store.list_trash()] == [gone]
    store.delete_forever([c.id for c in store.list_trash()])  # what `history delete` does
    assert store.list_trash() == []
    with pytest.raises(NotFoundError):
        store.get_conversation(gone)
    assert store.db.conn.execute("SELECT count(*) FROM messages").fetchone()[0] == 0
    assert store.get_conversation(keep).trashed_at is None


def test_edit_and_regenerate_keep_earlier_versions(store: HistoryStore) -> None:
    cid = store.create_conversation()
    q1 = store.add_message(cid, "user", [TextPart("what is 2+2?")])
    a1 = store.add_message(cid, "assistant", [TextPart("4")])
    q2 = store.add_message(cid, "user", [TextPart("and 3+3?")])
    a2 = store.add_message(cid, "assistant", [TextPart("6")])

    # Regenerate the last answer: a sibling, shown, the old one kept.
    a2b = store.regenerate(a2)
    store.append_stream(a2b, "six")
    store.finish_reply(a2b)
    shown = store.load(cid).messages
    assert [m.id for m in shown] == [q1, a1, q2, a2b]
    assert (shown[-1].sibling_index, shown[-1].sibling_count) == (1, 2)

    # Edit the first question: a new branch from the root.
    q1b = store.edit_message(q1, [TextPart("what is 2+3?")])
    a1b = store.add_message(cid, "assistant", [TextPart("5")])
    shown = store.load(cid).messages
    assert [m.id for m in shown] == [q1b, a1b]
    assert (shown[0].sibling_index, shown[0].sibling_count) == (1, 2)
    assert store.get_conversation(cid).active_leaf_id == a1b

    # "‹ 1/2": back to the first question shows its newest continuation.
    leaf = store.show_sibling(q1b, 0)
    assert leaf == a2b
    assert [m.text for m in store.load(cid).messages] == ["what is 2+2?", "4", "and 3+3?", "six"]
    store.show_sibling(a2b, 0)
    assert store.load(cid).messages[-1].text == "6"
    with pytest.raises(StorageError):
        store.show_sibling(a2b, 5)
    with pytest.raises(StorageError, match="Only an answer"):
        store.regenerate(q1)


def test_parent_from_another_conversation_is_refused(store: HistoryStore) -> None:
    a, b = store.create_conversation(), store.create_conversation()
    qa = store.add_message(a, "user", [TextPart("a")])
    with pytest.raises(NotFoundError):
        store.add_message(b, "assistant", [TextPart("x")], parent_id=qa)


def test_streaming_is_batched_about_once_a_second(tmp_path: Path) -> None:
    ticks = [0.0]
    with HistoryStore.open(tmp_path) as store:
        store.streams._clock = lambda: ticks[0]
        cid = store.create_conversation()
        store.add_message(cid, "user", [TextPart("hi")])
        reply = store.start_reply(cid, backend="local", model="m")
        committed = []
        for i in range(30):
            ticks[0] += 0.125
            committed.append(store.append_stream(reply, f"t{i} "))
        assert committed.count(True) == 3  # after 1.0 s, 2.0 s, 3.0 s of tokens
        on_disk = store.db.conn.execute(
            "SELECT text FROM parts WHERE message_id = ?", (reply,)
        ).fetchone()[0]
        assert on_disk == "".join(f"t{i} " for i in range(24))  # t24… still buffered
        ticks[0] += 0.1
        store.append_stream(reply, "tail")
        assert store.get_message(reply).text.endswith("tail")  # buffered text is shown
        assert store.get_message(reply).status is MessageStatus.STREAMING
        store.finish_reply(reply, MessageStatus.STOPPED, usage={"generated_tokens": 31})
        message = store.get_message(reply)
        assert message.text.endswith("t29 tail") and message.status is MessageStatus.STOPPED
        assert message.usage == {"generated_tokens": 31}


def test_failed_flush_keeps_the_text_for_a_retry(store: HistoryStore) -> None:
    cid = store.create_conversation()
    store.add_message(cid, "user", [TextPart("hi")])
    reply = store.start_reply(cid)
    store.append_stream(reply, "precious " * 5000)
    pages = store.db.conn.execute("PRAGMA page_count").fetchone()[0]
    store.db.conn.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(DiskFullError):
        store.streams.flush()
    assert store.streams.buffered_text(reply) == "precious " * 5000
    store.db.conn.execute("PRAGMA max_page_count = 1073741823")
    store.finish_reply(reply)
    assert store.get_message(reply).text == "precious " * 5000


def test_reopen_marks_a_dead_writers_streaming_message_interrupted(tmp_path: Path) -> None:
    store = HistoryStore.open(tmp_path)
    cid = store.create_conversation()
    store.add_message(cid, "user", [TextPart("hi")])
    reply = store.start_reply(cid)
    store.append_stream(reply, "partial")
    store.streams.flush()
    # A second instance while the first still runs must not touch its live answer.
    with HistoryStore.open(tmp_path) as second:
        assert second.get_message(reply).status is MessageStatus.STREAMING
    store._instance.release()  # what the kernel does when the process dies
    store.db.conn.close()
    with HistoryStore.open(tmp_path) as reopened:
        message = reopened.get_message(reply)
        assert message.status is MessageStatus.INTERRUPTED and message.text == "partial"


def test_unknown_message_ids_raise(store: HistoryStore) -> None:
    with pytest.raises(NotFoundError):
        store.get_message(12345)
    with pytest.raises(NotFoundError):
        store.append_stream(12345, "x")


def test_delete_message_removes_its_branch_keeps_other_versions_and_frees_blobs(
    store: HistoryStore, make_image
) -> None:
    image = make_image()
    cid = store.create_conversation()
    q1 = store.add_message(cid, Role.USER, [TextPart("first")])
    a1 = store.add_message(cid, Role.ASSISTANT, [TextPart("answer one")])
    q2 = store.add_message(cid, Role.USER, [ImagePart(image), TextPart("look")])
    a2 = store.add_message(cid, Role.ASSISTANT, [TextPart("seen")])
    a1b = store.regenerate(a1)  # a second version of the first answer, now shown
    store.finish_reply(a1b)
    store.show_sibling(a1, 0)  # back to the first version and its continuation
    shown = store.load(cid).messages
    assert [m.id for m in shown] == [q1, a1, q2, a2]
    blob = next(p.sha256 for p in shown[2].parts if p.sha256)
    assert store.blobs.exists(blob)

    leaf = store.delete_message(a1)  # removes a1, q2, a2; a1b remains
    assert leaf == a1b
    assert [m.id for m in store.load(cid).messages] == [q1, a1b]
    assert not store.blobs.exists(blob)  # only the deleted question used it

    assert store.delete_message(a1b) == q1
    assert [m.id for m in store.load(cid).messages] == [q1]
