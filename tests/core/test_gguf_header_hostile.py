"""Hostile GGUF headers: every claim in the file is bounded, one error type.

The reader meets files from anywhere, so random bytes and damaged real headers must either
parse or raise ``GgufFormatError`` — never another exception, never a hang, never an
allocation the size of a number the file made up.
"""

from __future__ import annotations

import functools
import os
import struct
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path
from typing import Any

import gguf
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core import gguf_header
from app.core.gguf_header import (
    MAX_ARRAY_DEPTH,
    GgufFormatError,
    GgufHeader,
    StringInfo,
    read_gguf_header,
)

MAX_PEAK_BYTES = 4 << 20  # "a few MB": the read window (1 MiB) and what is kept
SMALL_PEAK_BYTES = 256 << 10  # a file of a few kB: measured 15 kB at most
MAX_SECONDS = 1.0  # per example; measured 1.3 ms at most on a shared 2-core machine
HOSTILE = settings(
    max_examples=400,
    deadline=None,  # timed by hand below, with a bound loose enough for a loaded machine
    database=None,  # no .hypothesis folder in the checkout
    suppress_health_check=[HealthCheck.too_slow],
)


@functools.cache
def _scratch() -> Path:
    return Path(tempfile.mkdtemp(prefix="gguf-hostile-"))


