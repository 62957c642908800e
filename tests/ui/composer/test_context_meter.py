"""The context meter: numbers, estimate marker, colours, and the over-budget explanation."""

from __future__ import annotations

from PySide6.QtGui import QColor

from app.core.budget import TurnBudget
from app.ui.composer.context_meter import ContextMeter, estimate_tokens, over_budget_text


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
    meter.set_exact(300)
    assert meter.label.text() == "12,356 / 32,768 tokens"
    assert not meter.estimated
    assert "Your message: 300 tokens" in meter.toolTip()
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
