"""The studio window: live preview while streaming, versions, compare, save/copy, edits, refine."""

from __future__ import annotations

from pathlib import Path

from PIL import Image
from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QGuiApplication

from app.core.images import Detail, prepare_image
from app.ui.studio.html_studio import HtmlStudio
from app.workflows.html_versions import PageVersion, StudioRecord, VersionSource

PAGE = """<!DOCTYPE html>
<html><head><link rel="stylesheet" href="https://cdn.example.com/kit.css"></head>
<body style="margin:0;background:#2050c0"><h1 style="color:white">Hello</h1></body></html>"""


def _studio(qtbot, tmp_path: Path, versions: tuple[PageVersion, ...] = ()) -> HtmlStudio:
    path = tmp_path / "shot.png"
    Image.new("RGB", (400, 240), (32, 80, 192)).save(path)
    studio = HtmlStudio()
    qtbot.addWidget(studio)
    studio.show_record(StudioRecord(prepare_image(path, Detail.HIGH), versions))
    studio.show()
    return studio


def _stream(studio: HtmlStudio, answer: str, size: int) -> None:
    studio.stream_started()
    for start in range(0, len(answer), size):
        studio.stream_text(answer[start : start + size])


def test_a_streamed_answer_previews_live_and_becomes_version_one(qtbot, tmp_path: Path) -> None:
    studio = _studio(qtbot, tmp_path)
    answer = f"Sure! Here is the page:\n```html\n{PAGE}\n```\nIt uses a blue header."
    middle = answer.index("</h1>") + 3  # inside the closing tag
    _stream(studio, answer[:middle], 3)  # fences and tags split anywhere
    assert studio.status.text() == "Writing version 1…"
    assert not studio.refine_button.isEnabled()
    qtbot.waitUntil(lambda: "<html" in (studio._live_html or ""), timeout=5000)
    text: list[str] = []
    qtbot.waitUntil(
        lambda: studio.preview.page().toPlainText(text.append) or "Hello" in "".join(text),
        timeout=10_000,
    )
    for start in range(middle, len(answer), 5):
        studio.stream_text(answer[start : start + 5])
    studio.stream_finished(answer)
    assert [v.html for v in studio.versions] == [PAGE]
    assert studio.code.toPlainText() == PAGE
    qtbot.waitUntil(  # listed off the GUI thread
        lambda: "https://cdn.example.com/kit.css" in studio.blocked_label.text(), timeout=5000
    )
    # The render at the screenshot's size arrives, is compared, and enables "Fix differences".
    qtbot.waitUntil(lambda: studio.refine_button.isEnabled(), timeout=20_000)
    assert studio.render_image.size().toTuple() == (400, 240)
    qtbot.waitUntil(lambda: "similar" in studio.compare.summary.text(), timeout=10_000)


def test_an_answer_without_a_page_says_so(qtbot, tmp_path: Path) -> None:
    studio = _studio(qtbot, tmp_path)
    _stream(studio, "I can't see the image well.", 4)
    studio.stream_finished("I can't see the image well.")
    assert studio.versions == []
    assert "no HTML page" in studio.status.text()
    assert not studio.save_button.isEnabled()


def test_the_no_page_note_goes_once_a_version_with_a_page_is_shown(qtbot, tmp_path: Path) -> None:
    studio = _studio(qtbot, tmp_path)
    _stream(studio, "I can't see the image well.", 8)
    studio.stream_finished("I can't see the image well.")
    studio.code.setPlainText(PAGE)
    studio.use_edit_button.click()  # the user writes the page: now a version has one
    assert studio.current is not None and studio.current.number == 1
    assert "no HTML page" not in studio.status.text()


def test_the_no_page_note_speaks_of_its_answer_not_of_the_versions(qtbot, tmp_path: Path) -> None:
    second = PAGE.replace("Hello", "Hello again")
    studio = _studio(qtbot, tmp_path, (PageVersion(1, PAGE), PageVersion(2, second)))
    _stream(studio, "Sorry, no page this time.", 8)
    studio.stream_finished("Sorry, no page this time.")
    assert "no HTML page. Version 2 stays shown." in studio.status.text()
    studio.version_box.setCurrentIndex(0)  # looking at a version that has its page
    assert "no HTML page" not in studio.status.text()
    studio.show_record(StudioRecord(studio.original, (PageVersion(1, PAGE),)))
    assert "no HTML page" not in studio.status.text()


def test_versions_show_their_changes_and_save_and_copy(qtbot, tmp_path: Path) -> None:
    second = PAGE.replace("Hello", "Hello again")
    studio = _studio(qtbot, tmp_path, (PageVersion(1, PAGE), PageVersion(2, second)))
    assert studio.version_box.count() == 2 and studio.current.number == 2
    assert "Version 1 → Version 2: 1 line added, 1 removed" in studio.changes.toPlainText()
    studio.copy_html()
    assert QGuiApplication.clipboard().text() == second
    studio.version_box.setCurrentIndex(0)
    target = tmp_path / "page.html"
    studio.save_to(target)
    qtbot.waitUntil(lambda: target.exists() and "Saved" in studio.status.text(), timeout=5000)
    assert target.read_text(encoding="utf-8") == PAGE


