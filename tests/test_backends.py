"""``local_config``: per-model overrides win over the global settings (issue 5, req. 7)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app import backends
from app.backends import local_config, model_overrides
from app.core.budget import KvType
from app.models.model_overrides import ModelOverrides
from app.settings import Settings


def _values(tiny_pair: Any, **changes: Any) -> dict[str, Any]:
    values = dict(Settings(Path("/nonexistent/settings.ini")).items())
    values.update(model=str(tiny_pair.model), mmproj=str(tiny_pair.mmproj), n_ctx=2048)
    values.update(changes)
    return values


def test_without_overrides_the_global_settings_apply(tiny_pair) -> None:
    config = local_config(_values(tiny_pair, n_gpu_layers=7, kv_type="f16"))
    assert (config.n_gpu_layers, config.n_ctx, config.kv_type) == (7, 2048, KvType.F16)


def test_overrides_win_over_the_global_settings(tiny_pair) -> None:
    values = _values(tiny_pair, n_gpu_layers=7, kv_type="f16")
    config = local_config(values, {"n_gpu_layers": 0, "n_ctx": 1024, "kv_type": "q8_0"})
    assert (config.n_gpu_layers, config.n_ctx, config.kv_type) == (0, 1024, KvType.Q8_0)
    assert config.model_path == str(tiny_pair.model)
    assert values["n_gpu_layers"] == 7  # the caller's dict is left alone


def test_make_backend_reads_the_overrides_beside_the_settings_file(
    tiny_pair, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings_path = tmp_path / "settings.ini"
    ModelOverrides.beside(settings_path).set(tiny_pair.model, n_gpu_layers=3, kv_type="q4_0")
    values = _values(tiny_pair)
    assert model_overrides(values, settings_path) == {"n_gpu_layers": 3, "kv_type": "q4_0"}
    assert model_overrides(values, None) == {}
    assert model_overrides(_values(tiny_pair, model=""), settings_path) == {}

    built: list[Any] = []

    class FakeLocalBackend:
        def __init__(self, config: Any, log_path: Any = None) -> None:
            built.append(config)

    monkeypatch.setattr("app.engine.local.backend.LocalBackend", FakeLocalBackend)
    backends.make_backend(values, settings_path=settings_path)
    assert (built[0].n_gpu_layers, built[0].kv_type, built[0].n_ctx) == (3, KvType.Q4_0, 2048)
