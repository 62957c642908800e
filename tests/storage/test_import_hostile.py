"""Hostile exports are refused whole with one sentence, and never poison the history."""

from __future__ import annotations

import base64
import copy
import io
import json
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from app.core.conversation import ImagePart, TextPart
from app.storage.errors import ImportFormatError
from app.storage.export import export_all_json, export_json, render_markdown
from app.storage.history import HistoryStore
from app.storage.importer import import_file


@pytest.fixture
def payload(tmp_path: Path, store: HistoryStore, make_image) -> dict[str, Any]:
    cid = store.create_conversation(sampling={"seed": 7, "temperature": 0.5})
    store.add_message(cid, "user", [ImagePart(make_image()), TextPart("what is it?")])
    store.add_message(cid, "assistant", [TextPart("A red square.")], usage={"prompt_tokens": 9})
    path = export_json(store, cid, tmp_path / "ok.json")
    return json.loads(path.read_text(encoding="utf-8"))


def _conv(p: dict[str, Any]) -> dict[str, Any]:
    return p["conversations"][0]


def _message(p: dict[str, Any], index: int = 1) -> dict[str, Any]:
    return _conv(p)["messages"][index]


def _image_entry(p: dict[str, Any]) -> dict[str, Any]:
    return next(iter(p["blobs"].values()))


def _png(size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (1, 2, 3)).save(out, format="PNG")
    return out.getvalue()


def _swap_image(p: dict[str, Any], data: bytes) -> None:
    """Replace the attachment by ``data`` under its true sha256, so only its content is wrong."""
    import hashlib

    sha = hashlib.sha256(data).hexdigest()
    p["blobs"] = {sha: {"mime": "image/png", "data": base64.b64encode(data).decode()}}
    _message(p, 0)["parts"][0]["sha256"] = sha


HOSTILE: list[tuple[str, Callable[[dict[str, Any]], Any], str]] = [
    ("role list", lambda p: _message(p).update(role=["user"]), "message 2: role must be 'user'"),
    ("status object", lambda p: _message(p).update(status={}), "message 2: status must be"),
    ("huge time", lambda p: _conv(p).update(updated_at=1e300), "updated_at must be a time"),
    ("negative time", lambda p: _message(p).update(created_at=-5.0), "created_at must be a time"),
    ("int time", lambda p: _conv(p).update(created_at=10**30), "created_at must be a time"),
    ("int past a float", lambda p: _conv(p).update(created_at=10**400), "created_at must be a"),
    ("bool parent", lambda p: _message(p).update(parent=True), "parent must be a whole number"),
    ("float parent", lambda p: _message(p).update(parent=0.0), "parent must be a whole number"),
    ("self parent", lambda p: _message(p).update(parent=1), "parent must be the index"),
    ("role missing", lambda p: _message(p).pop("role"), "message 2: role is missing"),
    ("parts not list", lambda p: _message(p).update(parts="hi"), "parts must be a list"),
    ("part kind", lambda p: _message(p)["parts"][0].update(kind=3), "part 1: kind must be"),
    ("text not str", lambda p: _message(p)["parts"][0].update(text=[1]), "text must be text"),
    ("title too long", lambda p: _conv(p).update(title="x" * 20_000), "title must be at most"),
    ("lone surrogate", lambda p: _conv(p).update(title="a\ud800"), "title must be valid Unicode"),
    (
        "surrogate in usage",
        lambda p: _message(p).update(usage={"k": ["\udfff"]}),
        "usage must hold valid Unicode",
    ),
    ("surrogate key", lambda p: _conv(p)["sampling"].update({"\ud800": 1}), "not valid Unicode"),
    ("uid empty", lambda p: _conv(p).update(uid=""), "uid must not be empty"),
    ("pinned int", lambda p: _conv(p).update(pinned=1), "pinned must be true or false"),
    ("seed text", lambda p: _conv(p)["sampling"].update(seed="7"), "seed must be a whole number"),
    ("top_p range", lambda p: _conv(p)["sampling"].update(top_p=3.0), "top_p must be between"),
    ("messages object", lambda p: _conv(p).update(messages={}), "messages must be a list"),
    ("conversations", lambda p: p.update(conversations=None), "conversations must be a list"),
    ("file a list", lambda p: [p], "the file must be an object"),
    ("blob key", lambda p: p["blobs"].update({"../../x": {}}), "must be a sha256 hex digest"),
    ("blob mime", lambda p: _image_entry(p).update(mime=5), "mime must be text"),
    (
        "deep usage",
        lambda p: _message(p).update(usage=json.loads("[" * 50 + "]" * 50)),
        "usage must be an object",
    ),
    (
        "nested usage",
        lambda p: _message(p).update(usage={"a": json.loads("[" * 50 + "]" * 50)}),
        "usage is nested more than",
    ),
    ("image grid", lambda p: _message(p, 0)["parts"][0]["meta"].update(grid=[0, 1]), "grid"),
    ("image meta", lambda p: _message(p, 0)["parts"][0].pop("meta"), "meta is missing"),
    ("not png", lambda p: _swap_image(p, b"GIF89a" + b"\0" * 30), "cannot be decoded"),
    ("wrong size", lambda p: _swap_image(p, _png((48, 48))), "the image is 48×48"),
    ("truncated png", lambda p: _swap_image(p, _png((48, 32))[:-40]), "cannot be decoded"),
]


