"""One real local engine per test module, on the tiny random Pixtral pair."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.engine.local.backend import LocalBackend
from tests.engine.local.configs import tiny_config
from tests.fixtures.pixtral_gguf import GgufPair


@pytest.fixture(scope="module")
def backend(
    tiny_pair: GgufPair, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalBackend]:
    engine = LocalBackend(
        tiny_config(tiny_pair), log_path=tmp_path_factory.mktemp("log") / "engine.log"
    )
    yield engine
    engine.close()
