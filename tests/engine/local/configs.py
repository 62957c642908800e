"""The engine configuration the local-engine tests start from: the tiny pair, small and fast."""

from __future__ import annotations

from app.engine.local.protocol import LocalEngineConfig
from tests.fixtures.pixtral_gguf import GgufPair


def tiny_config(pair: GgufPair, **overrides: object) -> LocalEngineConfig:
    """4K context, 2 threads, batches of 64: what every backend test needs, changed per test."""
    values: dict[str, object] = {
        "model_path": str(pair.model),
        "mmproj_path": str(pair.mmproj),
        "n_ctx": 4096,
        "n_threads": 2,
        "n_batch": 64,
    }
    values.update(overrides)
    return LocalEngineConfig(**values)  # type: ignore[arg-type]
