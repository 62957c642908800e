"""Design tokens: spacing, radii, type sizes, colours for light and dark, and elevation.

A small, coherent palette (neutral greys, one accent blue, a danger red) keeps every screen
looking like one app; widgets name a role, never a hex value, so both schemes stay in step.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Scheme(Enum):
    LIGHT = "light"
    DARK = "dark"


SPACING = {"xxs": 2, "xs": 4, "sm": 8, "md": 12, "lg": 16, "xl": 24, "xxl": 32}
"""Pixels between and inside elements; a 4-px grid so edges line up across widgets."""

RADIUS = {"sm": 4, "md": 8, "lg": 12, "pill": 999}
"""Corner radii: small for inputs' inner parts, medium for buttons and fields, large for cards."""

READING_WIDTH = 760
"""The transcript's reading column in pixels: answers and questions keep a comfortable line
length, centred when the window is wider, the viewport less margins when it is narrower."""

READING_WIDTH_WIDE = 1000
"""Tables and code blocks may spread to this width when the viewport allows."""

# --- transcript (issue 15, requirement 3): code blocks, message actions, the caret ----------


@dataclass(frozen=True)
class TranscriptColours:
    """Colour roles only the transcript paints: a code block's header bar and body."""

    code_header: str  # the bar with the language name and Copy, rounded on top
    code_body: str  # the code itself (and inline code, table headers), rounded below
    code_style: str  # the Pygments style whose colours read well on ``code_body``


TRANSCRIPT_COLOURS = {
    Scheme.LIGHT: TranscriptColours(
        code_header="#e8ebef", code_body="#f4f6f8", code_style="default"
    ),
    Scheme.DARK: TranscriptColours(
        code_header="#34363c", code_body="#17181b", code_style="github-dark"
    ),
}

MESSAGE_ACTION = {"button": 28, "icon": 16, "gap": 2, "fade_ms": 120}
"""A message's icon buttons (copy, edit, regenerate, delete, ‹ ›): square hit area, the
glyph inside it, the space between two buttons, and how long they take to fade in on hover
(and out when the pointer leaves)."""

CARET = {"width": 8, "blink_ms": 530}
"""The streaming caret: a block this wide, shown and hidden this often (under 2 repaints a
second, of that one row)."""

FOLLOW_SCROLL = {"ms": 120, "step_ms": 30}
"""While an answer streams, the transcript glides to its new bottom in this time instead of
jumping a line at a time, one scroll value set per step. Steps, not display frames: each one
repaints the viewport (~4 ms on the 2-core machine), and at the display's rate the glide took
half the GUI thread while streaming."""

TYPE_SCALE = {"caption": 11, "body": 13, "subtitle": 15, "title": 18, "display": 24}
"""The steps of the type scale: body is the reading size, the rest step up or down from it.
Read as ratios to body (``type_points``), never as points: the app font is the OS's (9 pt on
one desktop, 11 on another), and a caption must stay smaller than the text around it."""


def type_points(role: str, body_points: float) -> float:
    """The point size of ``role`` when body text (the app font) is ``body_points``."""
    return round(body_points * TYPE_SCALE[role] / TYPE_SCALE["body"], 1)


@dataclass(frozen=True)
class Colours:
    """Every colour role the app paints with, for one scheme (hex strings, Qt reads them)."""

    window: str  # the app's background
    surface: str  # cards, inputs, lists: one step off the background
    surface_alt: str  # hovered rows, pressed buttons, alternate rows
    border: str
    border_strong: str  # focused or hovered borders
    text: str
    text_muted: str  # captions, placeholders, secondary labels
    accent: str  # the one brand blue: primary buttons, selection, links
    accent_hover: str
    on_accent: str  # text on the accent
    danger: str  # errors, Stop, destructive actions
    on_danger: str
    warning: str
    success: str
    notice: str  # background of a gentle warning note
    on_notice: str


COLOURS = {
    Scheme.LIGHT: Colours(
        window="#f6f7f9",
        surface="#ffffff",
        surface_alt="#eef0f3",
        border="#d9dce1",
        border_strong="#aeb4bd",
        text="#1f2329",
        text_muted="#6b7280",
        accent="#2563eb",
        accent_hover="#1d4ed8",
        on_accent="#ffffff",
        danger="#dc2626",
        on_danger="#ffffff",
        warning="#b45309",
        success="#15803d",
        notice="#fff4e5",
        on_notice="#5d4037",
    ),
    Scheme.DARK: Colours(
        window="#1b1c1f",
        surface="#242529",
        surface_alt="#2e3035",
        border="#3a3d43",
        border_strong="#5a5f68",
        text="#e6e7ea",
        text_muted="#9a9fa8",
        accent="#3b82f6",
        accent_hover="#60a5fa",
        on_accent="#ffffff",
        danger="#ef4444",
        on_danger="#ffffff",
        warning="#f59e0b",
        success="#22c55e",
        notice="#3b2f1e",
        on_notice="#f5deb3",
    ),
}

ELEVATION = {0: (0, 0), 1: (8, 2), 2: (16, 4), 3: (24, 8)}
"""Shadow (blur radius, y offset) per level for QGraphicsDropShadowEffect: 1 for cards,
2 for popovers, 3 for dialogs; stylesheets cannot draw shadows, so widgets opt in."""

SHADOW_ALPHA = {Scheme.LIGHT: 40, Scheme.DARK: 110}
"""Shadows must be darker on a dark background to be seen at all."""

# --- composer and screen capture (issue 15, the composer card) --------------------------------

SCRIM_ALPHA = {"dim": 120, "label": 220}
"""Opacity (0–255) of the region picker's dimming over a frozen screenshot, and of its size
label's dark plate: drawn over any picture, so both use the dark scheme's colours."""

COMPOSER_EDITOR_LINES = (2, 8)
"""The composer's text box grows with what is typed between these many lines, then scrolls."""

ICON_BUTTON = {"sm": 22, "md": 32, "lg": 36}
"""Square icon-only buttons: a removal on a thumbnail, tools in a row, the round Send/Stop."""
