"""No widget paints with a colour of its own: every colour comes from the theme's tokens.

A hex value or an ``rgb(30, 110, 190)`` typed into a widget stays that colour in the dark
scheme (a light panel on a dark window) and drifts from the palette the next time the tokens
change. So the whole of ``app/ui`` except the theme itself is scanned for colour literals:
hex colours in strings (``"#1e4f86"``), ``QColor(160, 160, 160)`` and ``QColor("#...")``,
``rgb(...)``/``rgba(...)`` with numbers in stylesheets, and Qt's named global colours other
than ``transparent``. A colour computed from a token (``_rgba(c.accent, 0.2)``) is fine.
"""

from __future__ import annotations

import re
from pathlib import Path

UI = Path(__file__).resolve().parents[2] / "app" / "ui"

PATTERNS = {
    "hex colour": re.compile(r"(?<![&\w])#(?:[0-9a-fA-F]{8}|[0-9a-fA-F]{6}|[0-9a-fA-F]{3})\b"),
    "QColor of numbers": re.compile(r"QColor\(\s*\d+\s*,\s*\d+\s*,\s*\d+"),
    "QColor of a string": re.compile(r"QColor\(\s*[\"']"),
    "rgb() of numbers": re.compile(r"rgba?\(\s*\d+\s*,\s*\d+\s*,\s*\d+"),
    "named Qt colour": re.compile(
        r"Qt\.GlobalColor\.(?!transparent\b)\w+|Qt\.(?:red|green|blue|white|black|gray|yellow)\b"
    ),
}

ALLOWED: dict[str, str] = {
    # file (relative to app/ui) -> why it may keep its literals for now. Empty: none is left.
}


def offenders() -> list[str]:
    found = []
    for path in sorted(UI.rglob("*.py")):
        relative = path.relative_to(UI).as_posix()
        if relative.startswith("theme/"):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.lstrip().startswith("#"):
                continue  # a comment may quote a colour
            for kind, pattern in PATTERNS.items():
                if pattern.search(line):
                    found.append(f"app/ui/{relative}:{number}: {kind}: {line.strip()}")
    return found


def test_no_colour_literal_outside_the_theme() -> None:
    left = [o for o in offenders() if o.split(":", 1)[0].removeprefix("app/ui/") not in ALLOWED]
    assert not left, "colour literals outside app/ui/theme:\n" + "\n".join(left)


def test_every_allowed_file_still_needs_its_place() -> None:
    """An allow-list entry whose file is clean goes, so the list only ever shrinks."""
    still = {o.split(":", 1)[0].removeprefix("app/ui/") for o in offenders()}
    assert set(ALLOWED) <= still, f"clean now, drop from ALLOWED: {set(ALLOWED) - still}"


def test_the_scan_sees_each_kind_of_literal(tmp_path: Path) -> None:
    samples = {
        "hex colour": 'style = "color: #1e4f86;"',
        "QColor of numbers": "pen = QColor(160, 160, 160)",
        "QColor of a string": 'pen = QColor("#6a5acd")',
        "rgb() of numbers": "background: rgba(30, 110, 190, 56);",
        "named Qt colour": "painter.setPen(Qt.GlobalColor.red)",
    }
    for kind, line in samples.items():
        assert PATTERNS[kind].search(line), kind
    for clean in ('"&#8202;"', "QColor(colours.text)", "_rgba(c.accent, 0.2)",
                  "Qt.GlobalColor.transparent", "issue #15 in a string"):  # fmt: skip
        assert not any(p.search(clean) for p in PATTERNS.values()), clean
