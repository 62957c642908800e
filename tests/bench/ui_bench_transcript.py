"""GUI event-loop stalls of the transcript.

A 5 ms ``QTimer`` records how late each of its ticks fires; the worst lateness is the longest
time the GUI thread was busy, i.e. the longest the window would freeze. Scenarios:

a. Stream a 20,000-token Markdown answer with code blocks and tables at 200 tokens/s into a
   model that already holds 500 messages, the view following the bottom. Tokens are fed from a
   16 ms timer on the GUI thread, coalesced the way ``EngineBridge`` delivers them.
c. Load a 2,000-message conversation into the model and view (``set_messages``), until every
   row is measured.

Target: worst stall < 16 ms (one 60 Hz frame) in each. Usage::

    python tests/bench/ui_bench_transcript.py [--rate 200] [--tokens 20000] [--out FILE.md]

``--rate`` above 200 gives a quick check; report numbers at 200 tokens/s.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _guard_none_refcount() -> None:
    """PySide6 6.12.0 on Python < 3.12 drops a reference to ``None`` on every void method
    call (measured: ``QObject.setObjectName`` 1,000× → refcount −1,000; 6.11.3 does not), so
    any long run dies with "deallocating None". Make ``None`` effectively immortal, as it is
    on 3.12+, so the benchmark measures the transcript and not that bug."""
    if sys.version_info < (3, 12):
        import ctypes

        for singleton in (None, True, False):  # bools are dropped the same way
            ctypes.c_ssize_t.from_address(id(singleton)).value += 1 << 40


_guard_none_refcount()

from PySide6.QtCore import QElapsedTimer, Qt, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from app.core.conversation import MessageStatus, Role  # noqa: E402
from app.ui.common.gil_switch import shorten_gil_switch  # noqa: E402
from app.ui.common.gui_gc import GuiThreadCollector  # noqa: E402
from app.ui.transcript.chat_view import ChatView  # noqa: E402
from app.ui.transcript.transcript_model import TranscriptItem, TranscriptModel  # noqa: E402
from tests.bench.machine import UI_STALL_TARGET_MS, cpu_model  # noqa: E402

TARGET_MS = UI_STALL_TARGET_MS
_PROSE = (
    "the model reads each image as patches and the answer streams token by token while "
    "the window stays smooth because only one row changes at a time"
)
WORDS = _PROSE.split()


def _paragraph(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text.capitalize() + ". Use `inline_code()` and **bold** with a [link](https://x.org)."


def _code(rng: random.Random, lines: int) -> str:
    body = "\n".join(
        f"    value_{i} = compute({i}, name='item_{i}')  # step {rng.randint(0, 99)}"
        for i in range(lines)
    )
    return f"```python\ndef block_{rng.randint(0, 999)}():\n{body}\n    return value_0\n```"


def _table(rng: random.Random, rows: int) -> str:
    lines = ["| Name | Tokens | Note |", "|:--|--:|:--|"]
    lines += [f"| row {i} | {rng.randint(1, 9999)} | {rng.choice(WORDS)} |" for i in range(rows)]
    return "\n".join(lines)


def markdown_answer(rng: random.Random, blocks: int) -> str:
    parts = [f"## Answer {rng.randint(0, 99)}"]
    for _ in range(blocks):
        kind = rng.random()
        if kind < 0.55:
            parts.append(_paragraph(rng, rng.randint(20, 70)))
        elif kind < 0.8:
            parts.append(_code(rng, rng.randint(5, 30)))
        elif kind < 0.9:
            parts.append(_table(rng, rng.randint(3, 8)))
        else:
            parts.append("\n".join(f"- {_paragraph(rng, 8)}" for _ in range(rng.randint(2, 6))))
    return "\n\n".join(parts) + "\n"


def conversation(rng: random.Random, count: int) -> list[TranscriptItem]:
    items = []
    for i in range(count):
        if i % 2 == 0:
            items.append(TranscriptItem(Role.USER, _paragraph(rng, rng.randint(5, 40))))
        else:
            items.append(TranscriptItem(Role.ASSISTANT, markdown_answer(rng, rng.randint(1, 8))))
    return items


def tokenize(text: str, count: int) -> list[str]:
    """Split into ~count pieces of 1–6 characters, like BPE tokens (whitespace attached)."""
    rng = random.Random(7)
    tokens, i = [], 0
    while i < len(text):
        step = rng.randint(1, 6)
        tokens.append(text[i : i + step])
        i += step
    return tokens[:count]


class StallProbe:
    """A 5 ms timer; each tick's lateness is how long the event loop was kept busy."""

    def __init__(self, interval_ms: int = 5) -> None:
        self.interval = interval_ms
        self.late_ms: list[float] = []
        self._clock = QElapsedTimer()
        self._timer = QTimer(interval=interval_ms, timeout=self._on_timer_timeout)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)

    def start(self) -> None:
        self.late_ms.clear()
        self._clock.start()
        self._last = 0.0
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _on_timer_timeout(self) -> None:
        now = self._clock.nsecsElapsed() / 1e6
        self.late_ms.append(max(0.0, now - self._last - self.interval))
        self._last = now

    def summary(self) -> tuple[float, float, int]:
        values = sorted(self.late_ms) or [0.0]
        p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
        return p99, values[-1], len(values)


