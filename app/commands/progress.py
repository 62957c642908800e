"""A batch's progress on stderr, for runs whose answers are not on the screen.

On a terminal it is one line redrawn in place (a bar, the count, the rate, the input being
read); in a log file, one line per input. Messages about an input (a bad file) come on their
own line, so they are not drawn over.
"""

from __future__ import annotations

import time
from typing import IO

BAR_WIDTH = 20


class Progress:
    def __init__(self, total: int, stream: IO[str], enabled: bool = True) -> None:
        self.total = total
        self.stream = stream
        self.enabled = enabled
        self.redraw = enabled and _isatty(stream)
        self._started = time.monotonic()
        self._line = ""

    def start(self, index: int, name: str) -> None:
        if self.redraw:
            self._draw(f"{self._bar(index)} {index}/{self.total} · reading {name}")

    def done(self, count: int, answered: int, failed: int) -> None:
        if not self.enabled:
            return
        minutes = (time.monotonic() - self._started) / 60
        rate = f"{count / minutes:.1f}/min" if minutes > 0 else ""
        text = f"{self._bar(count)} {count}/{self.total} · {rate} · {failed} failed"
        if self.redraw:
            self._draw(text)
        else:
            print(text, file=self.stream, flush=True)

    def note(self, message: str) -> None:
        """A line of its own (above the redrawn bar on a terminal)."""
        if self.redraw and self._line:
            self.stream.write("\r" + " " * len(self._line) + "\r")
        print(f"pixtral-desk: {message}", file=self.stream, flush=True)
        if self.redraw and self._line:
            self.stream.write(self._line)
            self.stream.flush()

    def end(self) -> None:
        if self.redraw and self._line:
            self.stream.write("\n")
            self.stream.flush()
            self._line = ""

    def _bar(self, count: int) -> str:
        filled = round(BAR_WIDTH * count / self.total) if self.total else BAR_WIDTH
        return "[" + "#" * filled + "." * (BAR_WIDTH - filled) + "]"

    def _draw(self, text: str) -> None:
        pad = max(len(self._line) - len(text), 0)
        self._line = text
        self.stream.write("\r" + text + " " * pad)
        self.stream.flush()


def _isatty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
