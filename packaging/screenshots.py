"""Render the README screenshots of the window's states to PNG, in light and in dark.

    python packaging/screenshots.py [--out resources/screenshots] [--scheme light|dark|both]

The window is the real one; only the content is scripted (no model runs, see
packaging/screenshot_content.py), so the pictures are reproducible on any machine, offscreen.
Light pictures are ``NAME.png``, dark ones ``NAME-dark.png``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "packaging"))  # its neighbour, not the pip package 'packaging'
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import screenshot_content as content  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from app.core.conversation import Message, MessageStatus  # noqa: E402
from app.core.images import PreparedImage, prepare_image  # noqa: E402
from app.settings import Settings  # noqa: E402

SIZE = (1280, 820)
BYLINE = {"model": "Pixtral 12B", "badge": "Local · CUDA"}
"""Which model wrote the scripted answers and where it ran, as a stored answer says it."""


class Shooter:
    """Builds windows on fresh settings and history, and saves what they show."""

    def __init__(self, app: QApplication, out: Path, suffix: str) -> None:
        self.app = app
        self.out = out
        self.suffix = suffix
        self.work = Path(tempfile.mkdtemp(prefix="pixtral-shots-"))

    def window(self, model: str, name: str):
        from app.main import build_window

        settings = Settings(self.work / f"settings-{name}.ini")
        settings["model"] = model
        if model:  # a complete pair, as the setup leaves it
            settings["mmproj"] = "mmproj-pixtral-12b-f16.gguf"
        window = build_window(settings, self.work / f"data-{name}")
        window.resize(*SIZE)
        window.show()
        return window

    def chat_window(self, name: str):
        """A window on a loaded local model, with a few chats in the sidebar."""
        from app.ui.session.session_history import SidebarRow

        window = self.window("pixtral-12b-Q4_K_M.gguf", name)
        window.session.db_pool.waitForDone(5000)
        self.app.processEvents()
        window.sidebar.set_rows(content.sidebar_rows(SidebarRow, time.time()))
        window.engine.set_loaded(device="CUDA", n_ctx=32_768)
        window.refresh_engine_label()
        return window

    def settle(self, until: Callable[[], bool] = lambda: True, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while not until() and time.monotonic() < deadline:
            self.app.processEvents()
            time.sleep(0.02)
        for _ in range(30):
            self.app.processEvents()

    def grab(self, widget: QWidget, name: str) -> None:
        self.settle()
        path = self.out / f"{name}{self.suffix}.png"
        widget.grab().save(str(path))
        print(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "resources" / "screenshots")
    parser.add_argument("--scheme", choices=("light", "dark", "both"), default="both")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    from app.ui.studio.web_setup import prepare_web_engine

    prepare_web_engine()
    app = QApplication.instance() or QApplication([])
    from app.ui.theme.theme import Theme

    theme = Theme.install(app, "light")  # the pictures never depend on this machine's OS
    shots = [
        prepare_image(
            content.fake_screenshot("Mail — Settings", (52, 101, 164), (1280, 800)),
            name="settings.png",
        ),
        prepare_image(
            content.fake_screenshot("Mail — Sync", (52, 101, 164), (1280, 800)), name="sync.png"
        ),
        prepare_image(
            content.fake_screenshot("Sign in", (46, 125, 50), (800, 900)), name="sign-in.png"
        ),
    ]
    schemes = ("light", "dark") if args.scheme == "both" else (args.scheme,)
    for scheme in schemes:
        theme.set_appearance(scheme)
        shooter = Shooter(app, args.out, "" if scheme == "light" else "-dark")
        chat_shots(shooter, shots)
        studio_shot(shooter)
        first_hour_shots(shooter, shots)
    return 0


def chat_shots(shooter: Shooter, shots: list[PreparedImage]) -> None:
    """The empty chat; composing three screenshots and a PDF; streaming; the finished answer
    with a table and code; and the settings dialog over it."""
    from PySide6.QtCore import QPoint
    from PySide6.QtTest import QTest

    from app.ui.transcript.transcript_model import TranscriptItem

    empty = shooter.chat_window("empty")  # the empty chat (first run has its own shot)
    empty.update_meter()
    shooter.grab(empty, "empty")
    empty.close()

    window = shooter.chat_window("chat")
    window.composer.editor.setPlainText("What is wrong in these three screens?")
    window.composer.images.add([_source(shot) for shot in shots])
    window.composer.attach_document(content.LEASE, lease_parts(), 212)
    shooter.settle(lambda: window.composer.images.all_ready)
    window.update_meter()
    shooter.grab(window, "composing")
    window.composer.detach_document(content.LEASE)

    question = TranscriptItem.from_message(
        Message.user("What is wrong in these three screens?", shots), 1
    )
    partial = content.ANSWER[: len(content.ANSWER) // 3]
    window.transcript.set_messages(
        [question, TranscriptItem.from_message(Message.assistant(partial), 2, **BYLINE)]
    )
    window.transcript.set_status(1, MessageStatus.STREAMING)
    window.composer.clear_after_send()
    window.composer.set_generating(True)
    window.activity.setText(
        "41 tokens at 38.2 tokens/s · first token after 0.41 s · prompt 6,911 · CUDA"
    )
    window._refresh_page()
    shooter.grab(window, "streaming")

    window.transcript.set_text(1, content.ANSWER)
    window.transcript.set_status(1, MessageStatus.COMPLETE)
    window.transcript.set_branch(1, 1, 2)
    window.composer.set_generating(False)
    finished_turn(window, prompt=6_911, generated=212)
    shooter.settle()
    view = window.chat_view  # the pointer rests on the answer: its actions show
    answer = view.visualRect(window.transcript.index(1))
    y = min(answer.bottom(), view.viewport().height()) - answer.height() // 4
    QTest.mouseMove(view.viewport(), QPoint(1, 1))  # a move even where the last shot left it
    QTest.mouseMove(view.viewport(), QPoint(answer.center().x(), max(y, answer.top() + 1)))
    shooter.settle(lambda: view.actions_shown(1) and view.actions_opacity(1) == 1.0)  # faded in
    shooter.grab(window, "answer-with-code")

    from app.ui.setup.settings_dialog import SettingsDialog

    dialog = SettingsDialog(window.engine.settings, "", window)
    dialog.show()
    shooter.grab(dialog, "settings")
    dialog.close()
    window.close()


def finished_turn(window, prompt: int, generated: int, ttft_s: float = 0.41) -> None:
    """What the window shows once a turn has ended: its usage line, and the context meter
    counting the conversation as the engine reported it (not 0 for a chat on screen)."""
    from app.engine.base import Usage

    usage = Usage(
        prompt_tokens=prompt,
        cached_tokens=0,
        evaluated_tokens=prompt,
        image_tokens=(),
        images_encoded=0,
        generated_tokens=generated,
        ttft_s=ttft_s,
        prefill_s=ttft_s,
        decode_s=(generated - 1) / 38.0,
        backend="local",
        device="CUDA",
    )
    window.session.bridge.usage_ready.emit(usage)  # through the window's wiring, as a real turn
    window.update_meter()


def lease_parts() -> list:
    from app.core.conversation import TextPart
    from app.core.document_marks import document_header, page_label

    pages = [TextPart(document_header(content.LEASE, 3, list(content.LEASE_PAGES)))]
    pages += [
        TextPart(page_label(content.LEASE, page) + text)
        for page, text in content.LEASE_PAGES.items()
    ]
    return pages


def first_hour_shots(shooter: Shooter, shots: list[PreparedImage]) -> None:
    """What a new user sees first: the setup assistant with nothing found and with a pair found,
    a document chat whose answer cites its pages, and an answer cut at the answer limit."""
    from app.core.composition import Composition
    from app.models.discovery import ScanResult
    from app.ui.transcript.transcript_model import TranscriptItem
    from app.ui.window import main_window

    real = main_window.SetupAssistant
    for name, result in (("first-run", ScanResult()), ("setup-found", content.found_pair())):
        main_window.SetupAssistant = lambda *a, result=result, **k: real(
            *a, probe_fn=content.fake_hardware, scan_fn=lambda folders: result, **k
        )
        try:
            window = shooter.window("", name)
        finally:
            main_window.SetupAssistant = real
        shooter.settle(
            lambda window=window: (
                window.setup is not None
                and window.setup.scan_status.text() != "Searching…"
                and window.setup.recommendation is not None
            )
        )
        shooter.grab(window, name)
        window.close()

    window = shooter.chat_window("document")
    question = Composition(content.LEASE_QUESTION, document=lease_parts()).message()
    window.transcript.set_messages(
        [
            TranscriptItem.from_message(question, 1),
            TranscriptItem.from_message(Message.assistant(content.LEASE_ANSWER), 2, **BYLINE),
        ]
    )
    finished_turn(window, prompt=1_204, generated=96, ttft_s=0.62)
    window._refresh_page()
    shooter.grab(window, "document-chat")
    window.close()

    window = shooter.chat_window("limit")
    window.transcript.set_messages(
        [
            TranscriptItem.from_message(Message.user(content.LIMIT_QUESTION, shots), 1),
            TranscriptItem.from_message(Message.assistant(content.LIMIT_ANSWER), 2, **BYLINE),
        ]
    )
    window.transcript.set_limit_reached(1, True)
    finished_turn(window, prompt=6_911, generated=1_024)
    window._refresh_page()
    shooter.grab(window, "answer-limit")
    window.close()


def studio_shot(shooter: Shooter) -> None:
    """The HTML studio with two versions of a page, comparing version 2 with the original."""
    from app.ui.studio.html_studio import HtmlStudio
    from app.workflows.html_versions import PageVersion, StudioRecord

    original = prepare_image(
        content.fake_screenshot("Sign in", (46, 125, 50), (800, 600)), name="s.png"
    )
    page = content.STUDIO_PAGE
    first = page.replace("width: 150px", "width: 190px").replace("right: 0;", "left: 0;")
    studio = HtmlStudio()
    studio.show_record(StudioRecord(original, (PageVersion(1, first), PageVersion(2, page))))
    studio.show()
    studio.resize(1280, 760)  # after show: shown, the studio fits itself to the (offscreen) screen
    studio.tabs.setCurrentWidget(studio.compare)
    shooter.settle(lambda: "similar" in studio.compare.summary.text())
    studio.compare.differences.setChecked(True)
    studio.status.setText("Version 2 is ready.")
    shooter.grab(studio, "html-studio")
    studio.close()


def _source(image: PreparedImage):
    from app.ui.composer.pending_images import ImageSource

    return ImageSource(data=image.to_png(), name=image.name)


if __name__ == "__main__":
    raise SystemExit(main())
