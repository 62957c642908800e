"""Property tests over the export format.

- Any valid export imports and exports again to the same conversations.
- Any mutation of a valid export (a wrong type anywhere, huge or non-finite numbers, long or
  broken text, deep nesting, a key missing or added) is either imported, and then listing,
  showing, loading and exporting it all work, or refused with ``ImportFormatError``; never
  another exception, never a stored row that breaks those.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import io
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from app.storage.errors import ImportFormatError
from app.storage.export import conversation_document, export_json, render_markdown
from app.storage.history import HistoryStore
from app.storage.importer import import_file

LATEST = 7_258_118_400.0
TIMES = st.floats(min_value=0.0, max_value=LATEST, allow_nan=False)
TEXT = st.text(max_size=20)
SMALL_INT = st.integers(min_value=-(2**63), max_value=2**63 - 1)
JSON_LEAF = (
    st.none() | st.booleans() | SMALL_INT | TEXT | st.floats(allow_infinity=False, allow_nan=False)
)
FREE_JSON = st.dictionaries(
    TEXT,
    st.recursive(
        JSON_LEAF,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
        max_leaves=6,
    ),
    max_size=3,
)


def _png(cols: int, rows: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (cols * 16, rows * 16), (cols * 40, rows * 40, 90)).save(out, format="PNG")
    return out.getvalue()


IMAGES = {(1, 1): _png(1, 1), (2, 1): _png(2, 1)}
DOCUMENT = b"%PDF-1.4 property test"
SHAS = {key: hashlib.sha256(data).hexdigest() for key, data in IMAGES.items()}
DOCUMENT_SHA = hashlib.sha256(DOCUMENT).hexdigest()


@st.composite
def parts(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["text", "text", "image", "document"]))
    if kind == "text":
        return {"kind": "text", "text": draw(TEXT)}
    if kind == "image":
        grid = draw(st.sampled_from(sorted(IMAGES)))
        part: dict[str, Any] = {
            "kind": "image",
            "sha256": SHAS[grid],
            "meta": {
                "name": draw(TEXT),
                "source_size": draw(st.lists(st.integers(1, 10**6), min_size=2, max_size=2)),
                "detail": draw(st.sampled_from(["low", "medium", "high", "native"])),
                "grid": list(grid),
                "prepared_sha256": draw(st.sampled_from(["", SHAS[grid]])),
            },
        }
    else:
        part = {
            "kind": "document",
            "sha256": DOCUMENT_SHA,
            "meta": {"name": draw(TEXT), "mime": "application/pdf"},
        }
    if draw(st.booleans()):
        part["text"] = draw(TEXT)
    return part


SAMPLING = st.fixed_dictionaries(
    {},
    optional={
        "temperature": st.floats(0.0, 2.0),
        "top_p": st.floats(0.0, 1.0),
        "max_tokens": st.integers(1, 131_072),
        "seed": st.integers(0, 2**31 - 1),
    },
)


@st.composite
def conversations(draw: st.DrawFn) -> dict[str, Any]:
    count = draw(st.integers(0, 4))
    messages = []
    for index in range(count):
        messages.append(
            {
                "parent": draw(st.none() | st.integers(0, index - 1)) if index else None,
                "role": draw(st.sampled_from(["user", "assistant"])),
                "status": draw(st.sampled_from(["complete", "stopped", "failed", "interrupted"])),
                "created_at": draw(TIMES),
                "updated_at": draw(TIMES),
                "backend": draw(TEXT),
                "model": draw(TEXT),
                "usage": draw(st.none() | FREE_JSON),
                "timings": draw(st.none() | FREE_JSON),
                "error": draw(st.none() | TEXT),
                "parts": draw(st.lists(parts(), max_size=3)),
            }
        )
    return {
        "uid": draw(st.uuids()).hex,
        "title": draw(TEXT),
        "title_source": draw(st.sampled_from(["auto", "model", "user"])),
        "created_at": draw(TIMES),
        "updated_at": draw(TIMES),
        "pinned": draw(st.booleans()),
        "archived": draw(st.booleans()),
        "trashed_at": draw(st.none() | TIMES),
        "backend": draw(TEXT),
        "model": draw(TEXT),
        "system_prompt": draw(TEXT),
        "sampling": draw(SAMPLING),
        "private": draw(st.booleans()),
        "allow_fallback": draw(st.booleans()),
        "messages": messages,
        "active_leaf": draw(st.none() | st.integers(0, count - 1)) if count else None,
    }


def exports() -> st.SearchStrategy[dict[str, Any]]:
    def with_blobs(docs: list[dict[str, Any]]) -> dict[str, Any]:
        blobs = {sha: (IMAGES[grid], "image/png") for grid, sha in SHAS.items()}
        blobs[DOCUMENT_SHA] = (DOCUMENT, "application/pdf")
        used = {
            p["sha256"] for d in docs for m in d["messages"] for p in m["parts"] if "sha256" in p
        }
        return {
            "format": "pixtral-desk-history",
            "version": 1,
            "conversations": docs,
            "blobs": {
                sha: {"mime": mime, "data": base64.b64encode(data).decode()}
                for sha, (data, mime) in blobs.items()
                if sha in used
            },
        }

    return st.lists(conversations(), min_size=1, max_size=3).map(with_blobs)


@pytest.fixture(scope="module")
def store() -> Iterator[HistoryStore]:
    with tempfile.TemporaryDirectory() as folder, HistoryStore.open(Path(folder)) as opened:
        yield opened


PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(payload=exports())
def test_valid_exports_round_trip(store: HistoryStore, payload: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.json"
        path.write_text(json.dumps(payload), encoding="utf-8")
        ids = import_file(store, path)
    assert len(ids) == len(payload["conversations"])
    with store.db.read() as conn:
        again = [conversation_document(conn, i) for i in ids]
    for before, after in zip(payload["conversations"], again, strict=True):
        after.pop("uid")
        before = {k: v for k, v in before.items() if k != "uid"}
        assert after == before


# Mutations -------------------------------------------------------------------------------

HOSTILE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(),  # NaN and infinities included
    st.just(1e300),
    st.text(st.characters(codec=None, categories=["Cs", "Co", "Cc"]), max_size=5),
    st.text(max_size=5),
    st.just("x" * 200_000),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=3),
)
DEEP = "[" * 5000 + "]" * 5000
BIG_INT = "9" * 5000


def _paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*path, index))


@st.composite
def mutated(draw: st.DrawFn) -> str:
    payload = copy.deepcopy(draw(exports()))
    paths = list(_paths(payload))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(["replace", "replace", "delete", "add", "deep", "big"]))
        parent: Any = payload  # an earlier mutation may have removed the path: skip it then
        for key in path[:-1]:
            try:
                parent = parent[key]
            except (KeyError, IndexError, TypeError):
                parent = None
                break
        if not path or not isinstance(parent, dict | list):
            continue
        key = path[-1]
        if isinstance(parent, dict):
            present = key in parent
        else:  # an earlier mutation may have put a list where a dict was (a text key then)
            present = isinstance(key, int) and key < len(parent)
        if not present:
            continue
        if action == "delete":
            del parent[key]
        elif action == "add" and isinstance(parent[key], dict):
            parent[key][draw(st.text(max_size=8))] = draw(HOSTILE)
        elif action == "deep":
            parent[key] = "@@DEEP@@"
        elif action == "big":
            parent[key] = "@@BIG@@"
        else:
            parent[key] = draw(HOSTILE)
    text = json.dumps(payload)  # NaN and Infinity written as JavaScript does
    return text.replace('"@@DEEP@@"', DEEP).replace('"@@BIG@@"', BIG_INT)


def imported_whole_or_refused(store: HistoryStore, text: str) -> bool:
    """Import ``text``; True when it was imported and everything reading it works."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.json"
        path.write_text(text, encoding="utf-8")
        try:
            ids = import_file(store, path)
        except ImportFormatError:
            return False
        for conversation_id in ids:
            store.load(conversation_id)
            render_markdown(store, conversation_id, None)
            again = export_json(store, conversation_id, Path(folder) / f"{conversation_id}.json")
            store.delete_forever(import_file(store, again))  # what it exports imports again
        store.list_conversations(limit=-1, include_archived=True)
        store.list_trash()
        store.delete_forever(ids)
        return True


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=mutated())
def test_mutated_exports_are_imported_whole_or_refused(store: HistoryStore, text: str) -> None:
    imported_whole_or_refused(store, text)


