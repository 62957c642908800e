"""Imports point one way, between the layers of ``app`` and between the rooms of ``app/ui``.

The rule is read from the source (every ``import`` and ``from … import`` statement, including
those inside functions), so a late import cannot slip past it. A failure names the module,
the import and the rule it breaks.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[1] / "app"

# What each top-level part of ``app`` may import from ``app`` (besides itself).
# ``settings`` and ``resources`` are leaves every layer may read.
LEAVES = {"settings", "resources"}
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "engine": {"core"},
    "storage": {"core"},
    "models": {"core"},
    "workflows": {"core", "engine", "storage", "models"},
    "logs": {"core"},
    "crash_report": {"core"},
    "backends": {"core", "engine", "models"},
    "ui": {"core", "engine", "storage", "models", "workflows", "backends", "logs"},
    "main": {"core", "engine", "storage", "models", "workflows", "backends", "logs",
             "crash_report", "ui"},
    "cli": {"core", "engine", "storage", "models", "workflows", "backends", "logs",
            "crash_report", "main", "commands"},
    "commands": {"core", "engine", "storage", "models", "workflows", "backends"},
    "__main__": {"cli"},
    "__init__": set(),
}  # fmt: skip
QT_ALLOWED = {"ui", "main"}
"""Only the window layer (and the composition root that starts it) loads Qt."""

UI_ORDER = ("common", "theme", "session", "transcript", "composer", "documents", "studio",
            "setup", "window")  # fmt: skip
"""The rooms of ``app/ui``, lowest first: each may import only from itself and those before."""


def _modules() -> Iterator[tuple[tuple[str, ...], Path]]:
    for path in sorted(APP.rglob("*.py")):
        yield path.relative_to(APP).with_suffix("").parts, path


def _imports(path: Path) -> Iterator[tuple[int, str]]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name


def _violations() -> list[str]:
    found = []
    for parts, path in _modules():
        layer = parts[0]
        where = f"app/{'/'.join(parts)}.py"
        for line, module in _imports(path):
            names = module.split(".")
            if names[0] == "PySide6" and layer not in QT_ALLOWED:
                found.append(f"{where}:{line} imports {module}: only app/ui loads Qt")
            if names[0] != "app" or len(names) < 2:
                continue
            target = names[1]
            if target != layer and target not in LEAVES and target not in ALLOWED[layer]:
                found.append(f"{where}:{line} imports {module}: {layer} may not import {target}")
            if layer == "ui" and target == "ui" and len(parts) > 2 and len(names) > 3:
                room, other = parts[1], names[2]
                if other not in UI_ORDER:
                    found.append(f"{where}:{line} imports {module}: not a room of app/ui")
                elif UI_ORDER.index(other) > UI_ORDER.index(room):
                    found.append(
                        f"{where}:{line} imports {module}: ui/{room} comes before ui/{other}"
                    )
    return found


def test_every_module_belongs_to_a_known_layer() -> None:
    layers = {parts[0] for parts, _ in _modules()}
    assert layers <= set(ALLOWED) | LEAVES, layers - set(ALLOWED) - LEAVES


def test_every_ui_module_lives_in_a_room() -> None:
    loose = [
        "/".join(parts)
        for parts, _ in _modules()
        if parts[0] == "ui" and len(parts) == 2 and parts[1] != "__init__"
    ]
    rooms = {parts[1] for parts, _ in _modules() if parts[0] == "ui" and len(parts) > 2}
    assert not loose, f"modules outside the rooms of app/ui: {loose}"
    assert rooms == set(UI_ORDER)


def test_imports_point_one_way() -> None:
    assert _violations() == []


@pytest.mark.parametrize(
    ("room", "line", "broken"),
    [
        ("session", "from app.ui.window.main_window import MainWindow", True),
        ("window", "from app.ui.session.chat_session import ChatSession", False),
        ("common", "import PySide6.QtCore", False),
    ],
)
def test_the_rule_catches_an_import_against_the_order(
    tmp_path: Path, monkeypatch, room: str, line: str, broken: bool
) -> None:
    """The check itself: a planted module that imports upward is reported."""
    tree = tmp_path / "app"
    (tree / "ui" / room).mkdir(parents=True)
    (tree / "ui" / room / "planted.py").write_text(line + "\n")
    monkeypatch.setitem(globals(), "APP", tree)
    assert bool(_violations()) is broken
