"""Export to Markdown and JSON, import back: lossless, never overwriting, all or nothing."""

from __future__ import annotations

import base64
import json
import zipfile
from pathlib import Path
from urllib.parse import unquote

import pytest

from app.core.conversation import ImagePart, MessageStatus, TextPart
from app.storage.errors import ImportFormatError
from app.storage.export import (
    export_all_json,
    export_all_markdown,
    export_json,
    export_markdown,
)
from app.storage.history import HistoryStore
from app.storage.importer import import_file
from app.storage.records import StagedPart, StoredPart


def document_part(store: HistoryStore, data: bytes, name: str, text: str) -> StagedPart:
    """A document part: the window sends documents as text and images, but the history and
    its exports keep this kind too."""
    blob = store.blobs.write(data, "application/pdf")
    meta = {"name": name, "mime": "application/pdf"}
    return StagedPart(StoredPart("document", text=text, sha256=blob.sha256, meta=meta), blob)


def _rich_conversation(store: HistoryStore, make_image) -> int:
    cid = store.create_conversation(
        backend="local", model="pixtral", system_prompt="Be exact.", sampling={"seed": 7}
    )
    q = store.add_message(cid, "user", [ImagePart(make_image(name="chart 1.png")), TextPart("ç?")])
    a = store.add_message(
        cid, "assistant", [TextPart("Sales rose.")], usage={"prompt_tokens": 99}, model="pixtral"
    )
    store.regenerate(a)  # left streaming on purpose: exported as is
    store.finish_reply(store.regenerate(a), MessageStatus.STOPPED, error=None)
    pdf = document_part(store, b"%PDF-1.4 fake", "report.pdf", "page 1")
    store.edit_message(q, [pdf, TextPart("and this report?")])
    store.set_pinned(cid, True)
    store.update_conversation(cid, allow_fallback=True)
    return cid


def test_json_round_trip_is_byte_for_byte(tmp_path: Path, store: HistoryStore, make_image) -> None:
    cid = _rich_conversation(store, make_image)
    first = export_json(store, cid, tmp_path / "chat.json")
    with HistoryStore.open(tmp_path / "other") as other:
        (new_id,) = import_file(other, first)
        second = export_json(other, new_id, tmp_path / "again.json")
        assert second.read_bytes().replace(b"interrupted", b"streaming") == first.read_bytes()
        loaded = other.load(new_id)
        assert loaded.info.pinned and loaded.info.sampling == {"seed": 7}
        assert loaded.info.allow_fallback
        assert loaded.messages[0].parts[0].kind == "document"
        # The imported blob is a real file in the other store.
        sha = loaded.messages[0].parts[0].sha256
        assert other.blobs.read(sha) == b"%PDF-1.4 fake"


def test_round_trip_without_streaming_messages_is_exact(
    tmp_path: Path, store: HistoryStore, make_image
) -> None:
    cid = store.create_conversation()
    store.add_message(cid, "user", [ImagePart(make_image()), TextPart("hi")])
    store.add_message(cid, "assistant", [TextPart("hello")], timings={"ttft_s": 0.1})
    first = export_json(store, cid, tmp_path / "a.json")
    with HistoryStore.open(tmp_path / "other") as other:
        second = export_json(other, import_file(other, first)[0], tmp_path / "b.json")
    assert first.read_bytes() == second.read_bytes()


def test_the_fallback_flag_of_an_older_export_is_read_from_its_sampling_settings(
    tmp_path: Path, store: HistoryStore, make_image
) -> None:
    """Exports written before the flag had its own field keep it inside ``sampling``; they
    import with the flag where it belongs, and export again in the current form."""
    cid = _rich_conversation(store, make_image)
    payload = json.loads(export_json(store, cid, tmp_path / "new.json").read_bytes())
    (conversation,) = payload["conversations"]
    assert conversation["allow_fallback"] is True and conversation["sampling"] == {"seed": 7}
    del conversation["allow_fallback"]
    conversation["sampling"]["allow_fallback"] = True
    old = tmp_path / "old.json"
    old.write_text(json.dumps(payload), encoding="utf-8")
    with HistoryStore.open(tmp_path / "other") as other:
        (new_id,) = import_file(other, old)
        info = other.get_conversation(new_id)
        assert info.allow_fallback is True and info.sampling == {"seed": 7}
        again = json.loads(export_json(other, new_id, tmp_path / "again.json").read_bytes())
    assert again["conversations"][0]["allow_fallback"] is True
    assert again["conversations"][0]["sampling"] == {"seed": 7}


