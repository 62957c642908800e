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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "resources" / "screenshots")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    from app.ui.studio.web_setup import prepare_web_engine

    prepare_web_engine()
    app = QApplication.instance() or QApplication([])
    from app.ui.theme.theme import Theme

    theme = Theme.install(app, "light")  # the pictures never depend on this machine's OS
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

    def window_for(model: str, name: str = ""):
        name = name or model or "none"
        settings = Settings(work / f"settings-{name}.ini")
        settings["model"] = model
        window = build_window(settings, work / f"data-{name}")
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
    window.sidebar.set_rows(sidebar_rows(SidebarRow, now))
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

    theme.set_appearance("dark")
    window.chat_view.delegate.restyle()
    grab(window, "dark")
    window.close()
    theme.set_appearance("light")
    studio_shot(app, args.out)
    first_hour_shots(app, window_for, grab, shots)
    return 0


def sidebar_rows(row, now: float) -> list:
    return [
        row(1, "Mail client settings review", now - 60, pinned=True),
        row(2, "Receipt from the hardware store", now - 3_000),
        row(3, "Landing page sketch to HTML", now - 90_000),
        row(4, "Quarterly revenue chart", now - 200_000),
        row(5, "Lease contract, clause 7", now - 400_000),
    ]


HOME = Path("/home/ana")  # not this machine's: the pictures are the same everywhere
LEASE = "lease.pdf"
LEASE_PAGES = {
    1: "Residential lease between Ana Ruiz (tenant) and Parkside Homes Ltd (landlord).\n",
    2: "7. Notice. Either party may end this lease with three months' notice in writing. "
    "7.2 The tenant repairs damage they cause; the landlord keeps the heating, plumbing "
    "and roof in repair.\n",
    3: "9. Deposit. The deposit of 1,800 is returned within 30 days of the end of the lease.\n",
}
LEASE_QUESTION = "How much notice do I have to give, and who pays for a broken boiler?"
LEASE_ANSWER = """**Notice:** three months, given **in writing** — either side can end the lease \
that way (clause 7, p. 2).

**A broken boiler:** the landlord pays. Clause 7.2 keeps *the heating, plumbing and roof* \
with the landlord; you only repair damage you cause yourself (p. 2).

The deposit (1,800) comes back within 30 days of the lease ending (p. 3).
"""
LIMIT_QUESTION = "Write out all the text in these three screens, screen by screen."
LIMIT_ANSWER = """### Screen 1 — Settings → Accounts

- **Account name:** ana@example.com
- **Incoming server:** imap.example.com, port 993, SSL/TLS
- **Outgoing server:** smtp.example.com, port 587, STARTTLS
- **Sign-in method:** normal password
- Buttons: *Cancel*, *Save* (greyed out)

### Screen 2 — Settings → Sync

- **Check for new mail every:** `15 minutes`
- **Keep messages for:** all time
- **Download:** headers and bodies
- **Sync folders:** Inbox, Sent, Drafts, Archive, Newsletters, Receipts, Travel, Work, \
Family, Photos, Old projects, Taxes 2023, Taxes 2024, Subscriptions, Bills and
"""


def fake_hardware():
    from app.core.budget import GIB
    from app.models.hardware import GpuInfo, HardwareReport

    gpu = (GpuInfo("NVIDIA GeForce RTX 4070", 12 * GIB, 11 * GIB, "nvidia"),)
    return HardwareReport(("CUDA", "CPU"), True, gpu, 32 * GIB, 24 * GIB, 200 * GIB, HOME)


def found_pair():
    """A Pixtral 12B Q4_K_M pair in the Hugging Face cache, as the disk scan reports it."""
    from app.core.model_files import MmprojInfo, TextModelInfo
    from app.models.discovery import ModelPair, ScanResult

    folder = HOME / ".cache/huggingface/hub/models--bartowski--pixtral-12b-GGUF/snapshots/5f1c3e7"
    text = TextModelInfo(
        folder / "pixtral-12b-Q4_K_M.gguf", "llama", "Pixtral 12B", 40, 5120, 32, 8, 128,
        1_024_000, 7_477_000_000,
    )  # fmt: skip
    mmproj = MmprojInfo(folder / "mmproj-pixtral-12b-f16.gguf", "pixtral", 5120, 16, 879_000_000)
    return ScanResult(pairs=[ModelPair(text, mmproj, "Hugging Face cache", "Q4_K_M")])


def first_hour_shots(app: QApplication, window_for, grab, shots) -> None:
    """What a new user sees first: the setup assistant with nothing found and with a pair found,
    a document chat whose answer cites its pages, and an answer cut at the answer limit."""
    from app.core.composition import Composition
    from app.core.conversation import TextPart
    from app.core.document_marks import document_header, page_label
    from app.models.discovery import ScanResult
    from app.ui.session.session_history import SidebarRow
    from app.ui.transcript.transcript_model import TranscriptItem
    from app.ui.window import main_window

    real = main_window.SetupAssistant
    for name, result in (("first-run", ScanResult()), ("setup-found", found_pair())):
        main_window.SetupAssistant = lambda *a, result=result, **k: real(
            *a, probe_fn=fake_hardware, scan_fn=lambda folders: result, **k
        )
        try:
            window = window_for("", name)
        finally:
            main_window.SetupAssistant = real
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (
            window.setup is None
            or window.setup.scan_status.text() == "Searching…"
            or window.setup.recommendation is None
        ):
            app.processEvents()
            time.sleep(0.02)
        grab(window, name)
        window.close()

    window = window_for("pixtral-12b-Q4_K_M.gguf", "document")
    window.session.db_pool.waitForDone(5000)
    app.processEvents()
    window.sidebar.set_rows(sidebar_rows(SidebarRow, time.time()))
    window.engine.set_loaded(device="CUDA", n_ctx=32_768)
    window.refresh_engine_label()
    pages = [TextPart(document_header(LEASE, 3, list(LEASE_PAGES)))]
    pages += [TextPart(page_label(LEASE, page) + text) for page, text in LEASE_PAGES.items()]
    question = Composition(LEASE_QUESTION, document=pages).message()
    window.transcript.set_messages(
        [
            TranscriptItem.from_message(question, 1),
            TranscriptItem.from_message(Message.assistant(LEASE_ANSWER), 2),
        ]
    )
    window.activity.setText(
        "96 tokens at 37.6 tokens/s · first token after 0.62 s · prompt 1,204 · CUDA"
    )
    window.update_meter()
    window._refresh_page()
    grab(window, "document-chat")
    window.close()

    window = window_for("pixtral-12b-Q4_K_M.gguf", "limit")
    window.session.db_pool.waitForDone(5000)
    app.processEvents()
    window.sidebar.set_rows(sidebar_rows(SidebarRow, time.time()))
    window.engine.set_loaded(device="CUDA", n_ctx=32_768)
    window.refresh_engine_label()
    window.transcript.set_messages(
        [
            TranscriptItem.from_message(Message.user(LIMIT_QUESTION, shots), 1),
            TranscriptItem.from_message(Message.assistant(LIMIT_ANSWER), 2),
        ]
    )
    window.transcript.set_limit_reached(1, True)
    window.activity.setText(
        "1,024 tokens at 38.1 tokens/s · first token after 0.41 s · prompt 6,911 · CUDA"
    )
    window.update_meter()
    window._refresh_page()
    grab(window, "answer-limit")
    window.close()


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
