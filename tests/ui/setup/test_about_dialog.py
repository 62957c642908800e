"""The About dialog lists licenses and storage paths; the crash dialog shows summary and path."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QLabel

from app import __version__
from app.crash_report import install_excepthook
from app.ui.setup.about_dialog import AboutDialog, CrashNotifier, show_crash_dialog


def _dialog(qtbot, tmp_path: Path) -> AboutDialog:
    dialog = AboutDialog(
        tmp_path / "data", tmp_path / "logs", tmp_path / "config" / "settings.ini",
        models_dir=tmp_path / "hf" / "hub",
    )  # fmt: skip
    qtbot.addWidget(dialog)
    return dialog


def test_lists_version_licenses_and_paths(qtbot, tmp_path: Path) -> None:
    dialog = _dialog(qtbot, tmp_path)
    text = " ".join(label.text() for label in dialog.findChildren(QLabel))
    assert __version__ in text
    for component, spdx in (("Pixtral 12B", "Apache-2.0"), ("PySide6", "LGPL-3.0"),
                            ("llama.cpp", "MIT"), ("mistral-common", "Apache-2.0")):  # fmt: skip
        assert component in text and spdx in text
    paths = {label: field.text() for label, field in dialog.path_fields.items()}
    assert str(tmp_path / "data") in paths.values()
    assert str(tmp_path / "logs") in paths.values()
    assert str(tmp_path / "config" / "settings.ini") in paths.values()
    assert str(tmp_path / "hf" / "hub") in paths.values()
    assert all(field.isReadOnly() for field in dialog.path_fields.values())


def test_renders(qtbot, tmp_path: Path) -> None:
    dialog = _dialog(qtbot, tmp_path)
    dialog.show()
    qtbot.waitExposed(dialog)
    image = dialog.grab().toImage()
    assert image.width() > 300 and image.height() > 200
    target = os.environ.get("ABOUT_PNG")
    if target:
        image.save(target)


def test_open_folder_buttons_open_the_nearest_existing_folder(
    qtbot, tmp_path: Path, monkeypatch
) -> None:
    opened: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()))
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "settings.ini").write_text("")
    (tmp_path / "logs").mkdir()
    dialog = _dialog(qtbot, tmp_path)
    for button in dialog.open_buttons.values():
        button.click()
    assert [Path(p) for p in opened] == [
        tmp_path,  # data folder not made yet: its parent
        tmp_path / "config",  # the settings file's folder
        tmp_path,  # hf/hub not made yet
        tmp_path / "logs",
    ]


def test_crash_dialog_shows_summary_and_report(qtbot, tmp_path: Path) -> None:
    report = tmp_path / "crash-1.txt"
    box = show_crash_dialog("ValueError: bad", report)
    qtbot.addWidget(box)
    assert box.isVisible() and not box.isModal()
    assert "ValueError: bad" in box.text()
    assert str(report) in box.informativeText()


def test_crash_notifier_opens_the_dialog_from_a_worker_thread(
    qtbot, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setattr(sys, "excepthook", lambda *a: None)
    monkeypatch.setattr(threading, "excepthook", lambda args: None)
    notifier = CrashNotifier()
    hook = install_excepthook(tmp_path, notifier)

    def work() -> None:
        raise RuntimeError("worker failed")

    try:
        thread = threading.Thread(target=work)
        thread.start()
        thread.join()
        qtbot.waitUntil(lambda: len(notifier.dialogs) == 1)
    finally:
        hook.uninstall()
    box = notifier.dialogs[0]
    qtbot.addWidget(box)
    assert "RuntimeError: worker failed" in box.text()
    assert str(hook.reports[0]) in box.informativeText()


def test_names_each_icon_font_the_app_draws_from_with_its_licence(qtbot, tmp_path: Path) -> None:
    from app.ui.setup.about_dialog import icon_font_licences
    from app.ui.theme.icons import NAMES

    dialog = _dialog(qtbot, tmp_path)
    text = dialog.licenses.text()
    rows = icon_font_licences()
    assert rows[0][0].startswith("QtAwesome ") and rows[0][1] == "MIT"
    prefixes = {name.split(".", 1)[0] for name in NAMES.values()}
    assert len(rows) == 1 + len(prefixes)  # one row per font actually used, no more
    if "ph" in prefixes:
        assert "Phosphor Icons 1.3.0 (icon font)" in text
    for name, spdx, _url in rows:
        assert name in text and spdx in text and "see QtAwesome" not in spdx
