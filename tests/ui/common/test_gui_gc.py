"""Reference cycles are collected on the GUI thread, never on a pool thread."""

from __future__ import annotations

import gc
import threading
from typing import ClassVar

from PySide6.QtCore import QObject

from app.ui.common.background import run_in_background
from app.ui.common.gui_gc import GuiThreadCollector


class _Cycle:
    """An object in a reference cycle that records the thread it dies on."""

    deaths: ClassVar[list[str]] = []

    def __init__(self) -> None:
        self.me = self

    def __del__(self) -> None:
        _Cycle.deaths.append(threading.current_thread().name)


def test_cycles_made_and_dropped_die_on_the_gui_thread(qtbot) -> None:
    was_enabled = gc.isenabled()
    gc.enable()  # as in a fresh interpreter (the test session keeps it off: tests/conftest.py)
    owner = QObject()
    collector = GuiThreadCollector(owner, interval_ms=20)
    try:
        assert not gc.isenabled()
        _Cycle.deaths.clear()
        for _ in range(50):
            _Cycle()

        def churn() -> list[dict]:  # allocations on a pool thread would have collected there
            # Kept alive (handed back): freed at once, they would take the allocation count
            # back down, and whether a threshold was passed would depend on earlier tests.
            return [{"n": [i]} for i in range(200_000)]

        done: list[list[dict]] = []
        run_in_background(churn, done.append)
        qtbot.waitUntil(lambda: bool(done), timeout=10_000)
        qtbot.waitUntil(lambda: len(_Cycle.deaths) == 50, timeout=10_000)
        assert set(_Cycle.deaths) == {threading.main_thread().name}
    finally:
        collector.stop()
    assert gc.isenabled()  # as it found it
    if not was_enabled:
        gc.disable()


def test_nothing_is_collected_before_a_threshold_is_passed() -> None:
    owner = QObject()
    collector = GuiThreadCollector(owner, interval_ms=10_000)
    try:
        gc.collect()
        assert collector.collect_due() == 0
    finally:
        collector.stop()


def test_freezing_start_up_keeps_its_objects_out_of_later_collections() -> None:
    owner = QObject()
    collector = GuiThreadCollector(owner, interval_ms=10_000)
    try:
        before = gc.get_freeze_count()
        collector.freeze_startup()
        assert gc.get_freeze_count() > before
        assert owner not in gc.get_objects(generation=2)  # a full collection walks past it
    finally:
        gc.unfreeze()  # the rest of the test session collects as before
        collector.stop()


def _make_full_collection_due() -> None:
    gc.collect()
    for _ in range(gc.get_threshold()[2] + 1):
        gc.collect(1)  # each young collection counts towards the oldest generation's
    assert gc.get_count()[2] > gc.get_threshold()[2]


def test_a_full_collection_waits_while_the_window_animates(monkeypatch) -> None:
    import app.ui.common.gui_gc as gui_gc

    owner = QObject()
    collector = GuiThreadCollector(owner, interval_ms=10_000)
    busy = [True]
    collector.defer_full_while(lambda: busy[0])
    try:
        _make_full_collection_due()
        collector.collect_due()
        assert gc.get_count()[2] > gc.get_threshold()[2]  # still due: it waited
        busy[0] = False
        collector.collect_due()
        assert gc.get_count()[2] > gc.get_threshold()[2]  # still, but not for long enough
        monkeypatch.setattr(gui_gc, "STILL_S", 0.0)
        collector.collect_due()
        assert gc.get_count()[2] == 0  # the window has been still: collected
    finally:
        collector.stop()


def test_a_full_collection_waits_no_longer_than_the_limit(monkeypatch) -> None:
    import app.ui.common.gui_gc as gui_gc

    owner = QObject()
    collector = GuiThreadCollector(owner, interval_ms=10_000)
    collector.defer_full_while(lambda: True)  # animating for ever
    try:
        _make_full_collection_due()
        collector.collect_due()
        assert gc.get_count()[2] > gc.get_threshold()[2]
        monkeypatch.setattr(gui_gc, "FULL_DEFER_LIMIT_S", 0.0)
        collector.collect_due()
        assert gc.get_count()[2] == 0
    finally:
        collector.stop()


def test_stopping_leaves_collection_as_it_found_it() -> None:
    was_enabled = gc.isenabled()
    try:
        for enabled in (False, True):
            (gc.enable if enabled else gc.disable)()
            owner = QObject()
            collector = GuiThreadCollector(owner, interval_ms=10_000)
            assert not gc.isenabled()
            collector.stop()
            assert gc.isenabled() is enabled
    finally:
        (gc.enable if was_enabled else gc.disable)()
