"""Settings → Resuming chats: the saved states' size, measured and cleared off the GUI thread."""

from __future__ import annotations

from pathlib import Path

from app.settings import Settings
from app.ui.setup.setting_words import RESUME_HEADING
from app.ui.setup.settings_dialog import SettingsDialog
from app.ui.setup.state_cache_section import StateCacheUsage, describe_usage


def _fill(folder: Path) -> None:
    folder.mkdir(parents=True)
    (folder / "a.state").write_bytes(b"x" * 3_000_000)
    (folder / "b.partial").write_bytes(b"x" * 500_000)
    (folder / "notes.txt").write_text("not ours")


def test_shows_the_size_used_and_clear_deletes_only_states(qtbot, tmp_path: Path) -> None:
    folder = tmp_path / "states"
    _fill(folder)
    usage = StateCacheUsage(folder)
    qtbot.addWidget(usage)
    assert usage.usage.text() == "Measuring…"  # measured in the background, not in __init__
    qtbot.waitUntil(lambda: usage.clear_button.isEnabled())
    assert usage.usage.text() == "Saved chats use 3.5 MB."
    usage.clear_button.click()
    qtbot.waitUntil(lambda: usage.usage.text() == "No chats saved.")
    assert not usage.clear_button.isEnabled()
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]


def test_sizes_read_in_mb_then_gb() -> None:
    assert describe_usage(0) == "No chats saved."
    assert describe_usage(250_000_000) == "Saved chats use 250.0 MB."
    assert describe_usage(2_500_000_000) == "Saved chats use 2.50 GB."


def test_the_settings_dialog_has_the_budgets_and_the_usage_row(qtbot, tmp_path: Path) -> None:
    settings = Settings(tmp_path / "settings.ini")
    dialog = SettingsDialog(settings, None)
    qtbot.addWidget(dialog)
    assert dialog.state_cache_usage is not None
    assert dialog.sections[RESUME_HEADING].isAncestorOf(dialog.state_cache_usage)
    dialog.editors["state_disk_mb"].setValue(1024)
    dialog.apply()
    assert Settings(tmp_path / "settings.ini")["state_disk_mb"] == 1024
