"""The context meter: numbers, estimate marker, colours, and the over-budget explanation."""

from __future__ import annotations

import re

import pytest
from PySide6.QtGui import QColor

from app.core.budget import TurnBudget
from app.ui.composer.context_meter import (
    ContextMeter,
    bar_segments,
    estimate_tokens,
    over_budget_text,
)


def test_estimate_is_a_quarter_of_the_characters_rounded_up() -> None:
    assert estimate_tokens("") == 0
    assert estimate_tokens("abcd") == 1
    assert estimate_tokens("abcde") == 2


def test_shows_used_over_available_and_marks_estimates(qtbot) -> None:
    meter = ContextMeter()
    qtbot.addWidget(meter)
    with qtbot.waitSignal(meter.budget_changed) as changed:
        meter.set_budget(10_000, 289, 2_056, 1_024, 32_768)
    assert meter.label.text() == "≈ 12,345 / 32,768 tokens"
    assert changed.args[0] == TurnBudget(12_345, 2_056, 1_024, 32_768)
    assert "Your message: ≈ 289 tokens" in meter.toolTip()
    meter.set_turn_budget(TurnBudget(12_356, 2_056, 1_024, 32_768))  # the engine's count
    assert meter.label.text() == "12,356 / 32,768 tokens"
    assert not meter.estimated
    assert meter.accessibleName() and meter.accessibleDescription()


def test_bar_turns_amber_above_80_percent_and_red_when_over(qtbot) -> None:
    meter = ContextMeter()
    qtbot.addWidget(meter)
    highlight = meter.palette().color(meter.palette().ColorRole.Highlight)
    meter.set_budget(1_000, 0, 0, 1_000, 32_768)
    assert meter.bar.color == highlight
    meter.set_budget(26_000, 0, 0, 1_000, 32_768)
    amber = meter.bar.color
    assert amber != highlight and amber.red() > amber.blue()
    meter.set_budget(32_000, 0, 4_000, 1_000, 32_768)
    red = meter.bar.color
    assert red not in (highlight, amber) and red.red() > 200 and red.green() < 150
    assert meter.budget is not None and not meter.budget.fits
    assert "4,232 tokens over" in meter.toolTip()
    assert "lower the image detail" in meter.toolTip()
    assert isinstance(red, QColor)


def test_over_budget_text_lists_the_engines_fixes() -> None:
    budget = TurnBudget(30_000, 8_000, 4_096, 32_768)
    text = over_budget_text(budget)
    assert text.startswith(f"{budget.over_by:,} tokens over")
    for fix in budget.fixes():
        assert fix in text


def test_a_turn_budget_can_be_passed_whole(qtbot) -> None:
    meter = ContextMeter()
    qtbot.addWidget(meter)
    meter.set_turn_budget(TurnBudget(5_000, 1_000, 512, 8_192))
    assert meter.label.text() == "5,000 / 8,192 tokens"
    assert "Images to send: 1,000 tokens" in meter.toolTip()


def test_the_answers_room_is_drawn_so_the_bar_is_full_exactly_when_over(qtbot) -> None:
    meter = ContextMeter()
    qtbot.addWidget(meter)
    meter.set_budget(23_593, 0, 0, 9_956, 32_768)  # 72 % prompt, 781 over
    assert meter.budget is not None and meter.budget.over_by == 781
    assert meter.bar.used + meter.bar.reserved == pytest.approx(1.0)
    assert meter.bar.used < 0.72 and meter.bar.reserved > 0.28  # both parts stay visible
    meter.set_budget(20_000, 0, 0, 4_096, 32_768)
    assert meter.bar.used == pytest.approx(20_000 / 32_768)
    assert meter.bar.reserved == pytest.approx(4_096 / 32_768)
    assert meter.bar.used + meter.bar.reserved < 1.0
    assert bar_segments(TurnBudget(40_000, 0, 1_000, 32_768)) == pytest.approx((40 / 41, 1 / 41))
    tip = meter.toolTip()
    assert "Solid: this turn's prompt, 20,000 tokens" in tip
    assert "Striped: kept for the answer, 4,096 tokens" in tip
    assert "Empty: free, 8,672 tokens" in tip


def test_the_answers_room_looks_unlike_the_prompt_and_the_free_part(qtbot) -> None:
    meter = ContextMeter()
    qtbot.addWidget(meter)
    meter.show()
    meter.set_budget(10_000, 0, 0, 10_000, 40_000)  # 25 %, 25 %, 50 % free
    image = meter.bar.grab().toImage()
    middle = image.height() // 2

    def colours(start: float, end: float) -> set[int]:
        xs = range(int(image.width() * start) + 2, int(image.width() * end) - 2)
        return {image.pixel(x, middle) for x in xs}

    prompt, room, free = colours(0.0, 0.25), colours(0.25, 0.5), colours(0.5, 1.0)
    assert len(prompt) == 1 and len(free) == 1  # solid, and the bare track
    assert room - prompt - free  # drawn, and in colours of its own (stripes)
    assert len(room) > 1


def test_every_number_in_the_meter_has_thousands_separators(qtbot) -> None:
    meter = ContextMeter()
    qtbot.addWidget(meter)
    meter.set_budget(23_593, 0, 9_219, 9_956, 32_768)
    assert meter.label.text() == "32,812 / 32,768 tokens"
    numbers = re.findall(r"\d[\d,]*\d|\d", meter.toolTip())
    assert "9,219" in numbers
    assert all(len(n.replace(",", "")) < 4 or "," in n for n in numbers), numbers