def run_until(app: QApplication, done, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not done() and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.001)


def scenario_stream(app, view: ChatView, probe: StallProbe, tokens: list[str], rate: float):
    model: TranscriptModel = view.model()
    model.set_messages(conversation(random.Random(1), 500))
    run_until(app, view.delegate.all_measured, 120)
    run_until(app, lambda: False, 0.5)
    row = model.append_message(TranscriptItem(Role.ASSISTANT, status=MessageStatus.STREAMING))
    state = {"sent": 0, "start": time.monotonic()}

    def feed() -> None:  # what the bridge delivers: tokens coalesced per ~16 ms frame
        due = min(len(tokens), int((time.monotonic() - state["start"]) * rate))
        if due > state["sent"]:
            model.append_text(row, "".join(tokens[state["sent"] : due]))
            state["sent"] = due

    feeder = QTimer(interval=16, timeout=feed)
    probe.start()
    state["start"] = time.monotonic()
    feeder.start()
    run_until(app, lambda: state["sent"] >= len(tokens), len(tokens) / rate + 60)
    feeder.stop()
    model.set_status(row, MessageStatus.COMPLETE)
    run_until(app, lambda: False, 0.5)
    probe.stop()
    bar = view.verticalScrollBar()
    return probe.summary(), time.monotonic() - state["start"], bar.value() == bar.maximum()


def scenario_load(app, view: ChatView, probe: StallProbe, count: int):
    items = conversation(random.Random(2), count)
    model: TranscriptModel = view.model()
    model.clear()
    run_until(app, lambda: False, 0.3)
    probe.start()
    started = time.monotonic()
    QTimer.singleShot(20, lambda: model.set_messages(items))
    run_until(app, lambda: model.rowCount() == count, 10)
    run_until(app, lambda: False, 0.1)
    run_until(app, view.delegate.all_measured, 300)
    measured = time.monotonic() - started
    run_until(app, lambda: False, 0.5)
    probe.stop()
    return probe.summary(), measured


def machine() -> str:
    cpu = cpu_model()
    from PySide6.QtCore import __version__ as pyside

    return (
        f"{cpu}, {os.cpu_count()} logical CPUs, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, PySide6 {pyside}, "
        f"QPA {QApplication.platformName()}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200.0, help="tokens per second")
    parser.add_argument("--tokens", type=int, default=20_000)
    parser.add_argument("--load", type=int, default=2_000, help="messages to open in (c)")
    parser.add_argument("--out", type=Path, help="write the Markdown table here")
    args = parser.parse_args()

    app = QApplication.instance() or QApplication(sys.argv)
    shorten_gil_switch()  # as app/main.py
    collector = GuiThreadCollector(app)  # the app's garbage collection, as app/main.py sets it
    view = ChatView(TranscriptModel())
    view.resize(900, 1000)
    view.show()
    collector.defer_full_while(view.animating)  # as app/main.py (the window adds generating)
    collector.freeze_startup()
    probe = StallProbe()
    answer = markdown_answer(random.Random(3), 900)
    tokens = tokenize(answer, args.tokens)
    text = "".join(tokens)
    print(f"answer: {len(tokens)} tokens, {len(text)} chars, {text.count('```') // 2} code blocks")

    (p99_a, max_a, ticks_a), took_a, followed = scenario_stream(app, view, probe, tokens, args.rate)
    print(f"a: {took_a:.0f} s, p99 {p99_a:.1f} ms, max {max_a:.1f} ms, followed={followed}")
    (p99_c, max_c, ticks_c), took_c = scenario_load(app, view, probe, args.load)
    print(f"c: all rows measured in {took_c:.1f} s, p99 {p99_c:.1f} ms, max {max_c:.1f} ms")

    def verdict(value: float) -> str:
        return "PASS" if value < TARGET_MS else "MISS"

    table = "\n".join(
        [
            f"| Scenario | Duration | Ticks | p99 lateness | Max lateness | < {TARGET_MS:.0f} ms |",
            "|---|--:|--:|--:|--:|:-:|",
            f"| (a) stream {len(tokens):,} tokens at {args.rate:g} tok/s into 500 messages "
            f"| {took_a:.0f} s | {ticks_a:,} | {p99_a:.1f} ms | {max_a:.1f} ms "
            f"| {verdict(max_a)} |",
            f"| (c) open {args.load:,} messages (until all rows measured) "
            f"| {took_c:.1f} s | {ticks_c:,} | {p99_c:.1f} ms | {max_c:.1f} ms "
            f"| {verdict(max_c)} |",
        ]
    )
    print(table)
    if args.out:
        args.out.write_text(
            "# Transcript event-loop stalls (tests/bench/ui_bench_transcript.py)\n\n"
            f"Machine: {machine()}.\n\n{table}\n"
        )
    return 0 if max(max_a, max_c) < TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
