"""The one application stylesheet and QPalette, built from the tokens for a scheme.

Both come from the same colours: the palette for what Qt paints itself (item views, the
transcript delegate, ``palette(...)`` in older per-widget styles), the stylesheet for shapes
(radius, padding, slim scrollbars) Qt's styles do not give.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QWidget

from app.resources import resource
from app.ui.theme.tokens import (
    COLOURS,
    ICON_BUTTON,
    RADIUS,
    SPACING,
    TYPE_SCALE,
    Colours,
    Scheme,
    type_points,
)


def build_palette(scheme: Scheme) -> QPalette:
    """A palette whose every role comes from the scheme's tokens."""
    c = COLOURS[scheme]
    role = QPalette.ColorRole
    palette = QPalette()
    for key, value in (
        (role.Window, c.window),
        (role.WindowText, c.text),
        (role.Base, c.surface),
        (role.AlternateBase, c.surface_alt),
        (role.Text, c.text),
        (role.Button, c.surface),
        (role.ButtonText, c.text),
        (role.BrightText, c.danger),
        (role.Highlight, c.accent),
        (role.HighlightedText, c.on_accent),
        (role.PlaceholderText, c.text_muted),
        (role.Link, c.accent),
        (role.LinkVisited, c.accent_hover),
        (role.ToolTipBase, c.surface),
        (role.ToolTipText, c.text),
        (role.Mid, c.border),
        (role.Midlight, c.surface_alt),
        (role.Dark, c.border_strong),
        (role.Light, c.surface),
        (role.Shadow, "#000000"),
    ):
        palette.setColor(key, QColor(value))
    disabled = QColor(c.text_muted)
    for key in (role.WindowText, role.Text, role.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, key, disabled)
    return palette


TONE_PROPERTY = "tone"
"""Dynamic property naming a label's text colour role (``"danger"``, ``"warning"``, or none)."""


def set_tone(widget: QWidget, tone: str = "") -> None:
    """Colour ``widget``'s text by role from the app stylesheet, so it follows light and dark."""
    if widget.property(TONE_PROPERTY) == tone:
        return
    widget.setProperty(TONE_PROPERTY, tone)
    widget.style().unpolish(widget)
    widget.style().polish(widget)
    widget.update()


def type_scale() -> dict[str, float]:
    """The type scale in points for the app font: body is that font, the rest its ratios.

    A stylesheet size is absolute, so it is worked out from the font Qt chose for this desktop
    (without an application yet, the scale's own body size)."""
    body = QGuiApplication.font().pointSizeF() if QGuiApplication.instance() else 0.0
    body = body if body > 0 else float(TYPE_SCALE["body"])
    return {role: type_points(role, body) for role in TYPE_SCALE}


def _rgba(colour: str, alpha: float) -> str:
    q = QColor(colour)
    return f"rgba({q.red()}, {q.green()}, {q.blue()}, {alpha})"


