"""Rendering a page off screen at the screenshot's size."""

from __future__ import annotations

from PySide6.QtGui import QColor

from app.ui.studio.page_renderer import MAX_RENDER_SIDE, PageRenderer, render_size

PAGE = """<!DOCTYPE html><html><body style="margin:0;background:#ffffff">
<div style="position:absolute;left:20px;top:10px;width:100px;height:50px;background:#0a64c8"></div>
<script>document.body.appendChild(Object.assign(document.createElement("div"),
  {style: "position:absolute;left:200px;top:100px;width:40px;height:40px;background:#e01010"}));
</script></body></html>"""


def test_the_render_has_the_screenshots_size_and_the_pages_pixels(qtbot) -> None:
    renderer = PageRenderer()
    with qtbot.waitSignal(renderer.rendered, timeout=20_000) as done:
        renderer.render(PAGE, 300, 180)
    image = done.args[0]
    assert (image.width(), image.height()) == (300, 180)
    assert image.pixelColor(60, 30) == QColor("#0a64c8")
    assert image.pixelColor(220, 120) == QColor("#e01010")  # drawn by the page's script
    assert image.pixelColor(280, 10) == QColor("#ffffff")
    renderer.close()


def test_huge_screenshots_render_scaled_down_keeping_the_aspect() -> None:
    size = render_size(5120, 2880)
    assert max(size.width(), size.height()) == MAX_RENDER_SIDE
    assert abs(size.width() / size.height() - 5120 / 2880) < 0.01
    assert render_size(640, 400).width() == 640


def test_a_page_too_large_to_render_is_reported(qtbot) -> None:
    renderer = PageRenderer()
    with qtbot.waitSignal(renderer.failed, timeout=5000) as failed:
        renderer.render("<p>" + "x" * (3 * 1024 * 1024), 100, 100)
    assert "too large" in failed.args[0]
    renderer.close()


def test_the_view_is_hidden_between_renders_and_reused(qtbot) -> None:
    renderer = PageRenderer()
    view = renderer.view
    with qtbot.waitSignal(renderer.rendered, timeout=20_000):
        renderer.render(PAGE, 300, 180)
    assert not view.isVisible()  # no compositing for a picture nobody looks at
    with qtbot.waitSignal(renderer.rendered, timeout=20_000) as done:
        renderer.render(PAGE.replace("#0a64c8", "#00a000"), 300, 180)
    assert renderer.view is view and not view.isVisible()
    assert done.args[0].pixelColor(60, 30) == QColor("#00a000")
    renderer.close()