def _mutated(payload: dict[str, Any], mutate: Callable[[dict[str, Any]], Any]) -> Any:
    changed = copy.deepcopy(payload)
    result = mutate(changed)
    return result if isinstance(result, list) else changed


@pytest.mark.parametrize(
    ("mutate", "reason"), [h[1:] for h in HOSTILE], ids=[h[0] for h in HOSTILE]
)
def test_hostile_field_is_refused_with_its_place(
    tmp_path: Path, payload: dict[str, Any], mutate, reason: str
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(_mutated(payload, mutate)), encoding="utf-8")
    with HistoryStore.open(tmp_path / "fresh") as fresh:
        with pytest.raises(ImportFormatError, match=r"bad\.json cannot be imported: ") as caught:
            import_file(fresh, bad)
        assert reason in str(caught.value)
        assert str(caught.value).endswith("Nothing was imported.")
        assert fresh.db.conn.execute("SELECT count(*) FROM conversations").fetchone()[0] == 0


@pytest.mark.parametrize(
    "text",
    [
        "[" * 10_000 + "]" * 10_000,
        '{"a":' * 10_000 + "1" + "}" * 10_000,
    ],
    ids=["list", "object"],
)
def test_ten_thousand_deep_json_is_refused(tmp_path: Path, store: HistoryStore, text: str) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text(text, encoding="utf-8")
    with pytest.raises(ImportFormatError, match="nested too deeply"):
        import_file(store, deep)


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_non_finite_numbers_are_refused(
    tmp_path: Path, store: HistoryStore, payload: dict[str, Any], literal: str
) -> None:
    text = json.dumps(payload).replace('"created_at": ', f'"created_at": {literal}, "x": ', 1)
    bad = tmp_path / "nan.json"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(ImportFormatError, match="created_at must be a time"):
        import_file(store, bad)


def test_an_int_too_long_to_parse_is_refused(tmp_path: Path, store: HistoryStore) -> None:
    bad = tmp_path / "digits.json"
    bad.write_text('{"version": ' + "9" * 5000 + "}", encoding="utf-8")
    with pytest.raises(ImportFormatError, match="not JSON"):
        import_file(store, bad)


def test_refused_huge_time_leaves_list_show_export_working(
    tmp_path: Path, store: HistoryStore, payload: dict[str, Any]
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(_mutated(payload, lambda p: _conv(p).update(updated_at=1e300))))
    count = len(store.list_conversations())
    with pytest.raises(ImportFormatError):
        import_file(store, bad)
    assert len(store.list_conversations()) == count
    for info in store.list_conversations():
        render_markdown(store, info.id, None)
    export_all_json(store, tmp_path / "all.zip")