EVERY_KIND_OF_WRONG = [
    None,
    True,
    0,
    -1,
    10**30,
    1e300,
    float("nan"),
    float("-inf"),
    "",
    "a\ud800",
    "x" * 200_000,
    [],
    [None],
    {},
    {"a": {"b": [1]}},
    "@@DEEP@@",
    "@@BIG@@",
]


RICH = {
    "format": "pixtral-desk-history",
    "version": 1,
    "conversations": [
        {
            "uid": "0" * 32,
            "title": "Charts",
            "title_source": "user",
            "created_at": 1_700_000_000.0,
            "updated_at": 1_700_000_100.0,
            "pinned": True,
            "archived": False,
            "trashed_at": 1_700_000_200.0,
            "backend": "local",
            "model": "pixtral",
            "system_prompt": "Be exact.",
            "sampling": {"seed": 7, "temperature": 0.5},
            "private": False,
            "allow_fallback": True,
            "messages": [
                {
                    "parent": None,
                    "role": "user",
                    "status": "complete",
                    "created_at": 1_700_000_000.0,
                    "updated_at": 1_700_000_000.0,
                    "backend": "",
                    "model": "",
                    "usage": None,
                    "timings": None,
                    "error": None,
                    "parts": [
                        {
                            "kind": "image",
                            "sha256": SHAS[(2, 1)],
                            "meta": {
                                "name": "chart.png",
                                "source_size": [640, 320],
                                "detail": "native",
                                "grid": [2, 1],
                                "prepared_sha256": SHAS[(2, 1)],
                            },
                        },
                        {"kind": "document", "sha256": DOCUMENT_SHA, "text": "page 1", "meta": {}},
                        {"kind": "text", "text": "What does it show?"},
                    ],
                },
                {
                    "parent": 0,
                    "role": "assistant",
                    "status": "stopped",
                    "created_at": 1_700_000_050.0,
                    "updated_at": 1_700_000_060.0,
                    "backend": "local",
                    "model": "pixtral",
                    "usage": {"prompt_tokens": 99, "image_tokens": [34]},
                    "timings": {"ttft_s": 0.25},
                    "error": "stopped by the user",
                    "parts": [{"kind": "text", "text": "Sales rose."}],
                },
            ],
            "active_leaf": 1,
        }
    ],
    "blobs": {
        SHAS[(2, 1)]: {"mime": "image/png", "data": base64.b64encode(IMAGES[(2, 1)]).decode()},
        DOCUMENT_SHA: {"mime": "application/pdf", "data": base64.b64encode(DOCUMENT).decode()},
    },
}


def test_every_field_with_every_kind_of_wrong_value(store: HistoryStore) -> None:
    """Exhaustive, not sampled: each place in a rich export gets each kind of wrong value."""
    payload = RICH
    refused = imported = 0
    for path in list(_paths(payload))[1:]:
        for wrong in [*EVERY_KIND_OF_WRONG, "delete"]:
            changed = copy.deepcopy(payload)
            parent: Any = changed
            for key in path[:-1]:
                parent = parent[key]
            if wrong == "delete":
                del parent[path[-1]]
            else:
                parent[path[-1]] = wrong
            text = json.dumps(changed).replace('"@@DEEP@@"', DEEP).replace('"@@BIG@@"', BIG_INT)
            if imported_whole_or_refused(store, text):
                imported += 1
            else:
                refused += 1
    assert refused > imported > 0
