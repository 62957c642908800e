"""How full the context window is, live while composing.

The numbers are the engine's where it has them: image costs are exact before sending
(``PreparedImage.tokens`` is what mtmd will use) and the window passes the engine's count of the
conversation. Only the text being typed is estimated (≈ 4 characters per token) until the
engine has counted it; the label says "≈" for as long as any part is an estimate.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QPainter, QPainterPath, QPaintEvent, QPalette
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QWidget

from app.core.budget import TurnBudget
from app.ui.theme.theme import colours, on_change
from app.ui.theme.tokens import SPACING

AMBER_FROM = 0.8


def alert_colour(_widget: QWidget | None = None) -> str:
    """The red that reads well on the current scheme's background (the theme's danger)."""
    return colours().danger


def estimate_tokens(text: str) -> int:
    """A quick upper-ish guess for text the engine has not counted yet: ⌈len / 4⌉."""
    return math.ceil(len(text) / 4)


def over_budget_text(budget: TurnBudget) -> str:
    """One sentence: how far over, and the engine's fixes."""
    return (
        f"{budget.over_by:,} tokens over the {budget.n_ctx:,}-token context "
        f"({budget.max_new_tokens:,} kept for the answer). To fix: "
        + "; ".join(budget.fixes())
        + "."
    )


def bar_segments(budget: TurnBudget) -> tuple[float, float]:
    """The bar's two parts as fractions of its width: the prompt, then the answer's room.

    The room kept for the answer is as much a part of the turn as the prompt, so it is drawn:
    the two together fill the bar exactly when Send says the turn is over. When they exceed the
    context both shrink in proportion, so the bar is full and still shows which part is which.
    """
    scale = max(budget.n_ctx, budget.needed, 1)
    return budget.prompt_tokens / scale, budget.max_new_tokens / scale


class _Bar(QWidget):
    """A thin rounded bar: the prompt solid, then the answer's room striped, then the free."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.used = 0.0
        self.reserved = 0.0
        self.color = QColor()
        self.setFixedHeight(8)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        rect = QRectF(self.rect())
        radius = rect.height() / 2
        outline = QPainterPath()
        outline.addRoundedRect(rect, radius, radius)
        painter.setClipPath(outline)
        track = self.palette().color(QPalette.ColorRole.WindowText)
        track.setAlphaF(0.12)
        painter.fillRect(rect, track)
        used = rect.width() * min(self.used, 1.0)
        reserved = rect.width() * min(self.reserved, 1.0 - min(self.used, 1.0))
        painter.fillRect(QRectF(0, 0, used, rect.height()), self.color)
        room = QRectF(used, 0, reserved, rect.height())
        faint = QColor(self.color)
        faint.setAlphaF(0.30)
        painter.fillRect(room, faint)
        stripes = QBrush(self.color, Qt.BrushStyle.BDiagPattern)
        painter.fillRect(room, stripes)
        if used > 0 and reserved > 0:  # a gap of the track's colour where the answer's room starts
            painter.fillRect(QRectF(used, 0, 1, rect.height()), self.palette().window())


class ContextMeter(QWidget):
    """ "12,345 / 32,768 tokens" over a thin bar; amber above 80 %, red when it will not fit."""

    budget_changed = Signal(object)  # TurnBudget: the composer enables Send from it

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._budget: TurnBudget | None = None
        self._estimated = False
        self._parts: tuple[int, int, int] = (0, 0, 0)  # conversation, text, images
        self.setAccessibleName("Context usage")
        self.label = QLabel("No model loaded", self)
        self.label.setObjectName("contextMeterLabel")
        self.label.setAccessibleName("Context usage")
        self.bar = _Bar(self)
        self.bar.setFixedWidth(2 * SPACING["xxl"])  # compact: it sits beside Send in the card
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(SPACING["sm"])
        layout.addStretch(1)
        layout.addWidget(self.label)
        layout.addWidget(self.bar, 0, Qt.AlignmentFlag.AlignVCenter)
        self.setToolTip("How much of the context window this conversation and message use")
        on_change(self._on_theme_changed)  # the bar's colours are cached: redo them

    @property
    def budget(self) -> TurnBudget | None:
        return self._budget

    @property
    def estimated(self) -> bool:
        return self._estimated

    def set_budget(
        self,
        conversation_tokens: int,
        pending_text_tokens: int,
        pending_image_tokens: int,
        max_new_tokens: int,
        n_ctx: int,
    ) -> None:
        """The numbers as the window knows them at once; the text's count is an estimate."""
        self._parts = (conversation_tokens, pending_text_tokens, pending_image_tokens)
        prompt = conversation_tokens + pending_text_tokens + pending_image_tokens
        budget = TurnBudget(prompt, pending_image_tokens, max_new_tokens, n_ctx)
        self._apply(budget, estimated=pending_text_tokens > 0)

    def set_turn_budget(self, budget: TurnBudget, *, estimated: bool = False) -> None:
        """A budget built elsewhere (e.g. the engine's own count of the whole turn)."""
        self._parts = (budget.prompt_tokens - budget.image_tokens, 0, budget.image_tokens)
        self._apply(budget, estimated=estimated)

    def _apply(self, budget: TurnBudget, *, estimated: bool) -> None:
        self._budget, self._estimated = budget, estimated
        approx = "≈ " if estimated else ""
        self.label.setText(f"{approx}{budget.prompt_tokens:,} / {budget.n_ctx:,} tokens")
        self.bar.used, self.bar.reserved = bar_segments(budget)
        self._colour_bar(budget)
        details = self._details(budget, approx)
        self.setToolTip(details)
        self.label.setToolTip(details)
        self.setAccessibleDescription(details)
        self.label.setAccessibleDescription(details)
        self.bar.update()
        self.budget_changed.emit(budget)

    def _colour_bar(self, budget: TurnBudget) -> None:
        """Accent while there is room, the theme's warning above 80 %, danger when over."""
        scheme = colours()
        if not budget.fits:
            self.bar.color = QColor(scheme.danger)
        elif budget.needed / max(budget.n_ctx, 1) > AMBER_FROM:
            self.bar.color = QColor(scheme.warning)
        else:
            self.bar.color = self.palette().color(QPalette.ColorRole.Highlight)
        self.label.setStyleSheet("" if budget.fits else f"color: {scheme.danger};")
        self.bar.update()

    def _on_theme_changed(self, _scheme: object) -> None:
        if self._budget is not None:
            self._colour_bar(self._budget)

    def _details(self, budget: TurnBudget, approx: str) -> str:
        conversation, text, images = self._parts
        free = budget.n_ctx - budget.needed
        lines = [
            f"Solid: this turn's prompt, {approx}{budget.prompt_tokens:,} tokens",
            f"    Conversation so far: {conversation:,} tokens",
            f"    Your message: {approx}{text:,} tokens" if text else "    Your message: empty",
            f"    Images to send: {images:,} tokens",
            f"Striped: kept for the answer, {budget.max_new_tokens:,} tokens",
            f"Empty: free, {free:,} tokens" if free > 0 else "Empty: none, the bar is full",
            f"Context size: {budget.n_ctx:,} tokens",
        ]
        if not budget.fits:
            lines.append(over_budget_text(budget))
        return "\n".join(lines)