def test_a_failed_save_says_why_and_keeps_the_version(qtbot, tmp_path: Path) -> None:
    studio = _studio(qtbot, tmp_path, (PageVersion(1, PAGE),))
    studio.save_to(tmp_path / "no-such-folder" / "page.html")
    qtbot.waitUntil(lambda: "Could not save page.html" in studio.status.text(), timeout=5000)
    assert studio.versions[0].html == PAGE


def test_a_hand_edit_becomes_a_version_of_its_own(qtbot, tmp_path: Path) -> None:
    studio = _studio(qtbot, tmp_path, (PageVersion(1, PAGE),))
    assert not studio.use_edit_button.isEnabled()
    studio.code.setPlainText(PAGE.replace("Hello", "Hi"))
    assert studio.use_edit_button.isEnabled()
    studio.use_edit_button.click()
    assert studio.current == PageVersion(2, PAGE.replace("Hello", "Hi"), VersionSource.EDIT)
    assert studio.version_box.currentText() == "Version 2 (your edit)"


def test_fix_differences_sends_the_version_and_its_render(qtbot, tmp_path: Path) -> None:
    studio = _studio(qtbot, tmp_path, (PageVersion(1, PAGE),))
    qtbot.waitUntil(lambda: studio.refine_button.isEnabled(), timeout=20_000)
    with qtbot.waitSignal(studio.refine_requested, timeout=5000) as sent:
        studio.refine_button.click()
    version, render = sent.args
    assert version.number == 1
    assert render.size().toTuple() == (400, 240)
    assert render.pixelColor(390, 230).name() == "#2050c0"  # the page's background


def test_changes_compare_with_any_other_version(qtbot, tmp_path: Path) -> None:
    versions = tuple(PageVersion(n, PAGE.replace("Hello", f"Hello {n}")) for n in (1, 2, 3))
    studio = _studio(qtbot, tmp_path, versions)
    pane = studio.changes
    assert pane.against.currentText() == "Version 2"  # the one before, by default
    assert pane.toPlainText().startswith("Version 2 → Version 3")
    pane.against.setCurrentIndex(0)
    assert pane.toPlainText().startswith("Version 1 → Version 3")
    assert "- <body" in pane.toPlainText() and "Hello 1" in pane.toPlainText()
    studio.version_box.setCurrentIndex(0)
    assert pane.against.currentText() == "Version 2"  # nothing before version 1: the next
    assert pane.toPlainText().startswith("Version 1 → Version 2")


def test_a_screenshot_dropped_on_the_studio_is_offered_for_a_new_page(
    qtbot, tmp_path: Path
) -> None:
    from tests.ui.drops import drop_on, file_urls

    studio = _studio(qtbot, tmp_path, (PageVersion(1, PAGE),))
    shot = tmp_path / "sketch.png"
    Image.new("RGB", (300, 200), (250, 250, 250)).save(shot)
    with qtbot.waitSignal(studio.screenshot_offered, timeout=5000) as offered:
        drop_on(studio, file_urls(shot))
    source = offered.args[0]
    assert source.data == shot and source.name == "sketch.png"
    studio.stream_started()  # while a version is being written, a drop waits
    with qtbot.assertNotEmitted(studio.screenshot_offered):
        drop_on(studio, file_urls(shot))
    assert "Wait for this version" in studio.status.text()


def test_the_studio_remembers_its_size_and_split(qtbot, tmp_path: Path) -> None:
    from PySide6.QtCore import QSettings

    state = QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)
    studio = HtmlStudio(state=state)
    qtbot.addWidget(studio)
    studio.show()
    studio.resize(700, 500)  # within the offscreen screen: restoring clamps to the screen
    studio.splitter.setSizes([250, 450])
    sizes = studio.splitter.sizes()
    studio.close()
    again = HtmlStudio(state=state)
    qtbot.addWidget(again)
    again.show()
    assert again.size().toTuple() == (700, 500)
    assert again.splitter.sizes() == sizes


def test_the_studio_opens_within_the_screen_and_the_main_window(qtbot) -> None:
    from PySide6.QtWidgets import QMainWindow

    main = QMainWindow()
    qtbot.addWidget(main)
    main.resize(720, 540)
    main.show()
    studio = HtmlStudio(main)  # a child of main: deleted with it, so not given to qtbot too
    studio.show()
    available = main.screen().availableGeometry()
    assert studio.width() <= main.width() and studio.height() <= main.height()
    assert available.contains(studio.frameGeometry())
    studio.add_version(PAGE)
    studio.stream_started()
    studio.stream_finished("No page here, sorry.")  # the longest status there is
    QCoreApplication.sendPostedEvents()  # the layout requests the new status made are done
    assert studio.width() <= main.width()  # it wraps; the window does not grow
    alone = HtmlStudio()  # no main window: the screen alone bounds it
    qtbot.addWidget(alone)
    alone.show()
    assert alone.screen().availableGeometry().contains(alone.frameGeometry())
    studio.close()


def test_a_size_remembered_larger_than_the_screen_is_cut_to_it(qtbot, tmp_path: Path) -> None:
    from PySide6.QtCore import QSettings

    big = HtmlStudio()  # as left on a larger monitor
    qtbot.addWidget(big)
    big.setGeometry(100, 80, 2560, 1400)
    state = QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)
    state.setValue("studio/geometry", big.saveGeometry())
    studio = HtmlStudio(state=state)
    qtbot.addWidget(studio)
    studio.show()
    assert studio.screen().availableGeometry().contains(studio.frameGeometry())
