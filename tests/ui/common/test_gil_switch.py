"""The GUI thread waits at most about a millisecond for a GIL a pool thread holds (the effect
is measured in tests/bench/ui_bench_drop.py, not timed here)."""

from __future__ import annotations

import inspect
import sys

from app import main
from app.ui.common.gil_switch import shorten_gil_switch


def test_the_switch_interval_is_a_millisecond() -> None:
    before = sys.getswitchinterval()
    try:
        shorten_gil_switch()
        assert sys.getswitchinterval() == 0.001 < before
    finally:
        sys.setswitchinterval(before)


def test_the_app_shortens_it_at_start_up() -> None:
    assert "shorten_gil_switch()" in inspect.getsource(main.run_gui)
