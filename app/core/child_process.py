"""Starting a helper process without dragging the app's main script into it.

``spawn`` children, and each child of a fork server, re-import the parent's ``__main__`` file
unless the parent was started with ``-m`` (the ``pixtral-desk`` script is not). The llama.cpp
worker and the PDF reader need none of it, and it costs and hurts: the whole app, Qt included,
loads next to the native library (seconds of start-up), and one such mix — a benchmark
importing sentencepiece next to llama.cpp — crashed llama.cpp's tokenizer with SIGSEGV.

Hiding means removing ``__main__.__file__`` for the moment the child starts. The engine starts
its worker on one thread and documents start their reader on another, so the hiding is
serialised by a lock: two starts at once would otherwise restore the file name under each
other (or delete it twice).
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Iterator

_lock = threading.Lock()


@contextlib.contextmanager
def main_script_hidden() -> Iterator[None]:
    """While this is open, a child process started here does not import ``__main__``."""
    with _lock:
        main = sys.modules.get("__main__")
        path = getattr(main, "__file__", None)
        if main is None or path is None:
            yield
            return
        del main.__file__
        try:
            yield
        finally:
            main.__file__ = path
