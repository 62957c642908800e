"""The live preview swaps in a new page only once it has loaded, keeping only the latest."""

from __future__ import annotations

from app.ui.studio.live_preview import LivePreview


def _text(qtbot, preview: LivePreview) -> str:
    found: list[str] = []
    preview.page().toPlainText(found.append)
    qtbot.waitUntil(lambda: bool(found), timeout=5000)
    return found[0]


def test_updates_load_behind_and_only_the_latest_waiting_one_is_shown(qtbot) -> None:
    preview = LivePreview()
    qtbot.addWidget(preview)
    preview.show()
    with qtbot.waitSignal(preview.shown, timeout=20_000):
        preview.show_html("<p>first</p>")
    first_view = preview.front
    assert _text(qtbot, preview) == "first"
    preview.show_html("<p>second</p>")  # loads in the other view
    assert preview.front is first_view  # still showing the first until the second has loaded
    preview.show_html("<p>third</p>")  # waits
    preview.show_html("<p>fourth</p>")  # replaces the waiting one
    qtbot.waitUntil(lambda: _text(qtbot, preview) == "fourth", timeout=20_000)
    assert preview._waiting is None and preview._loading is None


def test_a_page_too_large_changes_nothing(qtbot) -> None:
    preview = LivePreview()
    qtbot.addWidget(preview)
    assert not preview.show_html("<p>" + "x" * (3 * 1024 * 1024))
    assert preview._loading is None


def test_pages_get_the_screenshots_viewport_width(qtbot) -> None:
    preview = LivePreview()
    qtbot.addWidget(preview)
    preview.resize(640, 400)
    preview.show()
    preview.set_viewport_width(1280)
    with qtbot.waitSignal(preview.shown, timeout=20_000):
        preview.show_html("<p>a page</p>")
    widths: list[int] = []

    def measured() -> bool:  # Chromium applies the zoom asynchronously: the layout follows
        preview.front.page().runJavaScript("window.innerWidth", 0, widths.append)
        return bool(widths) and abs(widths[-1] - 1280) <= 2

    qtbot.waitUntil(measured, timeout=10_000)  # laid out as on the screenshot
    assert abs(preview.front.zoomFactor() - 0.5) < 1e-6


def _count_loads(preview: LivePreview) -> list[str]:
    """Every page load QtWebEngine starts in either view (the expensive part of an update)."""
    started: list[str] = []
    for view in preview._views:
        view.loadStarted.connect(lambda: started.append("load"))
    return started


def test_the_page_already_shown_is_not_loaded_again(qtbot) -> None:
    preview = LivePreview()
    qtbot.addWidget(preview)
    preview.show()
    loads = _count_loads(preview)
    with qtbot.waitSignal(preview.shown, timeout=20_000):
        preview.show_html("<p>final</p>")
    preview.show_html("<p>final</p>")  # the finished version = the last page streamed
    qtbot.wait(300)
    assert preview.settled
    assert len(loads) == 1
    assert _text(qtbot, preview) == "final"


def test_a_burst_of_updates_ending_on_the_page_loading_adds_no_load(qtbot) -> None:
    preview = LivePreview()
    qtbot.addWidget(preview)
    preview.show()
    loads = _count_loads(preview)
    preview.show_html("<p>b</p>")  # loading
    for i in range(20):
        preview.show_html(f"<p>burst {i}</p>")  # only the latest waits
    preview.show_html("<p>b</p>")  # back to the page loading: nothing left to wait for
    qtbot.waitUntil(lambda: preview.settled, timeout=20_000)
    qtbot.wait(300)
    assert len(loads) == 1
    assert _text(qtbot, preview) == "b"
