"""The studio's passive panes: a picture that scales, the side-by-side comparison, the changes.

They only show what they are given; the studio window decides what and when.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPixmap, QResizeEvent, QTextCharFormat
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QSizePolicy,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.ui.theme.theme import colours, on_change
from app.ui.theme.tokens import SPACING
from app.workflows.html_versions import ChangeLine, PageVersion, change_summary, changes_between


class ScaledPicture(QLabel):
    """An image scaled to fit (never up), top-centred like a page, named for screen readers."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._pixmap = QPixmap()
        self.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.setMinimumSize(120, 90)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.setAccessibleName(name)
        self.setObjectName("scaledPicture")  # framed by the theme's stylesheet

    def set_image(self, image: QImage | None, placeholder: str = "") -> None:
        self._pixmap = QPixmap.fromImage(image) if image is not None else QPixmap()
        if self._pixmap.isNull():
            self.setPixmap(QPixmap())
            self.setText(placeholder)
        else:
            self.setText("")
            self._fit()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        if self._pixmap.isNull():
            return
        box = self.size() - QSize(4, 4)
        pixmap = self._pixmap
        if pixmap.width() > box.width() or pixmap.height() > box.height():
            pixmap = pixmap.scaled(
                box, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
            )
        self.setPixmap(pixmap)


class ComparePane(QWidget):
    """Original and render side by side; "Show differences" swaps the render for the overlay."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.original = ScaledPicture("Original screenshot")
        self.render = ScaledPicture("The page as rendered")
        self.differences = QCheckBox("Show differences")
        self.differences.setToolTip(
            "Highlight in magenta the pixels where the render differs from the original"
        )
        self.summary = QLabel("")
        self.summary.setAccessibleName("How close the render is")
        self._render_image: QImage | None = None
        self._overlay_image: QImage | None = None
        pictures = QHBoxLayout()
        pictures.addWidget(self._titled("Original", self.original), 1)
        pictures.addWidget(self._titled("Render", self.render), 1)
        bar = QHBoxLayout()
        bar.addWidget(self.differences)
        bar.addWidget(self.summary, 1)
        column = QVBoxLayout(self)
        column.addLayout(pictures, 1)
        column.addLayout(bar)
        self.differences.toggled.connect(self._show_render)

    @staticmethod
    def _titled(title: str, picture: QWidget) -> QWidget:
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(pane_title(title))
        column.addWidget(picture, 1)
        return box

    def set_original(self, image: QImage | None) -> None:
        self.original.set_image(image, "No screenshot in this chat.")

    def set_render(self, render: QImage | None, overlay: QImage | None, summary: str) -> None:
        self._render_image, self._overlay_image = render, overlay
        self.summary.setText(summary)
        self._show_render()

    def show_waiting(self, text: str) -> None:
        self._render_image = self._overlay_image = None
        self.summary.setText("")
        self.render.set_image(None, text)

    def _show_render(self) -> None:
        image = self._overlay_image if self.differences.isChecked() else self._render_image
        if image is not None:
            self.render.set_image(image)


def pane_title(title: str) -> QLabel:
    """The small muted caption over a pane ("Original", "Render")."""
    label = QLabel(title)
    label.setObjectName("paneTitle")
    return label


def studio_bar(leading: Sequence[QWidget], status: QLabel, trailing: Sequence[QWidget]) -> QWidget:
    """The studio's header strip: version and actions on the left, the status taking the
    room between, copy and save on the right; a surface with a rule under it, like the chat's."""
    header = QWidget()
    header.setObjectName("studioBar")
    header.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
    bar = QHBoxLayout(header)
    bar.setContentsMargins(SPACING["md"], SPACING["sm"], SPACING["md"], SPACING["sm"])
    bar.setSpacing(SPACING["sm"])
    for widget in leading:
        bar.addWidget(widget)
    bar.addWidget(status, 1)
    for widget in trailing:
        bar.addWidget(widget)
    return header


def studio_body(header: QWidget, banner: QWidget, panes: QSplitter) -> QWidget:
    """The header over the panes, which keep a margin from the window's edges."""
    panes.setHandleWidth(SPACING["sm"])
    panes.setObjectName("studioPanes")  # a gap between the panes, not a grey bar
    inner = QWidget()
    column = QVBoxLayout(inner)
    column.setContentsMargins(SPACING["md"], SPACING["sm"], SPACING["md"], SPACING["md"])
    column.setSpacing(SPACING["sm"])
    column.addWidget(banner)
    column.addWidget(panes, 1)
    body = QWidget()
    outer = QVBoxLayout(body)
    outer.setContentsMargins(0, 0, 0, 0)
    outer.setSpacing(0)
    outer.addWidget(header)
    outer.addWidget(inner, 1)
    return body


