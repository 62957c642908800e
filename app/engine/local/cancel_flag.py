"""A cancel flag that llama.cpp itself can read, with no Python call per check.

llama.cpp calls its abort callback between every node of every compute graph: thousands of
times per token. A Python callback there would take the GIL each time and cost a few percent of
decode speed. Instead the flag is a NUL-terminated byte string in shared memory and the abort
callback is the C library's ``strlen``: it returns 0 (continue) while the first byte is NUL and
1 (abort) once the app writes a non-NUL byte. Same ABI on every platform we ship (the result is
read as a C ``bool`` from the low byte of the return register).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing.sharedctypes
import sys
from typing import Any


class CancelFlag:
    """Two bytes of shared memory: ``b"\\0"`` is running, ``b"x"`` is cancel requested."""

    def __init__(self, raw: Any = None) -> None:
        self.raw = (
            raw if raw is not None else multiprocessing.sharedctypes.RawArray(ctypes.c_char, 2)
        )

    def set(self) -> None:
        self.raw[0] = b"x"

    def clear(self) -> None:
        self.raw[0] = b"\0"

    def is_set(self) -> bool:
        return self.raw[0] != b"\0"

    @property
    def address(self) -> int:
        return ctypes.addressof(self.raw)


def c_strlen_address() -> int:
    """The address of the C library's ``strlen``, to pass as a ``ggml_abort_callback``."""
    if sys.platform == "win32":
        libc = ctypes.cdll.msvcrt
    else:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None)
    address = ctypes.cast(libc.strlen, ctypes.c_void_p).value
    if not address:
        raise OSError("strlen not found in the C library")
    return address