def test_an_export_with_the_fallback_field_still_reads_where_the_field_is_unknown(
    tmp_path: Path, store: HistoryStore, make_image
) -> None:
    """The format version stays 1 and a conversation's unknown fields are dropped on import,
    so a version that predates the field imports the file (and asks before falling back)."""
    from dataclasses import replace

    from app.storage import export_format
    from app.storage.schema_check import check

    cid = _rich_conversation(store, make_image)
    payload = json.loads(export_json(store, cid, tmp_path / "new.json").read_bytes())
    assert payload["version"] == 1
    known = dict(export_format.CONVERSATION.fields)
    del known["allow_fallback"]
    before = replace(export_format.CONVERSATION, fields=known)
    (conversation,) = payload["conversations"]
    assert "allow_fallback" not in check(conversation, before)


def test_import_never_overwrites(tmp_path: Path, store: HistoryStore, make_image) -> None:
    cid = _rich_conversation(store, make_image)
    path = export_json(store, cid, tmp_path / "chat.json")
    (copy,) = import_file(store, path)
    assert copy != cid
    assert store.get_conversation(copy).uid != store.get_conversation(cid).uid
    assert len(store.load(copy).messages) == len(store.load(cid).messages)


def test_export_all_zip_round_trip(tmp_path: Path, store: HistoryStore, make_image) -> None:
    ids = [_rich_conversation(store, make_image), store.create_conversation(title="empty")]
    store.trash(ids[1])
    archive = export_all_json(store, tmp_path / "all.zip")
    with zipfile.ZipFile(archive) as z:
        names = z.namelist()
    assert "pixtral-desk-history.json" in names and any(n.startswith("blobs/") for n in names)
    with HistoryStore.open(tmp_path / "other") as other:
        assert len(import_file(other, archive)) == 2
        assert [c.title for c in other.list_trash()] == ["empty"]
        again = export_all_json(other, tmp_path / "again.zip")
        with zipfile.ZipFile(archive) as a, zipfile.ZipFile(again) as b:
            first = a.read("pixtral-desk-history.json").replace(b"streaming", b"interrupted")
            assert first == b.read("pixtral-desk-history.json")


def test_markdown_has_images_beside_it_with_relative_links(
    tmp_path: Path, store: HistoryStore, make_image
) -> None:
    cid = _rich_conversation(store, make_image)
    store.show_sibling(store.load(cid).messages[0].id, 0)  # the branch with the image
    store.show_sibling(store.load(cid).messages[-1].id, 0)  # and its first answer
    out = export_markdown(store, cid, tmp_path / "export" / "chat.md")
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# ç?") and "## You" in text and "Sales rose." in text
    links = [line.split("](")[1].rstrip(")") for line in text.splitlines() if "](" in line]
    assert links and all(not Path(unquote(link)).is_absolute() for link in links)
    for link in links:
        assert (out.parent / unquote(link)).is_file()
    assert "(version 1 of 3)" in text and "(version 1 of 2)" in text


def test_markdown_zip_for_everything(tmp_path: Path, store: HistoryStore, make_image) -> None:
    _rich_conversation(store, make_image)
    out = export_all_markdown(store, tmp_path / "md.zip")
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
    assert any(n.endswith("/conversation.md") for n in names)


def _valid_payload(tmp_path: Path, store: HistoryStore, make_image) -> dict:
    cid = _rich_conversation(store, make_image)
    return json.loads(export_json(store, cid, tmp_path / "ok.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda p: p.update(format="other-app"), "format"),
        (lambda p: p.update(version=99), "newer Pixtral Desk"),
        (
            lambda p: p["conversations"][0]["messages"][1].update(role="robot"),
            "conversation 1, message 2: role must be 'user' or 'assistant'",
        ),
        (lambda p: p["conversations"][0]["messages"][1].update(parent=5), "message 2: parent"),
        (lambda p: p["conversations"][0].update(active_leaf=77), "active_leaf"),
        (lambda p: p["conversations"][0].update(pinned="yes"), "pinned"),
        (lambda p: p.update(blobs={}), "not in the file"),
        (
            lambda p: next(iter(p["blobs"].values())).update(
                data=base64.b64encode(b"tampered").decode()
            ),
            "does not match",
        ),
        (lambda p: next(iter(p["blobs"].values())).update(data="@@@"), "base64"),
    ],
)
def test_malformed_import_is_rejected_whole(
    tmp_path: Path, store: HistoryStore, make_image, mutate, reason
) -> None:
    payload = _valid_payload(tmp_path, store, make_image)
    # A valid conversation first, so a half-import would be visible.
    payload["conversations"].insert(0, json.loads(json.dumps(payload["conversations"][0])))
    mutate(payload)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(payload), encoding="utf-8")
    with HistoryStore.open(tmp_path / "fresh") as fresh:
        with pytest.raises(ImportFormatError, match=reason.replace("[", r"\[").replace("]", r"\]")):
            import_file(fresh, bad)
        assert fresh.list_conversations(include_archived=True) == []
        assert fresh.db.conn.execute("SELECT count(*) FROM messages").fetchone()[0] == 0


