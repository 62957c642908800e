"""Presets: the built-ins, user overrides by id, and clear messages for broken user files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.core.errors import UserFacingError
from app.workflows.presets import (
    Preset,
    PresetFileError,
    builtin_presets,
    load_presets,
    load_presets_or_builtins,
    save_user_presets,
)

SEED_IDS = {
    "make_html",
    "describe_image",
    "ocr_markdown",
    "read_chart",
    "compare_images",
    "receipt_json",
    "refine_html",
}


def write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_builtins_cover_the_use_cases() -> None:
    presets = builtin_presets()
    assert {p.id for p in presets} == SEED_IDS
    assert len({p.id for p in presets}) == len(presets)
    assert all(p.title and p.prompt for p in presets)
    receipt = next(p for p in presets if p.id == "receipt_json")
    for field in ("merchant", "date", "currency", "total", "tax", "line_items"):
        assert f'"{field}"' in receipt.prompt
    assert all("http" not in p.prompt for p in presets), "no CDN links in our prompts"


def test_missing_or_no_user_file_gives_the_builtins(tmp_path: Path) -> None:
    assert load_presets() == builtin_presets()
    assert load_presets(tmp_path / "absent.json") == builtin_presets()


def test_user_file_overrides_by_id_and_adds(tmp_path: Path) -> None:
    user = write(
        tmp_path / "presets.json",
        {
            "version": 1,
            "presets": [
                {"id": "describe_image", "prompt": "Describe it in one line."},
                {
                    "id": "alt_text",
                    "title": "Alt text",
                    "prompt": "Write alt text.",
                    "detail": "low",
                },
            ],
        },
    )
    presets = load_presets(user)
    ids = [p.id for p in presets]
    assert ids[: len(SEED_IDS)] == [p.id for p in builtin_presets()], "built-in order is kept"
    assert ids[-1] == "alt_text"
    describe = next(p for p in presets if p.id == "describe_image")
    assert describe.prompt == "Describe it in one line."
    assert describe.title == "Describe image", "fields the user left out keep the built-in value"
    assert presets[-1] == Preset("alt_text", "Alt text", "Write alt text.", "low")


def test_bare_list_is_accepted(tmp_path: Path) -> None:
    user = write(tmp_path / "p.json", [{"id": "x", "title": "X", "prompt": "Do X."}])
    assert load_presets(user)[-1].id == "x"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "not valid JSON (line 1"),
        (json.dumps({"presets": {"id": "x"}}), "must hold"),
        (json.dumps({"version": 2, "presets": []}), "version 2"),
        (json.dumps({"presets": ["text"]}), "Preset 1 in"),
        (json.dumps({"presets": [{"title": "T", "prompt": "P"}]}), "has no 'id'"),
        (json.dumps({"presets": [{"id": "new", "prompt": "P"}]}), "'new' in"),
        (json.dumps({"presets": [{"id": "describe_image", "prompt": ""}]}), "'prompt' must be"),
        (json.dumps({"presets": [{"id": "describe_image", "colour": "red"}]}), "colour"),
        (json.dumps({"presets": [{"id": "ocr_markdown", "detail": "ultra"}]}), "detail 'ultra'"),
        (json.dumps({"presets": [{"id": "a", "title": "A", "prompt": "P"}] * 2}), "twice"),
        ('{"presets": ' + "[" * 10_000 + "]" * 10_000 + "}", "nested too deeply"),
        (
            json.dumps(
                {"presets": [{"id": f"p{i}", "title": "T", "prompt": "P"} for i in range(501)]}
            ),
            "over 500 presets",
        ),
        ('{"presets": []}' + " " * (5 * 1024 * 1024), "too large to be presets"),
    ],
)
def test_malformed_user_file_names_the_problem_and_falls_back(
    tmp_path: Path, content: str, expected: str
) -> None:
    user = tmp_path / "presets.json"
    user.write_text(content, encoding="utf-8")
    with pytest.raises(PresetFileError) as caught:
        load_presets(user)
    message = str(caught.value)
    assert isinstance(caught.value, UserFacingError)
    assert expected in message
    assert str(user) in message
    assert message.endswith("Using the built-in presets.") or "using the built-in" in message
    assert caught.value.presets == builtin_presets()
    presets, shown = load_presets_or_builtins(user)
    assert presets == builtin_presets()
    assert shown == message


def test_unreadable_user_file(tmp_path: Path) -> None:
    user = tmp_path / "presets.json"
    user.write_bytes(b"\xff\xfe\x00bad")
    presets, message = load_presets_or_builtins(user)
    assert presets == builtin_presets()
    assert message is not None and "cannot be read" in message


def test_save_round_trips_and_keeps_only_changes(tmp_path: Path) -> None:
    presets = builtin_presets()
    presets[1] = Preset(presets[1].id, "My description", presets[1].prompt, presets[1].detail)
    presets.append(Preset("mine", "Mine", "My own prompt."))
    path = tmp_path / "config" / "presets.json"
    save_user_presets(path, presets)
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert [entry["id"] for entry in saved["presets"]] == [presets[1].id, "mine"]
    assert "detail" not in saved["presets"][1]
    assert load_presets(path) == presets
    assert [p.name for p in path.parent.iterdir()] == ["presets.json"], "no temp file left"


def test_save_refuses_duplicate_ids(tmp_path: Path) -> None:
    one = Preset("a", "A", "P")
    with pytest.raises(UserFacingError, match="same id: a"):
        save_user_presets(tmp_path / "p.json", [one, one])
    assert not (tmp_path / "p.json").exists()


def test_a_preset_may_carry_a_json_schema_that_survives_a_save(tmp_path: Path) -> None:
    receipt = next(p for p in builtin_presets() if p.id == "receipt_json")
    assert receipt.json_schema is not None
    assert json.loads(receipt.json_schema)["required"][0] == "merchant"
    user = tmp_path / "presets.json"
    schema = {"type": "object", "properties": {"alt": {"type": "string"}}}
    user.write_text(json.dumps([{"id": "alt", "title": "Alt", "prompt": "Alt text.",
                                 "json_schema": schema}]))  # fmt: skip
    mine = load_presets(user)[-1]
    assert json.loads(mine.json_schema or "") == schema
    save_user_presets(user, load_presets(user))
    assert load_presets(user)[-1] == mine
    user.write_text(json.dumps([{"id": "alt", "title": "A", "prompt": "P", "json_schema": "x"}]))
    with pytest.raises(PresetFileError, match="'json_schema' must be a JSON object"):
        load_presets(user)