def build_stylesheet(scheme: Scheme) -> str:
    """The application stylesheet: rounded buttons and inputs, a primary button, slim bars."""
    c = COLOURS[scheme]
    r, s = RADIUS, SPACING
    return (
        f"""
QMainWindow, QDialog {{ background: {c.window}; }}
QToolTip {{ background: {c.surface}; color: {c.text}; border: 1px solid {c.border};
    border-radius: {r["sm"]}px; padding: {s["xs"]}px {s["sm"]}px; }}
QPushButton {{ background: {c.surface}; color: {c.text}; border: 1px solid {c.border};
    border-radius: {r["md"]}px; padding: {s["xs"] + 1}px {s["md"]}px; min-height: 20px; }}
QPushButton:hover {{ background: {c.surface_alt}; border-color: {c.border_strong}; }}
QPushButton:pressed {{ background: {c.border}; }}
QPushButton:focus {{ border-color: {c.accent}; }}
QPushButton:disabled {{ color: {c.text_muted}; background: {c.window}; }}
QPushButton::menu-indicator {{ subcontrol-position: right center; right: {s["xs"]}px; }}
QPushButton[primary="true"] {{ background: {c.accent}; color: {c.on_accent};
    border: 1px solid {c.accent}; font-weight: 600; padding: {s["xs"] + 1}px {s["lg"]}px; }}
QPushButton[primary="true"]:hover {{ background: {c.accent_hover}; }}
QPushButton[primary="true"]:disabled {{ background: {c.surface_alt}; color: {c.text_muted};
    border-color: {c.border}; }}
QPushButton[danger="true"] {{ background: {c.danger}; color: {c.on_danger};
    border: 1px solid {c.danger}; }}
QToolButton {{ background: transparent; color: {c.text}; border: 1px solid transparent;
    border-radius: {r["md"]}px; padding: {s["xs"]}px; }}
QToolButton:hover {{ background: {c.surface_alt}; border-color: {c.border}; }}
QToolButton[popupMode="1"] {{ border-color: {c.border}; background: {c.surface};
    padding: {s["xs"] + 1}px {s["xl"]}px {s["xs"] + 1}px {s["md"]}px; }}
QToolButton::menu-button {{ border: none; border-left: 1px solid {c.border};
    width: {s["lg"]}px; }}
QLineEdit, QPlainTextEdit, QTextEdit, QSpinBox, QDoubleSpinBox, QComboBox {{
    background: {c.surface}; color: {c.text}; border: 1px solid {c.border};
    border-radius: {r["md"]}px; padding: {s["xs"]}px {s["sm"]}px;
    selection-background-color: {c.accent}; selection-color: {c.on_accent}; }}
QLineEdit:focus, QPlainTextEdit:focus, QTextEdit:focus, QSpinBox:focus,
QDoubleSpinBox:focus, QComboBox:focus {{ border-color: {c.accent}; }}
QLineEdit:disabled, QPlainTextEdit:disabled, QTextEdit:disabled, QSpinBox:disabled,
QDoubleSpinBox:disabled, QComboBox:disabled {{ background: {c.window}; color: {c.text_muted}; }}
QComboBox::drop-down {{ border: none; width: {s["xl"]}px; }}
QListView, QTreeView, QTableView {{ background: {c.surface}; color: {c.text};
    border: 1px solid {c.border}; border-radius: {r["md"]}px; }}
QTabWidget::pane {{ border: 1px solid {c.border}; border-radius: {r["md"]}px; top: -1px; }}
QTabBar::tab {{ background: transparent; color: {c.text_muted}; padding: {s["sm"]}px {s["md"]}px;
    border: none; border-bottom: 2px solid transparent; }}
QTabBar::tab:selected {{ color: {c.text}; border-bottom-color: {c.accent}; }}
QCheckBox::indicator {{ width: {s["md"] + 2}px; height: {s["md"] + 2}px;
    border: 1px solid {c.border_strong}; border-radius: {r["sm"]}px; background: {c.surface}; }}
QCheckBox::indicator:hover, QCheckBox::indicator:focus {{ border-color: {c.accent}; }}
QCheckBox::indicator:checked {{ background: {c.accent}; border-color: {c.accent};
    image: url({_check_mark()}); }}
QCheckBox::indicator:disabled {{ background: {c.surface_alt}; border-color: {c.border}; }}
QCheckBox::indicator:checked:disabled {{ background: {c.border_strong}; }}
QGroupBox {{ border: 1px solid {c.border}; border-radius: {r["lg"]}px;
    margin-top: {s["lg"]}px; padding: {s["md"]}px; }}
QGroupBox::title {{ subcontrol-origin: margin; left: {s["md"]}px; padding: 0 {s["xs"]}px;
    color: {c.text}; font-weight: 600; }}
QProgressBar {{ background: {c.surface_alt}; border: none; border-radius: {r["sm"]}px;
    text-align: center; color: {c.text}; }}
QProgressBar::chunk {{ background: {c.accent}; border-radius: {r["sm"]}px; }}
QMenu {{ background: {c.surface}; color: {c.text}; border: 1px solid {c.border};
    border-radius: {r["md"]}px; padding: {s["xs"]}px; }}
QMenu::item {{ padding: {s["xs"] + 2}px {s["lg"]}px; border-radius: {r["sm"]}px; }}
QMenu::item:selected {{ background: {c.accent}; color: {c.on_accent}; }}
QSplitter::handle {{ background: {c.border}; }}
QSplitter#mainSplitter::handle {{ background: {c.border}; width: 1px; }}
QScrollBar:vertical {{ background: transparent; width: 10px; margin: 0; }}
QScrollBar:horizontal {{ background: transparent; height: 10px; margin: 0; }}
QScrollBar::handle {{ background: {c.border_strong}; border-radius: 4px; margin: 2px; }}
QScrollBar::handle:vertical {{ min-height: 32px; }}
QScrollBar::handle:horizontal {{ min-width: 32px; }}
QScrollBar::handle:hover {{ background: {c.text_muted}; }}
QScrollBar::handle:disabled {{ background: transparent; }}
QScrollBar::add-line, QScrollBar::sub-line {{ width: 0; height: 0; }}
QScrollBar::add-page, QScrollBar::sub-page {{ background: transparent; }}
QLabel[tone="danger"] {{ color: {c.danger}; }}
QLabel[tone="warning"] {{ color: {c.warning}; }}
#refusedNotice {{ background: {_rgba(c.danger, 0.10)}; border: 1px solid {_rgba(c.danger, 0.45)};
    border-radius: {r["sm"] + 2}px; }}
{_composer_block(c)}"""
        + _dialog_block(scheme)
        + _header_block(scheme)
        + _window_block(c)
    )


