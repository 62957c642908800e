"""The composer's images go through the core's size check: a bomb dropped or pasted is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.errors import ImageError
from app.core.images import Detail
from app.ui.composer.pending_images import ImageSource, prepare_pending
from tests.core.png_factory import tall_grey_png


@pytest.mark.parametrize("as_file", [True, False])
def test_a_dropped_or_pasted_bomb_is_refused_on_the_pool(tmp_path: Path, as_file: bool) -> None:
    data = tall_grey_png(100_000_000)
    path = tmp_path / "bomb.png"
    path.write_bytes(data)
    source = ImageSource(path if as_file else data, "bomb.png", Detail.NATIVE)
    with pytest.raises(ImageError, match=r"'bomb\.png' \(1×100000000\) is too large"):
        prepare_pending(source)
