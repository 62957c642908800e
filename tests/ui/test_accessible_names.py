"""Every control a person can see says what it does to a screen reader, icon-only ones included.

The real main window is built and its whole widget tree walked: a visible button with neither
text nor an accessible name is silent to assistive technology, so it fails here by name.
Qt's own action buttons inside a line edit (the search box's clear button) count too. Each
dialog (settings on every tab, models, presets, page picker, API key, About, the studio) is
walked the same way for buttons, check boxes, combos and line edits.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QTabWidget,
    QWidget,
)

from app.ui.window.main_window import MainWindow
from tests.ui.window.test_main_window import _close, _open, _settings


@pytest.fixture
def window(qtbot, tmp_path: Path) -> Iterator[MainWindow]:
    window = _open(qtbot, _settings(tmp_path, None), tmp_path / "data")
    qtbot.waitExposed(window)
    yield window
    _close(window)


def _unnamed(buttons: list[QAbstractButton]) -> list[str]:
    return [
        f"{type(b).__name__} {b.objectName() or '(no object name)'} in {type(b.parent()).__name__}"
        f" {b.parent().accessibleName()!r}"
        for b in buttons
        if not b.text().strip() and not b.accessibleName().strip()
    ]


def _visible_buttons(window: MainWindow) -> list[QAbstractButton]:
    return [b for b in window.findChildren(QAbstractButton) if b.isVisible()]


def test_no_visible_button_is_unnamed(window: MainWindow):
    buttons = _visible_buttons(window)
    assert buttons
    unnamed = _unnamed(buttons)
    assert not unnamed, "buttons without text or accessible name: " + ", ".join(unnamed)
    icon_only = [b for b in buttons if not b.text().strip()]
    assert icon_only, "the header's Settings and About are icon-only"
    assert all(b.toolTip() for b in icon_only), [b.accessibleName() for b in icon_only]


# ------------------------------------------------------------------------------------ dialogs
# Each dialog a person can open is walked the same way: every visible button, tool button,
# check box, combo and line edit must say what it is to a screen reader (a button's text, an
# accessible name, or the form label it is the buddy of),
# and a button that shows only an icon must have a tooltip too. (The main window's test above
# stays as it was: it guards the header's icon-only buttons.)

NAMED = (QAbstractButton, QComboBox, QLineEdit)


def accessible_name(widget: QWidget) -> str:
    """The name assistive technology reads for ``widget``: its accessible name, else the text
    of the label it is the buddy of (a form row's label). Not Qt's own fallback, which for a
    combo is the item shown: "High (768 px)" does not say what is being chosen."""
    if widget.accessibleName().strip():
        return widget.accessibleName().strip()
    window = widget.window()
    for label in window.findChildren(QLabel):
        if label.buddy() is widget and label.text().strip():
            return label.text().replace("&", "").strip()
    return ""


def _controls(root: QWidget) -> list[QWidget]:
    found = []
    for widget in root.findChildren(QWidget):
        if not isinstance(widget, NAMED) or not widget.isVisible():
            continue
        if isinstance(widget, QLineEdit) and isinstance(
            widget.parentWidget(), (QAbstractSpinBox, QComboBox)
        ):
            continue  # the editor inside a spin box or combo: named through its owner
        found.append(widget)
    return found


def silent_controls(root: QWidget) -> list[str]:
    """Descriptions of the visible controls under ``root`` that a screen reader cannot name,
    and of icon-only buttons without a tooltip."""
    problems = []
    for widget in _controls(root):
        text = widget.text().strip() if isinstance(widget, QAbstractButton) else ""
        where = f"{type(widget).__name__} {widget.objectName() or ''} in {type(root).__name__}"
        if not text and not accessible_name(widget):
            problems.append(f"{where}: no name")
        if isinstance(widget, QAbstractButton) and not text and not widget.toolTip():
            problems.append(f"{where} {widget.accessibleName()!r}: icon only, no tooltip")
    return problems


def _walk_tabs(qtbot, root: QWidget) -> list[str]:
    """Show ``root`` and walk it once per page of each of its tab widgets."""
    root.show()
    qtbot.waitExposed(root)
    problems = silent_controls(root)
    seen = 1
    for tabs in root.findChildren(QTabWidget):
        for index in range(tabs.count()):
            tabs.setCurrentIndex(index)
            problems += silent_controls(root)
            seen += 1
    assert seen >= 1
    return sorted(set(problems))


def _settings_dialog(tmp_path: Path) -> QWidget:
    from app.settings import Settings
    from app.ui.setup.settings_dialog import SettingsDialog

    return SettingsDialog(Settings(tmp_path / "settings.ini"), "Be brief.")


def _models_page(tmp_path: Path) -> QWidget:
    from app.models.discovery import ScanResult
    from app.ui.setup.models_page import ModelsPage

    page = ModelsPage(scan_fn=lambda _folders: ScanResult(pairs=[]))
    page.refresh()
    return page


def _presets_dialog(tmp_path: Path) -> QWidget:
    from app.ui.composer.presets_dialog import PresetsDialog
    from app.workflows.presets import builtin_presets

    builtins = builtin_presets()
    return PresetsDialog(builtins, builtins, tmp_path / "presets.json")


def _page_picker(tmp_path: Path) -> QWidget:
    from app.ui.documents.page_picker import PagePickerDialog
    from tests.workflows.pdf_factory import TextPage, write_pdf

    pdf = write_pdf(tmp_path / "report.pdf", [TextPage(["Page one."]), TextPage(["Two."])])
    return PagePickerDialog(pdf, 32_000)


def _api_key_dialog(tmp_path: Path) -> QWidget:
    from app.engine.api_keys import ApiKeys
    from app.ui.setup.api_key_dialog import ApiKeyDialog

    return ApiKeyDialog(ApiKeys(environ={}), lambda key: "The key works.")


def _about_dialog(tmp_path: Path) -> QWidget:
    from app.ui.setup.about_dialog import AboutDialog

    return AboutDialog(tmp_path / "data", tmp_path / "logs", tmp_path / "settings.ini")


def _studio(tmp_path: Path) -> QWidget:
    from app.ui.studio.html_studio import HtmlStudio
    from app.workflows.html_versions import PageVersion, StudioRecord

    studio = HtmlStudio()
    page = "<!DOCTYPE html><html><body><p>Hello</p></body></html>"
    studio.show_record(StudioRecord(None, (PageVersion(1, page), PageVersion(2, page))))
    return studio


DIALOGS = {
    "settings": _settings_dialog,
    "models": _models_page,
    "presets": _presets_dialog,
    "page picker": _page_picker,
    "API key": _api_key_dialog,
    "about": _about_dialog,
    "studio": _studio,
}


@pytest.mark.parametrize("name", list(DIALOGS))
def test_every_control_of_each_dialog_is_named(qtbot, tmp_path: Path, name: str) -> None:
    dialog = DIALOGS[name](tmp_path)
    qtbot.addWidget(dialog)
    if name == "page picker":
        qtbot.waitUntil(lambda: dialog.ready, timeout=10_000)  # type: ignore[attr-defined]
    problems = _walk_tabs(qtbot, dialog)
    assert _controls(dialog), f"the {name} walk found no controls at all"
    assert not problems, f"{name}: " + "; ".join(problems)
    dialog.close()