# ------------------------------------------------------------------------------------------
# Dialogs, the HTML studio and the drop overlay (issue 15 §8): the parts named in
# app/ui/theme/dialog_parts.py, the studio's bars and notes, the window's drop panel.
# ------------------------------------------------------------------------------------------
def _caret(scheme: Scheme) -> str:
    """The combo arrow: Phosphor's caret-down in the muted text colour, drawn by qtawesome to
    ``resources/icons/caret-down-<scheme>.png`` (a stylesheet can only show an image file;
    without one, a styled combo shows no arrow at all and reads as a text field)."""
    return resource("icons", f"caret-down-{scheme.value}.png").as_posix()


def _check_mark() -> str:
    """A checked box's tick: Phosphor's check-bold in the on-accent white, drawn by qtawesome
    to ``resources/icons/check.png`` (styling the indicator at all drops Qt's own tick, and a
    dark scheme's default box was near-invisible, so the box is drawn from the tokens)."""
    return resource("icons", "check.png").as_posix()


def _dialog_block(scheme: Scheme) -> str:
    """Sections with a heading and a muted description on a card, tab pages without a second
    frame, the studio's header and notes, the drop panel: all from the scheme's tokens."""
    c = COLOURS[scheme]
    r, s, t = RADIUS, SPACING, type_scale()
    return f"""
QFrame#dialogSection {{ background: {c.surface}; border: 1px solid {c.border};
    border-radius: {r["lg"]}px; }}
QFrame#dialogSection QLabel {{ background: transparent; }}
QLabel#sectionHeading {{ color: {c.text}; font-weight: 700; }}
QLabel#sectionDescription, QLabel#dialogNote {{ color: {c.text_muted}; }}
QScrollArea#dialogPage, QWidget#dialogPage {{ background: transparent; border: none; }}
QTabWidget#dialogTabs::pane {{ border: none; border-top: 1px solid {c.border};
    border-radius: 0; }}
QLabel#dialogTitle {{ color: {c.text}; font-size: {t["subtitle"]}pt; font-weight: 600; }}
QDialogButtonBox {{ button-layout: 3; }}
QFrame#dialogSection QListView {{ padding: {s["xs"]}px; }}
QFrame#dialogSection QListView::item:selected {{ background: {c.accent}; color: {c.on_accent};
    border-radius: {r["sm"]}px; }}
QFrame#dialogSection QComboBox::down-arrow, QWidget#studioBar QComboBox::down-arrow,
QWidget#studioPanes QComboBox::down-arrow {{ image: url({_caret(scheme)});
    width: {s["md"]}px; height: {s["md"]}px; }}
QFrame#dialogSection QComboBox::down-arrow:disabled {{ image: none; }}
QFrame#dialogSection QAbstractSpinBox::up-button,
QFrame#dialogSection QAbstractSpinBox::down-button {{ width: 0; border: none; }}
QLabel[tone="success"] {{ color: {c.success}; }}
QLabel[tone="muted"] {{ color: {c.text_muted}; }}
QWidget#studioBar {{ background: {c.surface}; border-bottom: 1px solid {c.border}; }}
QLabel#paneTitle {{ color: {c.text_muted}; font-weight: 600; }}
QSplitter#studioPanes::handle {{ background: transparent; }}
QLabel#scaledPicture {{ background: {c.surface}; border: 1px solid {c.border};
    border-radius: {r["md"]}px; color: {c.text_muted}; }}
QLabel#blockedBanner {{ background: {c.notice}; color: {c.on_notice};
    padding: {s["sm"]}px {s["md"]}px; border-radius: {r["md"]}px; }}
QWidget#dropOverlay {{ background: {_rgba(c.accent, 0.22)};
    border: 3px dashed {_rgba(c.accent, 0.8)}; border-radius: {r["lg"]}px; }}
QLabel#dropOverlayText {{ background: {c.surface}; color: {c.accent};
    font-size: {t["title"]}pt; font-weight: 600; padding: {s["lg"]}px {s["xl"]}px;
    border: 1px solid {c.border}; border-radius: {r["lg"]}px; }}
"""


