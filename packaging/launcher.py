"""Entry point of the frozen bundle (PyInstaller): ``app.cli:main`` behind ``freeze_support``.

The local engine runs llama.cpp in a ``spawn`` worker process; in a frozen build that child is
the bundle's own executable started with multiprocessing's arguments, and ``freeze_support()``
must run first so the child becomes the worker instead of opening a second window.
"""

import multiprocessing

if __name__ == "__main__":
    multiprocessing.freeze_support()

    from app.cli import main

    raise SystemExit(main())
