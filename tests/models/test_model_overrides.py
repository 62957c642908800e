"""Per-model GPU layers, context and KV type in ``models.json``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.models.model_overrides import ModelOverrides, OverrideError, overrides_path


def test_round_trip_keyed_by_absolute_path(tmp_path: Path, monkeypatch) -> None:
    store = ModelOverrides.beside(tmp_path / "settings.ini")
    assert store.path == tmp_path / "models.json" == overrides_path(tmp_path / "settings.ini")
    monkeypatch.chdir(tmp_path)
    store.set("m.gguf", n_gpu_layers=20, n_ctx=16384, kv_type="q8_0")
    assert store.get(tmp_path / "m.gguf") == {"n_gpu_layers": 20, "n_ctx": 16384, "kv_type": "q8_0"}
    assert store.get(tmp_path / "other.gguf") == {}
    data = json.loads((tmp_path / "models.json").read_text())
    assert list(data) == [str(tmp_path / "m.gguf")]
    assert not list(tmp_path.glob("*.tmp"))  # written through a temporary file and a rename


def test_none_removes_a_value_and_an_empty_entry(tmp_path: Path) -> None:
    store = ModelOverrides(tmp_path / "models.json")
    store.set(tmp_path / "m.gguf", n_gpu_layers=10, kv_type="q4_0")
    assert store.set(tmp_path / "m.gguf", kv_type=None) == {"n_gpu_layers": 10}
    store.set(tmp_path / "m.gguf", n_gpu_layers=None)
    assert json.loads(store.path.read_text()) == {}


def test_bad_values_are_refused_with_a_clear_message(tmp_path: Path) -> None:
    store = ModelOverrides(tmp_path / "models.json")
    with pytest.raises(OverrideError, match="KV type must be one of f16, q8_0, q4_0"):
        store.set(tmp_path / "m.gguf", kv_type="q2")
    with pytest.raises(OverrideError, match="Unknown per-model setting"):
        store.set(tmp_path / "m.gguf", temperature=1.0)
    with pytest.raises(OverrideError, match="n_ctx must be a int"):
        store.set(tmp_path / "m.gguf", n_ctx="lots")
    with pytest.raises(OverrideError):
        store.set(tmp_path / "m.gguf", n_gpu_layers=-5)


def test_a_damaged_file_reads_as_empty_and_is_rewritten(tmp_path: Path) -> None:
    store = ModelOverrides(tmp_path / "models.json")
    store.path.write_text("{not json")
    assert store.get(tmp_path / "m.gguf") == {}
    store.set(tmp_path / "m.gguf", n_ctx=4096)
    assert store.get(tmp_path / "m.gguf") == {"n_ctx": 4096}


@pytest.mark.parametrize(
    "hostile",
    [{"n_ctx": 1e300}, {"n_ctx": "abc"}, {"n_ctx": [1]}, {"n_gpu_layers": True},
     {"kv_type": {}}, {"n_ctx": 10**12}, {"n_ctx": float("inf")}],
)  # fmt: skip
def test_hand_edited_values_that_are_not_valid_are_ignored(tmp_path: Path, hostile) -> None:
    """models.json is outside input: an invalid value falls back to the global setting."""
    path = tmp_path / "models.json"
    model = tmp_path / "m.gguf"
    entry = {**hostile, "kv_type": hostile.get("kv_type", "q8_0")}
    path.write_text(json.dumps({str(model.absolute()): entry}), encoding="utf-8")
    got = ModelOverrides(path).get(model)
    assert set(got) <= {"kv_type"}
    assert got.get("kv_type", "q8_0") == "q8_0"