# ------------------------------------------------------------------------------------------
# The composer (issue 15 §4): one rounded input card holding the attachments, a borderless
# text box and a row of quiet tools beside a round Send/Stop; image cards and document chips.
# ------------------------------------------------------------------------------------------
def _composer_block(c: Colours) -> str:
    """Rules for the composer card, its tools, Send/Stop, image cards and document chips."""
    r, s, t, b = RADIUS, SPACING, type_scale(), ICON_BUTTON
    plate = _rgba(COLOURS[Scheme.DARK].window, 0.72)  # over any thumbnail, light or dark
    return f"""
#composerCard {{ background: {c.surface}; border: 1px solid {c.border_strong};
    border-radius: {r["lg"]}px; }}
#composerCard[focused="true"] {{ border-color: {c.accent}; }}
QPlainTextEdit#composerEditor {{ background: transparent; border: none; padding: 0; }}
QToolButton[composerTool="true"] {{ background: transparent; color: {c.text};
    border: 1px solid transparent; border-radius: {r["md"]}px;
    padding: {s["xs"]}px {s["sm"]}px; }}
QToolButton[composerTool="true"]:hover {{ background: {c.surface_alt}; border-color: {c.border}; }}
QToolButton[composerTool="true"]:focus {{ border-color: {c.accent}; }}
QToolButton[composerTool="true"][popupMode="1"] {{ padding-right: {s["lg"] + s["xs"]}px; }}
QToolButton[composerTool="true"]::menu-button {{ border: none;
    border-left: 1px solid {c.border}; width: {s["lg"]}px; }}
QToolButton#composerAttach {{ padding: {s["xs"]}px; }}
QToolButton#composerAttach::menu-indicator {{ image: none; width: 0; }}
QToolButton[composerTool="true"][popupMode="2"] {{ padding-right: {s["lg"]}px; }}
QToolButton[composerTool="true"]::menu-indicator {{ subcontrol-origin: padding;
    subcontrol-position: right center; right: {s["xs"]}px; }}
QToolButton#sendButton {{ background: {c.accent}; border: none;
    border-radius: {b["lg"] // 2}px; padding: 0; }}
QToolButton#sendButton:hover {{ background: {c.accent_hover}; }}
QToolButton#sendButton:focus {{ border: 2px solid {c.text}; }}
QToolButton#sendButton:disabled {{ background: {c.surface_alt}; }}
QToolButton#sendButton[stop="true"] {{ background: {c.danger}; }}
#contextMeterLabel {{ color: {c.text_muted}; }}
#pendingBody, #pendingStrip, #documentChips, #documentChipsBody {{
    background: transparent; }}
#pendingCard {{ background: {c.surface}; border: 1px solid {c.border};
    border-radius: {r["md"]}px; }}
#pendingCard:focus {{ border-color: {c.accent}; background: {c.surface_alt}; }}
#pendingPicture {{ background: {c.surface_alt}; border-radius: {r["sm"]}px;
    font-size: {t["title"]}pt; color: {c.text_muted}; }}
QToolButton#pendingRemove {{ background: {plate}; border: none;
    border-radius: {b["sm"] // 2}px; padding: 0; }}
QToolButton#pendingRemove:hover, QToolButton#pendingRemove:focus {{
    background: {c.danger}; }}
#pendingCost {{ color: {c.text_muted}; }}
QComboBox#pendingDetail {{ padding: 0 {s["xs"]}px; }}
QComboBox#pendingDetail::drop-down {{ width: {s["lg"]}px; }}
#documentChip {{ background: {c.surface_alt}; border: 1px solid {c.border};
    border-radius: {r["md"]}px; }}
QToolButton#documentChipRemove {{ border: none; padding: 0; }}
QToolButton#documentChipRemove:hover, QToolButton#documentChipRemove:focus {{
    background: {c.border}; }}
"""