def _kind_colours() -> dict[str, QColor]:
    """Added lines green, removed red, hunk headers in the accent: the scheme shown now's."""
    c = colours()
    return {"+": QColor(c.success), "-": QColor(c.danger), "@": QColor(c.accent)}


class ChangesPane(QWidget):
    """A coloured unified diff between the version shown and another (the one before, unless
    the user picks another in "Compare with")."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.against = QComboBox()
        self.against.setAccessibleName("Compare with version")
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        font = QFont("monospace")
        font.setStyleHint(QFont.StyleHint.TypeWriter)
        self.text.setFont(font)
        self.text.setAccessibleName("Changes between versions")
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Compare with:"))
        bar.addWidget(self.against)
        bar.addStretch(1)
        column = QVBoxLayout(self)
        gap = SPACING["sm"]
        column.setContentsMargins(gap, gap, gap, gap)
        column.addLayout(bar)
        column.addWidget(self.text, 1)
        self._versions: list[PageVersion] = []
        self._current: PageVersion | None = None
        self.against.currentIndexChanged.connect(self._show)
        on_change(self._on_theme_changed)

    def _on_theme_changed(self, _scheme: object) -> None:
        self._show()  # the diff's colours are baked into the text: write it again

    def toPlainText(self) -> str:
        return self.text.toPlainText()

    def show_for(self, versions: Sequence[PageVersion], current: PageVersion | None) -> None:
        """Offer every other version to compare ``current`` with; the one before by default."""
        self._current = current
        self._versions = [v for v in versions if current is None or v.number != current.number]
        self.against.blockSignals(True)
        self.against.clear()
        self.against.addItems([version.label for version in self._versions])
        before = [v for v in self._versions if current and v.number < current.number]
        self.against.setCurrentIndex(self._versions.index(before[-1]) if before else 0)
        self.against.setEnabled(bool(self._versions))
        self.against.blockSignals(False)
        self._show()

    def _show(self) -> None:
        index = self.against.currentIndex()
        current = self._current
        if current is None:
            self._write("No versions yet.", [])
        elif not 0 <= index < len(self._versions):
            self._write(f"{current.label} is the only one: nothing to compare with.", [])
        else:
            other = self._versions[index]
            old, new = (other, current) if other.number < current.number else (current, other)
            lines = changes_between(old.html, new.html)
            self._write(f"{old.label} → {new.label}: {change_summary(lines)}", lines)

    def _write(self, heading: str, lines: Sequence[ChangeLine]) -> None:
        self.text.clear()
        cursor = self.text.textCursor()
        bold = QTextCharFormat()
        bold.setFontWeight(QFont.Weight.Bold)
        cursor.insertText(heading + "\n\n", bold)
        kinds = _kind_colours()
        for line in lines:
            fmt = QTextCharFormat()
            colour = kinds.get(line.kind)
            if colour is not None:
                fmt.setForeground(colour)
            text = line.text if line.kind == "@" else f"{line.kind} {line.text}"
            cursor.insertText(text + "\n", fmt)
        self.text.moveCursor(self.text.textCursor().MoveOperation.Start)


class BlockedBanner(QLabel):
    """Says which resources the offline preview blocked, so a broken-looking page is explained."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setObjectName("blockedBanner")  # the notice colours, from the theme's stylesheet
        self.setAccessibleName("Blocked resources")
        self.hide()

    def show_urls(self, urls: Sequence[str]) -> None:
        if not urls:
            self.hide()
            return
        shown = ", ".join(_short(url) for url in urls[:4])
        more = f" and {len(urls) - 4} more" if len(urls) > 4 else ""
        self.setText(
            f"The preview works offline: it blocked {len(urls)} resource"
            f"{'s' * (len(urls) != 1)} this page asks for ({shown}{more}). "
            "Pages that rely on a CDN look unstyled here; “Fix differences” asks Pixtral to "
            "inline what it needs."
        )
        self.setToolTip("\n".join(urls))
        self.show()


def _short(url: str, limit: int = 60) -> str:
    return url if len(url) <= limit else url[: limit - 1] + "…"