def test_zip_errors_name_the_zip(tmp_path: Path, store: HistoryStore, make_image) -> None:
    cid = store.create_conversation()
    store.add_message(cid, "user", [TextPart("hi")])
    store.add_message(cid, "assistant", [TextPart("hello")])
    good = export_all_json(store, tmp_path / "good.zip")
    with zipfile.ZipFile(good) as z:
        doc = json.loads(z.read("pixtral-desk-history.json"))
    doc["conversations"][0]["messages"][1]["role"] = "robot"
    with zipfile.ZipFile(tmp_path / "all.zip", "w") as z:
        z.writestr("pixtral-desk-history.json", json.dumps(doc))
    with pytest.raises(ImportFormatError) as caught:
        import_file(store, tmp_path / "all.zip")
    assert str(caught.value) == (
        "all.zip cannot be imported: conversation 1, message 2: role must be 'user' or "
        "'assistant'. Nothing was imported."
    )


def test_missing_optional_keys_take_their_defaults(
    tmp_path: Path, store: HistoryStore, payload: dict[str, Any]
) -> None:
    for key in ("trashed_at", "active_leaf", "sampling", "pinned"):
        _conv(payload).pop(key)
    for key in ("parent", "usage", "timings", "error"):
        _message(payload).pop(key)
    _conv(payload)["unknown"] = {"future": [1, 2]}
    path = tmp_path / "sparse.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    (cid,) = import_file(store, path)
    info = store.get_conversation(cid)
    assert info.sampling == {} and info.trashed_at is None and not info.pinned
    assert render_markdown(store, cid, None)[0]


BAD_RECOVERED_AT: list[tuple[str, Any]] = [
    ("zero", 0),
    ("negative", -5.0),
    ("huge", 1e300),
    ("int past a float", 10**400),
    ("in two days", time.time() + 2 * 86_400),
    ("text", "yesterday"),
    ("true", True),
    ("list", [1_700_000_000]),
    ("object", {"at": 1_700_000_000}),
    ("deep", json.loads("[" * 50 + "]" * 50)),
    ("null", None),
]


@pytest.mark.parametrize(
    "value", [b[1] for b in BAD_RECOVERED_AT], ids=[b[0] for b in BAD_RECOVERED_AT]
)
def test_a_bad_recovered_mark_is_ignored_and_the_chat_kept(
    tmp_path: Path, store: HistoryStore, payload: dict[str, Any], value: Any
) -> None:
    """The mark only warns: a value that is no salvage's time is never stored, and never costs
    the chat it came with."""
    _conv(payload)["recovered_at"] = value
    path = tmp_path / "marked.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    (cid,) = import_file(store, path)
    assert store.get_conversation(cid).recovered_at is None
    assert len(store.load(cid).messages) == 2
    stored = store.db.conn.execute("SELECT recovered_at FROM conversations WHERE id = ?", (cid,))
    assert stored.fetchone()[0] is None


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "1e400"])
def test_a_non_finite_recovered_mark_is_ignored(
    tmp_path: Path, store: HistoryStore, payload: dict[str, Any], literal: str
) -> None:
    text = json.dumps(payload).replace(
        '"created_at": ', f'"recovered_at": {literal}, "created_at": ', 1
    )
    path = tmp_path / "nan.json"
    path.write_text(text, encoding="utf-8")
    (cid,) = import_file(store, path)
    assert store.get_conversation(cid).recovered_at is None


def test_a_recovered_mark_within_a_day_of_now_is_kept(
    tmp_path: Path, store: HistoryStore, payload: dict[str, Any]
) -> None:
    """Clocks disagree (a time zone set wrong): a mark up to a day ahead is still a salvage's."""
    soon = time.time() + 3600
    _conv(payload)["recovered_at"] = soon
    path = tmp_path / "soon.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    (cid,) = import_file(store, path)
    assert store.get_conversation(cid).recovered_at == soon