# ------------------------------------------------------------------------------------------
# The header (issue 15 §5): the model control, the loading bar, the failure note and the
# privacy badge, a pill tinted green while messages stay here and amber when they leave.
# ------------------------------------------------------------------------------------------
def _header_block(scheme: Scheme) -> str:
    """Rules for the strip above the chat and its parts (app/ui/window/model_control.py)."""
    c = COLOURS[scheme]
    r, s = RADIUS, SPACING
    return f"""
#engineHeader {{ background: {c.surface}; border-bottom: 1px solid {c.border}; }}
QPushButton#modelButton {{ background: transparent; border: 1px solid transparent;
    border-radius: {r["md"]}px; padding: 0; min-height: 0; }}
QPushButton#modelButton:hover {{ background: {c.surface_alt}; border-color: {c.border}; }}
QPushButton#modelButton:focus {{ border-color: {c.accent}; }}
QPushButton#modelButton:pressed, QPushButton#modelButton:open {{ background: {c.surface_alt};
    border-color: {c.border_strong}; }}
QPushButton#modelButton::menu-indicator {{ image: none; width: 0; }}
QLabel#modelName {{ color: {c.text}; font-weight: 600; background: transparent; }}
QLabel#modelWhere {{ color: {c.text_muted}; background: transparent; }}
QLabel#modelWhere[tone="danger"] {{ color: {c.danger}; }}
QPushButton#loadFailureDetails {{ padding: {s["xxs"]}px {s["sm"]}px; color: {c.danger}; }}
QProgressBar#loadBar {{ border-radius: {r["md"]}px; }}
QProgressBar#loadBar::chunk {{ background: {_rgba(c.accent, 0.45)}; border-radius: {r["md"]}px; }}
QFrame#privacyBadge {{ background: {_rgba(c.success, 0.12)};
    border: 1px solid {_rgba(c.success, 0.40)}; border-radius: {r["lg"]}px; }}
QFrame#privacyBadge[remote="true"] {{ background: {_rgba(c.warning, 0.12)};
    border-color: {_rgba(c.warning, 0.45)}; }}
QLabel#privacyBadgeText {{ color: {c.text}; background: transparent; }}
QMenu#modelMenu::item:disabled {{ color: {c.text_muted}; font-weight: 600; }}
"""


# ------------------------------------------------------------------------------------------
# The window's panes: the chat on one open surface (no box around the transcript, as in the
# chat apps people know), the sidebar a step off it, one hairline between the two, and the
# engine's activity as a muted caption over the composer card.
# ------------------------------------------------------------------------------------------
def _window_block(c: Colours) -> str:
    """Rules for the chat pane, the transcript, the sidebar and the activity caption."""
    s, t = SPACING, type_scale()
    return f"""
QWidget#chatPane {{ background: {c.surface}; }}
QListView#transcript {{ background: {c.surface}; border: none; border-radius: 0; }}
QScrollArea#setupPage, QWidget#setupPageBody {{ background: {c.surface}; border: none; }}
QWidget#setupPageBody QLabel#dialogTitle {{ font-size: {t["title"]}pt; }}
QWidget#sidebar {{ background: {c.window}; }}
QListView#conversationList, QLabel#noMatches {{ background: transparent; border: none; }}
QLabel#noMatches {{ color: {c.text_muted}; }}
QToolButton#chatMore {{ padding: 0; }}
QLabel#activityLine {{ color: {c.text_muted}; font-size: {t["caption"]}pt;
    padding: 0 {s["sm"] + s["xs"]}px; background: transparent; }}
QLabel#activityLine[tone="danger"] {{ color: {c.danger}; }}
"""
