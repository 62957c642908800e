"""The backend registry: every backend declared once and complete, unknown kinds remote; and
``local_config``, where a model's own overrides win over the global settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app import backends
from app.backends import (
    BACKENDS,
    LA_PLATEFORME,
    LOCAL,
    OPENAI_SERVER,
    MissingSettingError,
    backend_spec,
    can,
    local_config,
    make_backend,
    model_overrides,
    target_of,
)
from app.core.budget import KvType
from app.core.errors import UserFacingError
from app.engine.capabilities import Capability
from app.models.model_overrides import ModelOverrides
from app.settings import ENGINE_KEYS, SETTINGS_BY_KEY, Settings


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


def test_every_backend_the_settings_offer_is_registered_and_no_other() -> None:
    assert set(SETTINGS_BY_KEY["backend"].choices) == {spec.kind for spec in BACKENDS}
    assert len({spec.kind for spec in BACKENDS}) == len(BACKENDS)


@pytest.mark.parametrize("spec", BACKENDS, ids=lambda spec: spec.kind)
def test_every_registered_setting_exists_and_rebuilds_the_engine(spec) -> None:
    """A backend's model and server are settings it is built from: changing one rebuilds it."""
    for key in filter(None, (spec.model_key, spec.url_key)):
        assert key in SETTINGS_BY_KEY and key in ENGINE_KEYS
    assert "backend" in ENGINE_KEYS
    assert spec.remote or not spec.setup_action  # only remote ones get an assistant button


def test_each_backend_is_built_as_declared(tiny_pair, monkeypatch: pytest.MonkeyPatch) -> None:
    """The class the factory builds carries the declared kind and every declared ability."""
    monkeypatch.setenv("MISTRAL_API_KEY", "test-key")
    methods = {
        Capability.LOADS_MODEL: "load",
        Capability.COUNTS_TOKENS: "count_tokens",
        Capability.LISTS_MODELS: "vision_models",
        Capability.SERVER_URL: "base_url",
        Capability.HAS_DEVICE: "config",
        # honoured inside generate (grammar, response_format): tests/commands/test_ask.py
        Capability.FOLLOWS_SCHEMA: "generate",
    }
    for spec in BACKENDS:
        values = _values(tiny_pair, backend=spec.kind, openai_base_url="http://box:8000/v1")
        backend = make_backend(values)
        try:
            assert backend.name == spec.kind
            for capability in spec.capabilities:
                assert hasattr(backend, methods[capability]), (spec.kind, capability)
        finally:
            backend.close()


def test_an_unknown_kind_is_remote_and_cannot_be_built(tiny_pair) -> None:
    from types import SimpleNamespace

    assert backend_spec("ollama-cloud") is None
    assert target_of(SimpleNamespace(name="ollama-cloud")).remote  # type: ignore[arg-type]
    assert not can(SimpleNamespace(name="ollama-cloud"), Capability.LOADS_MODEL)  # type: ignore[arg-type]
    with pytest.raises(UserFacingError, match="Unknown backend"):
        make_backend(_values(tiny_pair, backend="ollama-cloud"))


def test_a_missing_setting_is_named_so_each_front_end_can_word_it(tiny_pair) -> None:
    """The command line prints the message (its flags); the window words the setting."""
    with pytest.raises(MissingSettingError, match="--model") as no_model:
        make_backend(_values(tiny_pair, model=""))
    assert no_model.value.setting == "model"
    with pytest.raises(MissingSettingError, match="--openai-base-url") as no_server:
        make_backend(_values(tiny_pair, backend=OPENAI_SERVER.kind, openai_base_url=""))
    assert no_server.value.setting == "openai_base_url"


def test_labels_say_where_it_runs() -> None:
    from types import SimpleNamespace

    assert not LOCAL.target().remote and LA_PLATEFORME.target().remote
    assert LOCAL.target().label == "Local — nothing leaves this computer"
    assert LA_PLATEFORME.target("http://ignored").label == "La Plateforme (Mistral servers)"
    assert (
        OPENAI_SERVER.target("http://gpu-box.lan:8000/v1").label == "gpu-box.lan:8000 (your server)"
    )
    assert OPENAI_SERVER.target().label == "OpenAI-compatible server"
    server = SimpleNamespace(name="openai", base_url="http://gpu-box.lan:8000/v1")
    assert target_of(server).label.startswith("gpu-box.lan:8000")  # type: ignore[arg-type]


def test_a_backends_module_is_imported_off_the_gui_thread_at_start_up() -> None:
    """In a fresh process: the local engine's module loads on a thread of its own, once."""
    import subprocess
    import sys

    script = (
        "import sys; from app.backends import warm_imports;"
        "assert 'app.engine.local.backend' not in sys.modules;"
        "thread = warm_imports('local'); assert thread.name == 'warm-backend'; thread.join(60);"
        "assert 'app.engine.local.backend' in sys.modules;"
        "assert warm_imports('local') is None and warm_imports('no such') is None; print('ok')"
    )
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.stdout.strip() == "ok", done.stderr
