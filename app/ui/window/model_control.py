"""The header's parts: the model control, the loading bar and the privacy badge.

Each keeps its size whatever it shows, so the header never jumps or wraps: the model control
elides a long name, the loading bar elides its words inside a fixed box, and the badge has one
width for every backend (a long server name is elided, the whole of it in the tooltip). Icons
are drawn in the current scheme's colours and redrawn when it changes.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QKeyEvent, QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QWidget,
)

from app.backends import LOCAL
from app.engine.backend_choice import Target
from app.ui.theme.icons import current_scheme, icon
from app.ui.theme.stylesheet import set_tone
from app.ui.theme.theme import on_change
from app.ui.theme.tokens import SPACING, Scheme

NAME_WIDTH = 260
"""The most the model's name takes in the control; a longer name is elided (tooltip: all)."""

WHERE_WIDTH = 180
"""The most "where it runs" takes ("Local · CUDA", a server's host); longer is elided."""

LOAD_BAR_WIDTH = 280
"""The loading bar's fixed width: the longest phrase and "100%" fit; longer text is elided."""

LOCAL_BADGE = LOCAL.label
"""What the badge says while conversations stay here ("Local — nothing leaves this computer")."""


def badge_words(target: Target) -> tuple[str, str]:
    """The badge's text and tooltip for conversations going to ``target``.

    Remote: "Sent to La Plateforme" — the target's label without its parenthesis, which the
    tooltip keeps ("La Plateforme (Mistral servers)", "gpu-box:8000 (your server)").
    """
    if not target.remote:
        return LOCAL_BADGE, "Messages, images and documents stay on this computer."
    short = target.label.split(" (")[0].strip() or target.label
    return (
        f"Sent to {short}",
        f"Messages and images are sent to {target.label}. Private chats and documents never are.",
    )


class _IconLabel(QLabel):
    """A label showing one named icon at the text's height, redrawn when the scheme changes."""

    def __init__(self, name: str, role: str = "text", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._name, self._role = name, role
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self._draw(current_scheme())
        on_change(self._draw)

    def set_icon(self, name: str, role: str = "text") -> None:
        self._name, self._role = name, role
        self._draw(current_scheme())

    def _draw(self, scheme: Scheme) -> None:
        side = self.fontMetrics().height() + SPACING["xxs"]
        self.setPixmap(icon(self._name, scheme, self._role).pixmap(QSize(side, side)))
        self.setFixedSize(side, side)


class ModelButton(QPushButton):
    """Which model answers and where it runs, as a control: the menu of choices opens from it.

    A button (focusable, announced as one) whose face is a row: an icon for where the model
    runs, the model's human name, where it runs in muted words, and a chevron. Enter opens the
    menu as Space and a click do.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("modelButton")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName("Model")
        self.kind_icon = _IconLabel("local_model")
        self.name_label = QLabel()
        self.name_label.setObjectName("modelName")
        self.where_label = QLabel()
        self.where_label.setObjectName("modelWhere")
        chevron = _IconLabel("chevron_down", "text_muted")
        row = QHBoxLayout(self)
        row.setContentsMargins(SPACING["sm"], SPACING["xs"], SPACING["sm"], SPACING["xs"])
        row.setSpacing(SPACING["sm"])
        for part in (self.kind_icon, self.name_label, self.where_label, chevron):
            part.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
            row.addWidget(part)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def show_choice(self, name: str, where: str, remote: bool, failed: bool = False) -> None:
        """``name`` is the model's human name, ``where`` where it runs ("Local · CUDA");
        ``failed`` colours ``where`` as an error (the model could not be loaded)."""
        self.kind_icon.set_icon("remote_model" if remote else "local_model")
        elide = Qt.TextElideMode.ElideMiddle
        self.name_label.setText(self.name_label.fontMetrics().elidedText(name, elide, NAME_WIDTH))
        metrics = self.where_label.fontMetrics()
        self.where_label.setText(metrics.elidedText(where, elide, WHERE_WIDTH))
        self.where_label.setVisible(bool(where))
        set_tone(self.where_label, "danger" if failed else "")
        said = f"{name} — {where}" if where else name
        self.setToolTip(f"{said}. Choose another model, load or unload it (Ctrl+M).")
        self.setAccessibleDescription(f"{name}, {where}" if where else name)
        self.updateGeometry()

    def sizeHint(self) -> QSize:
        """The row's own size: a push button measures only its (empty) text and icon."""
        layout = self.layout()
        return layout.sizeHint() if layout is not None else super().sizeHint()

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.menu() is not None:
            self.showMenu()
            return
        super().keyPressEvent(event)


class LoadBar(QProgressBar):
    """Model loading progress on one line: fixed size, its words elided to fit (whole in the
    tooltip), so a long phrase never wraps or widens the header."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("loadBar")
        self.setAccessibleName("Model loading progress")
        self.setRange(0, 100)
        self.setTextVisible(True)
        self.setFixedWidth(LOAD_BAR_WIDTH)
        self._words = ""

    def set_progress(self, words: str, percent: int) -> None:
        self._words = f"{words} {percent}%"
        self.setValue(percent)
        self.setToolTip(self._words)
        self.setAccessibleDescription(self._words)
        self._elide()

    def _elide(self) -> None:
        room = self.contentsRect().width() - 2 * SPACING["sm"]
        self.setFormat(
            self.fontMetrics().elidedText(self._words, Qt.TextElideMode.ElideMiddle, room)
        )

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()


class PrivacyBadge(QFrame):
    """Where messages go, as a pill of one fixed size: a lock and "Local — nothing leaves this
    computer" here, a globe and "Sent to La Plateforme" when they leave."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("privacyBadge")
        self.setAccessibleName("Where messages go")
        self.lock = _IconLabel("lock", "success")
        self.text_label = QLabel()
        self.text_label.setObjectName("privacyBadgeText")
        row = QHBoxLayout(self)
        row.setContentsMargins(SPACING["md"], SPACING["xs"], SPACING["md"], SPACING["xs"])
        row.setSpacing(SPACING["xs"] + SPACING["xxs"])
        row.addWidget(self.lock)
        row.addWidget(self.text_label, 1)
        # The local words always fit whole (elidedText wants a little more than their advance).
        metrics = self.text_label.fontMetrics()
        self._room = metrics.horizontalAdvance(LOCAL_BADGE) + metrics.averageCharWidth()
        self.text_label.setFixedWidth(self._room)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.show_target(Target(LOCAL.label, remote=False))

    def show_target(self, target: Target) -> None:
        text, tip = badge_words(target)
        metrics = self.text_label.fontMetrics()
        self.text_label.setText(metrics.elidedText(text, Qt.TextElideMode.ElideMiddle, self._room))
        self.text_label.setToolTip(tip)
        self.setToolTip(tip)
        self.setAccessibleDescription(f"{text}. {tip}")
        self.lock.set_icon("sent_away" if target.remote else "lock",
                           "warning" if target.remote else "success")  # fmt: skip
        self.setProperty("remote", target.remote)
        self.style().unpolish(self)
        self.style().polish(self)
        self.text_label.style().unpolish(self.text_label)
        self.text_label.style().polish(self.text_label)

    def text(self) -> str:
        return self.text_label.text()
