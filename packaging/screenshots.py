"""Render the README screenshots of the main window's states to PNG.

    python packaging/screenshots.py [--out resources/screenshots]

The window is the real one; only the content is scripted (no model runs), so the pictures are
reproducible on any machine, offscreen.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PIL import Image, ImageDraw  # noqa: E402
from PySide6.QtGui import QColor, QPalette  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from app.core.conversation import Message, MessageStatus  # noqa: E402
from app.core.images import prepare_image  # noqa: E402
from app.settings import Settings  # noqa: E402

ANSWER = """## What the screenshots show

The first two are the **settings page** of a mail client; the third is its sign-in dialog.

| Screenshot | Screen | Problem |
|---|---|---|
| 1 | Settings → Accounts | the *Save* button is disabled |
| 2 | Settings → Sync | the interval field accepts text |
| 3 | Sign in | the error message is cut off |

A form that validates the interval as it is typed:

```python
def parse_interval(text: str) -> int:
    \"\"\"Minutes between syncs; 5 to 1440.\"\"\"
    minutes = int(text.strip())
    if not 5 <= minutes <= 1440:
        raise ValueError("between 5 minutes and one day")
    return minutes
```

See the [Qt documentation](https://doc.qt.io/) for `QIntValidator`.
"""


def fake_screenshot(title: str, accent: tuple[int, int, int], size: tuple[int, int]) -> bytes:
    """A plausible UI screenshot: title bar, sidebar, a form."""
    width, height = size
    img = Image.new("RGB", size, (246, 247, 249))
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, width, 36), fill=accent)
    draw.text((12, 11), title, fill=(255, 255, 255))
    draw.rectangle((0, 36, 150, height), fill=(228, 231, 236))
    for row in range(5):
        draw.rectangle((14, 56 + row * 30, 130, 72 + row * 30), fill=(205, 209, 216))
        draw.rectangle(
            (180, 60 + row * 44, width - 40, 86 + row * 44),
            outline=(180, 184, 190),
            fill=(255, 255, 255),
        )
    draw.rounded_rectangle((width - 150, height - 56, width - 40, height - 24), 6, fill=accent)
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def dark_palette() -> QPalette:
    palette = QPalette()
    for role, color in (
        (QPalette.ColorRole.Window, "#1e1f22"),
        (QPalette.ColorRole.WindowText, "#e6e6e6"),
        (QPalette.ColorRole.Base, "#25262a"),
        (QPalette.ColorRole.AlternateBase, "#2b2d31"),
        (QPalette.ColorRole.Text, "#e6e6e6"),
        (QPalette.ColorRole.Button, "#2b2d31"),
        (QPalette.ColorRole.ButtonText, "#e6e6e6"),
        (QPalette.ColorRole.Highlight, "#3d6fd9"),
        (QPalette.ColorRole.HighlightedText, "#ffffff"),
        (QPalette.ColorRole.PlaceholderText, "#8a8d93"),
        (QPalette.ColorRole.Link, "#7aa7ff"),
        (QPalette.ColorRole.ToolTipBase, "#2b2d31"),
        (QPalette.ColorRole.ToolTipText, "#e6e6e6"),
    ):
        palette.setColor(role, QColor(color))
    return palette


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "resources" / "screenshots")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    from app.ui.studio.web_setup import prepare_web_engine

    prepare_web_engine()
    app = QApplication.instance() or QApplication([])
    from app.main import build_window
    from app.ui.session.session_history import SidebarRow
    from app.ui.transcript.transcript_model import TranscriptItem

    work = Path(tempfile.mkdtemp(prefix="pixtral-shots-"))
    shots = [
        prepare_image(
            fake_screenshot("Mail — Settings", (52, 101, 164), (1280, 800)), name="settings.png"
        ),
        prepare_image(fake_screenshot("Mail — Sync", (52, 101, 164), (1280, 800)), name="sync.png"),
        prepare_image(fake_screenshot("Sign in", (46, 125, 50), (800, 900)), name="sign-in.png"),
    ]

    def window_for(model: str):
        settings = Settings(work / f"settings-{model or 'none'}.ini")
        settings["model"] = model
        window = build_window(settings, work / f"data-{model or 'none'}")
        window.resize(1280, 820)
        window.show()
        return window

    def grab(window, name: str) -> None:
        for _ in range(30):
            app.processEvents()
        window.grab().save(str(args.out / f"{name}.png"))
        print(args.out / f"{name}.png")

    empty = window_for("")
    grab(empty, "empty")
    empty.close()

    window = window_for("pixtral-12b-Q4_K_M.gguf")
    now = time.time()
    window.session.db_pool.waitForDone(5000)
    app.processEvents()
    window.sidebar.set_rows(
        [
            SidebarRow(1, "Mail client settings review", now - 60, pinned=True),
            SidebarRow(2, "Receipt from the hardware store", now - 3_000),
            SidebarRow(3, "Landing page sketch to HTML", now - 90_000),
            SidebarRow(4, "Quarterly revenue chart", now - 200_000),
            SidebarRow(5, "Lease contract, clause 7", now - 400_000),
        ]
    )
    window.engine.set_loaded(device="CUDA", n_ctx=32_768)
    window.refresh_engine_label()
    window.composer.editor.setPlainText("What is wrong in these three screens?")
    window.composer.images.add([_source(shot) for shot in shots])
    deadline = time.monotonic() + 30
    while not window.composer.images.all_ready and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.02)
    window.update_meter()
    grab(window, "composing")

    question = TranscriptItem.from_message(
        Message.user("What is wrong in these three screens?", shots), 1
    )
    partial = ANSWER[: len(ANSWER) // 3]
    window.transcript.set_messages(
        [question, TranscriptItem.from_message(Message.assistant(partial), 2)]
    )
    window.transcript.set_status(1, MessageStatus.STREAMING)
    window.composer.clear_after_send()
    window.composer.set_generating(True)
    window.activity.setText(
        "41 tokens at 38.2 tokens/s · first token after 0.41 s · prompt 6,911 · CUDA"
    )
    window._refresh_page()
    grab(window, "streaming")

    window.transcript.set_text(1, ANSWER)
    window.transcript.set_status(1, MessageStatus.COMPLETE)
    window.transcript.set_branch(1, 1, 2)
    window.composer.set_generating(False)
    window.activity.setText(
        "212 tokens at 38.0 tokens/s · first token after 0.41 s · prompt 6,911 · CUDA"
    )
    grab(window, "answer-with-code")

    app.setPalette(dark_palette())
    window.chat_view.delegate.restyle()
    grab(window, "dark")
    window.close()
    app.setPalette(app.style().standardPalette())
    studio_shot(app, args.out)
    return 0


STUDIO_PAGE = """<!DOCTYPE html>
<html><head><style>
body { margin: 0; background: #f6f7f9; font: 13px sans-serif; width: 800px; height: 600px; }
header { background: #2e7d32; color: white; height: 36px; line-height: 36px; padding-left: 12px; }
nav { position: absolute; top: 36px; left: 0; width: 150px; bottom: 0; background: #e4e7ec; }
nav div { background: #cdd1d8; width: 116px; height: 16px; margin: 20px 0 14px 14px; }
main { position: absolute; top: 36px; left: 180px; right: 40px; }
input { display: block; width: 100%; height: 26px; box-sizing: border-box; margin-top: 24px;
        border: 1px solid #b4b8be; }
button { position: absolute; top: 508px; right: 0; width: 110px; height: 32px; border: 0;
         border-radius: 6px; background: #2e7d32; }
</style></head><body><header>Sign in</header>
<nav><div></div><div></div><div></div><div></div><div></div></nav>
<main><input><input><input><input><input><button></button></main></body></html>"""


def studio_shot(app: QApplication, out: Path) -> None:
    """The HTML studio with two versions of a page, comparing version 2 with the original."""
    from app.ui.studio.html_studio import HtmlStudio
    from app.workflows.html_versions import PageVersion, StudioRecord

    original = prepare_image(fake_screenshot("Sign in", (46, 125, 50), (800, 600)), name="s.png")
    first = STUDIO_PAGE.replace("width: 150px", "width: 190px").replace("right: 0;", "left: 0;")
    studio = HtmlStudio()
    studio.show_record(StudioRecord(original, (PageVersion(1, first), PageVersion(2, STUDIO_PAGE))))
    studio.show()
    studio.resize(1280, 760)  # after show: shown, the studio fits itself to the (offscreen) screen
    studio.tabs.setCurrentWidget(studio.compare)
    deadline = time.monotonic() + 30
    while "similar" not in studio.compare.summary.text() and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.02)
    studio.compare.differences.setChecked(True)
    studio.status.setText("Version 2 is ready.")
    for _ in range(30):
        app.processEvents()
    studio.grab().save(str(out / "html-studio.png"))
    print(out / "html-studio.png")
    studio.close()


def _source(image):
    from app.ui.composer.pending_images import ImageSource

    return ImageSource(data=image.to_png(), name=image.name)


if __name__ == "__main__":
    raise SystemExit(main())