@functools.cache
def _seed() -> bytes:
    """A small valid GGUF with every value type, short and long arrays, a nested one."""
    path = _scratch() / "seed.gguf"
    w = gguf.GGUFWriter(str(path), "llama")
    w.add_uint32("general.alignment", 32)
    w.add_name("seed")
    w.add_uint8("u8", 1)
    w.add_int8("i8", -1)
    w.add_uint16("u16", 2)
    w.add_int16("i16", -2)
    w.add_int32("i32", -3)
    w.add_float32("f32", 0.5)
    w.add_bool("b", True)
    w.add_uint64("u64", 4)
    w.add_int64("i64", -4)
    w.add_float64("f64", 0.25)
    w.add_array("short_floats", [0.1, 0.2, 0.3])
    w.add_array("short_strings", ["a", "bc", "def"])
    w.add_array("long_strings", [f"t{i}" for i in range(80)])
    w.add_array("long_ints", list(range(80)))
    w.add_array("nested", [[1, 2], [3]])
    w.add_tensor("a", np.zeros((2, 8), dtype=np.float16))
    w.add_tensor("b", np.zeros((2, 2, 4), dtype=np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path.read_bytes()


def _parse(data: bytes) -> GgufHeader | GgufFormatError:
    """Parse ``data`` from a file; any exception but ``GgufFormatError`` fails the test."""
    path = _scratch() / "example.gguf"
    path.write_bytes(data)
    tracemalloc.start()
    start = time.perf_counter()
    try:
        outcome: GgufHeader | GgufFormatError = read_gguf_header(path)
    except GgufFormatError as exc:
        outcome = exc
    finally:
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert peak < SMALL_PEAK_BYTES, f"{peak:,} bytes allocated"
    assert elapsed < MAX_SECONDS, f"{elapsed:.2f} s"
    return outcome


def test_the_seed_parses() -> None:
    header = _parse(_seed())
    assert isinstance(header, GgufHeader)
    assert header.get("nested") == [[1, 2], [3]] and header.get("long_ints").length == 80


@HOSTILE
@given(st.binary(max_size=2048), st.booleans())
def test_random_bytes(data: bytes, with_magic: bool) -> None:
    _parse((b"GGUF\x03\x00\x00\x00" if with_magic else b"") + data)


@HOSTILE
@given(st.data())
def test_mutated_headers(data: st.DataObject) -> None:
    seed = bytearray(_seed())
    n = data.draw(st.integers(1, 8))
    for _ in range(n):
        at = data.draw(st.integers(0, len(seed) - 1))
        seed[at] = data.draw(st.sampled_from([0x00, 0x01, 0x07, 0x08, 0x09, 0x7F, 0x80, 0xFF]))
    _parse(bytes(seed))


@HOSTILE
@given(st.data())
def test_truncated_and_mutated_headers(data: st.DataObject) -> None:
    seed = bytearray(_seed())
    if data.draw(st.booleans()):
        at = data.draw(st.integers(0, len(seed) - 1))
        seed[at] = data.draw(st.integers(0, 255))
    _parse(bytes(seed[: data.draw(st.integers(0, len(seed)))]))


_SIZES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
_INTERESTING = [0, 1, 2, 3, 4, 7, 8, 9, 12, 13, 64, 65, 1 << 16, 1 << 31, 1 << 32, 1 << 63]


@functools.cache
def _fields() -> tuple[tuple[int, int], ...]:
    """(offset, size) of every count, length and type field in the seed: where parsers break."""
    data, pos, found = _seed(), 24, [(4, 4), (8, 8), (16, 8)]
    n_tensors, n_kv = struct.unpack_from("<QQ", data, 8)

    def number(size: int) -> int:
        nonlocal pos
        found.append((pos, size))
        value = int.from_bytes(data[pos : pos + size], "little")
        pos += size
        return value

    def string() -> None:
        nonlocal pos
        length = number(8)  # before the +=, which would read pos before number() moved it
        pos += length

    def value(value_type: int) -> None:
        nonlocal pos
        if value_type == 8:
            string()
        elif value_type == 9:
            item_type, length = number(4), number(8)
            for _ in range(length):
                value(item_type)
        else:
            pos += _SIZES[value_type]

    for _ in range(n_kv):
        string()
        value(number(4))
    for _ in range(n_tensors):
        string()
        for _ in range(number(4)):
            number(8)
        number(4)
        number(8)
    return tuple(found)


@HOSTILE
@given(st.data())
def test_mutated_counts_lengths_and_types(data: st.DataObject) -> None:
    seed = bytearray(_seed())
    for _ in range(data.draw(st.integers(1, 3))):
        at, size = data.draw(st.sampled_from(_fields()))
        value = data.draw(st.sampled_from(_INTERESTING) | st.integers(0, (1 << 8 * size) - 1))
        seed[at : at + size] = (value % (1 << 8 * size)).to_bytes(size, "little")
    _parse(bytes(seed))


def _header(kvs: list[bytes], n_tensors: int = 0, n_kv: int | None = None) -> bytes:
    count = len(kvs) if n_kv is None else n_kv
    return b"GGUF" + struct.pack("<IQQ", 3, n_tensors, count) + b"".join(kvs)


def _key(name: str, value_type: int) -> bytes:
    raw = name.encode()
    return struct.pack("<Q", len(raw)) + raw + struct.pack("<I", value_type)


@pytest.mark.parametrize("where", ["value", "key"])
def test_a_huge_claimed_string_is_never_read_into_memory(tmp_path: Path, where: str) -> None:
    claimed = 48 << 20  # 48 MB; the file is sparse, so this costs no disk
    if where == "value":
        head = _header([_key("tokenizer.huggingface.json", 8) + struct.pack("<Q", claimed)])
    else:
        head = _header([struct.pack("<Q", claimed)])
    path = tmp_path / "sparse.gguf"
    path.write_bytes(head)
    os.truncate(path, len(head) + claimed + 64)
    tracemalloc.start()
    try:
        outcome: object = read_gguf_header(path)
    except GgufFormatError as exc:
        outcome = exc
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < MAX_PEAK_BYTES
    if where == "value":
        assert isinstance(outcome, GgufHeader)
        assert outcome.get("tokenizer.huggingface.json") == StringInfo(claimed)
    else:
        assert isinstance(outcome, GgufFormatError)


def test_deeply_nested_arrays_are_refused(tmp_path: Path) -> None:
    depth = 5_000  # 12 bytes a level: 60 kB of file would overflow Python's recursion
    nest = struct.pack("<IQ", 9, 1) * depth + struct.pack("<IQ", 4, 0)
    path = tmp_path / "nested.gguf"
    path.write_bytes(_header([_key("deep", 9) + nest]))
    with pytest.raises(GgufFormatError, match="nested"):
        read_gguf_header(path)
    assert depth > MAX_ARRAY_DEPTH


@pytest.mark.parametrize(
    "value",
    [
        struct.pack("<I", 8) + struct.pack("<Q", 3) + b"abc",  # a string
        struct.pack("<I", 9) + struct.pack("<IQ", 4, 1) + struct.pack("<I", 32),  # a list
        struct.pack("<I", 4) + struct.pack("<I", 24),  # not a power of two
    ],
)
def test_a_bad_alignment_is_a_format_error(tmp_path: Path, value: bytes) -> None:
    raw = b"general.alignment"
    path = tmp_path / "align.gguf"
    path.write_bytes(_header([struct.pack("<Q", len(raw)) + raw + value]) + b"\0" * 32)
    with pytest.raises(GgufFormatError, match="alignment"):
        read_gguf_header(path)


def test_duplicate_keys_are_refused(tmp_path: Path) -> None:
    kv = _key("general.name", 8) + struct.pack("<Q", 1) + b"x"
    path = tmp_path / "dup.gguf"
    path.write_bytes(_header([kv, kv]) + b"\0" * 32)
    with pytest.raises(GgufFormatError, match="twice"):
        read_gguf_header(path)


def test_counts_beyond_the_file_fail_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Refused before the first entry is read (the mechanism, not a 50 ms limit): the counts
    are checked against the bytes left, so only the fixed header is ever read."""
    path = tmp_path / "counts.gguf"
    path.write_bytes(_header([], n_tensors=60_000, n_kv=60_000) + b"\0" * 64)
    reads: list[int] = []
    take, scalar = gguf_header._Reader.take, gguf_header._Reader.scalar

    def counted_take(self: Any, n: int) -> bytes:
        reads.append(n)
        return take(self, n)

    def counted_scalar(self: Any, codec: Any) -> Any:
        reads.append(codec.size)
        return scalar(self, codec)

    monkeypatch.setattr(gguf_header._Reader, "take", counted_take)
    monkeypatch.setattr(gguf_header._Reader, "scalar", counted_scalar)
    with pytest.raises(GgufFormatError, match="ends early"):
        read_gguf_header(path)
    assert reads == [4, 4, 8, 8]  # magic, version, tensor count, key/value count


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_named_gguf_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "x.gguf"
    os.mkfifo(fifo)
    outcome: list[BaseException | None] = []

    def read() -> None:
        try:
            read_gguf_header(fifo)
            outcome.append(None)
        except BaseException as exc:  # handed to the test thread to judge
            outcome.append(exc)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    thread.join(timeout=2)
    if thread.is_alive():  # a blocked open() waits for a writer: be one, so it can end
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        thread.join(timeout=2)
        pytest.fail("read_gguf_header blocked on a FIFO")
    assert isinstance(outcome[0], GgufFormatError)
    assert "regular file" in str(outcome[0])