def test_not_json_and_not_our_zip(tmp_path: Path, store: HistoryStore) -> None:
    garbage = tmp_path / "x.json"
    garbage.write_bytes(b"\x00\x01 not json")
    with pytest.raises(ImportFormatError, match="not JSON"):
        import_file(store, garbage)
    other_zip = tmp_path / "x.zip"
    with zipfile.ZipFile(other_zip, "w") as z:
        z.writestr("readme.txt", "hi")
    with pytest.raises(ImportFormatError, match="not a Pixtral Desk export"):
        import_file(store, other_zip)
    with pytest.raises(ImportFormatError, match="no file"):
        import_file(store, tmp_path / "missing.json")


def _mark_recovered(store: HistoryStore, conversation_id: int, at: float) -> None:
    """What salvage stamps on a chat it rebuilt (salvage itself is tested in test_salvage)."""
    with store.db.write() as conn:
        conn.execute(
            "UPDATE conversations SET recovered_at = ? WHERE id = ?", (at, conversation_id)
        )


def test_a_recovered_chat_keeps_its_mark_through_export_and_import(
    tmp_path: Path, store: HistoryStore, make_image
) -> None:
    """The mark warns that the chat may be incomplete: an exported and imported copy warns too,
    and exports again byte for byte; a chat never recovered carries no such key."""
    cid = _rich_conversation(store, make_image)
    plain = json.loads(export_json(store, cid, tmp_path / "plain.json").read_bytes())
    assert "recovered_at" not in plain["conversations"][0]
    _mark_recovered(store, cid, 1_700_000_123.5)
    first = export_json(store, cid, tmp_path / "chat.json")
    assert json.loads(first.read_bytes())["conversations"][0]["recovered_at"] == 1_700_000_123.5
    with HistoryStore.open(tmp_path / "other") as other:
        (new_id,) = import_file(other, first)
        assert other.get_conversation(new_id).recovered_at == 1_700_000_123.5
        second = export_json(other, new_id, tmp_path / "again.json")
        assert second.read_bytes().replace(b"interrupted", b"streaming") == first.read_bytes()
        (from_zip,) = import_file(other, export_all_json(store, tmp_path / "all.zip"))
        assert other.get_conversation(from_zip).recovered_at == 1_700_000_123.5


def test_the_recovered_mark_is_dropped_where_the_field_is_unknown(
    tmp_path: Path, store: HistoryStore, make_image
) -> None:
    """The version stays 1: a Pixtral Desk that predates the mark imports the file without it."""
    from dataclasses import replace

    from app.storage import export_format
    from app.storage.schema_check import check

    cid = _rich_conversation(store, make_image)
    _mark_recovered(store, cid, 1_700_000_000.0)
    payload = json.loads(export_json(store, cid, tmp_path / "new.json").read_bytes())
    assert payload["version"] == 1
    known = dict(export_format.CONVERSATION.fields)
    del known["recovered_at"]
    before = replace(export_format.CONVERSATION, fields=known, rule=None)  # its rule came later
    assert "recovered_at" not in check(payload["conversations"][0], before)


def test_markdown_of_a_recovered_chat_says_it_may_be_incomplete(
    tmp_path: Path, store: HistoryStore, make_image
) -> None:
    cid = _rich_conversation(store, make_image)
    note = "recovered from a damaged history: some of it may be missing"
    assert note not in export_markdown(store, cid, tmp_path / "a.md").read_text(encoding="utf-8")
    _mark_recovered(store, cid, 1_700_000_000.0)
    assert note in export_markdown(store, cid, tmp_path / "b.md").read_text(encoding="utf-8")
