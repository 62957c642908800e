"""Read an export file within fixed bounds: zip or JSON, before any of it is trusted.

A 1 MB zip can inflate to gigabytes and a zip's sizes are only what its author wrote, so every
read is capped twice: the declared size is checked first (refused without reading), then the
bytes are read in chunks and reading stops one byte past the smaller of the declared size and
the limit (a member that is longer than it says is refused). The central directory is sized
from its end record before ``zipfile`` parses it, so a zip of millions of tiny members is
refused before millions of ``ZipInfo`` objects exist. Attachments are read one at a time, when
the importer asks, so memory holds the JSON plus one attachment, never the whole archive.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import struct
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from app.storage.errors import ImportFormatError
from app.storage.export import ZIP_JSON_NAME
from app.storage.export_format import (
    MAX_BLOB_BYTES,
    MAX_JSON_BYTES,
    MAX_TOTAL_BYTES,
    MAX_ZIP_MEMBERS,
)
from app.storage.schema_check import Invalid

CHUNK = 1024 * 1024
_END_RECORD = b"PK\x05\x06"
_ZIP64_END_RECORD = b"PK\x06\x06"
_MAX_CENTRAL_DIRECTORY = MAX_ZIP_MEMBERS * 256
"""Bytes of zip directory (46 bytes a member plus its name); bounds what ``zipfile`` parses."""
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, ValueError)
"""What ``zipfile`` raises on damaged, encrypted or unsupported members."""


def _size(size: int) -> str:
    """A size for a sentence: "1,024 MB", or "100 KB" / "12 bytes" for small ones."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):,.0f} MB"
    return f"{size // 1024:,} KB" if size >= 1024 else f"{size} bytes"


class ExportSource:
    """The parsed JSON of an export and, on demand, each attachment's bytes."""

    def __init__(self, name: str, payload: Any, archive: zipfile.ZipFile | None) -> None:
        self.name = name
        self.payload = payload
        self._archive = archive
        self._total = 0

    @property
    def is_zip(self) -> bool:
        return self._archive is not None

    def blob(self, where: tuple[str, ...], entry: dict[str, Any]) -> bytes:
        """One attachment: from the zip member ``entry["file"]`` or the base64 ``entry["data"]``."""
        if self._archive is None:
            data = entry.get("data")
            if data is None:
                raise Invalid(where, "data (the attachment as base64) is missing")
            if len(data) > MAX_BLOB_BYTES * 4 // 3 + 4:
                raise Invalid(where, f"is larger than {_size(MAX_BLOB_BYTES)}")
            try:
                return base64.b64decode(data, validate=True)
            except (binascii.Error, ValueError):
                raise Invalid(where, "data is not valid base64") from None
        member = entry.get("file")
        if member is None:
            raise Invalid(where, "file (the attachment's name in the zip) is missing")
        try:
            info = self._archive.getinfo(member)
        except KeyError:
            raise Invalid(where, f"{member} is missing from the zip") from None
        return self._read(info, MAX_BLOB_BYTES, where)

    def read_json(self) -> bytes:
        assert self._archive is not None
        try:
            info = self._archive.getinfo(ZIP_JSON_NAME)
        except KeyError:
            raise ImportFormatError(
                f"{self.name} is a zip but not a Pixtral Desk export (no {ZIP_JSON_NAME} in it)."
            ) from None
        try:
            return self._read(info, MAX_JSON_BYTES, (ZIP_JSON_NAME,))
        except Invalid as exc:
            raise ImportFormatError(f"{self.name} cannot be imported: {exc}.") from None

    def _read(self, info: zipfile.ZipInfo, limit: int, where: tuple[str, ...]) -> bytes:
        assert self._archive is not None
        if info.file_size > limit:
            raise Invalid(
                where,
                f"inflates to {_size(info.file_size)}, over the {_size(limit)} limit",
            )
        self._total += info.file_size
        if self._total > MAX_TOTAL_BYTES:
            raise Invalid(where, f"the zip inflates to more than {_size(MAX_TOTAL_BYTES)}")
        chunks: list[bytes] = []
        got = 0
        try:
            with self._archive.open(info) as member:
                while got <= info.file_size:
                    chunk = member.read(min(CHUNK, info.file_size + 1 - got))
                    if not chunk:
                        break
                    chunks.append(chunk)
                    got += len(chunk)
        except _ZIP_ERRORS as exc:
            raise Invalid(where, f"cannot be read from the zip ({exc})") from None
        if got != info.file_size:
            raise Invalid(where, "is not the size the zip says it is (a damaged or forged zip)")
        return b"".join(chunks)


@contextmanager
def open_export(path: Path) -> Iterator[ExportSource]:
    """The export at ``path``, parsed; ``ImportFormatError`` for anything unreadable."""
    path = Path(path)
    if not path.is_file():
        raise ImportFormatError(f"There is no file to import at {path}.")
    try:
        is_zip = zipfile.is_zipfile(path)
    except OSError as exc:
        raise ImportFormatError(f"{path.name} cannot be read ({exc.strerror or exc}).") from None
    if not is_zip:
        yield ExportSource(path.name, _parse(path.name, _read_file(path)), None)
        return
    _check_directory(path)
    try:
        archive = zipfile.ZipFile(path)
    except _ZIP_ERRORS as exc:
        raise ImportFormatError(f"{path.name} is a damaged zip ({exc}).") from None
    with archive:
        if len(archive.infolist()) > MAX_ZIP_MEMBERS:
            raise ImportFormatError(
                f"{path.name} cannot be imported: it holds more than {MAX_ZIP_MEMBERS:,} files."
            )
        source = ExportSource(path.name, None, archive)
        source.payload = _parse(path.name, source.read_json())
        yield source


def _read_file(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            # Its size first (a 10 GB file is refused unread), then a read that cannot pass it.
            too_big = os.fstat(handle.fileno()).st_size > MAX_JSON_BYTES
            raw = b"" if too_big else handle.read(MAX_JSON_BYTES + 1)
    except OSError as exc:
        raise ImportFormatError(f"{path.name} cannot be read ({exc.strerror or exc}).") from None
    if too_big or len(raw) > MAX_JSON_BYTES:
        raise ImportFormatError(
            f"{path.name} cannot be imported: it is larger than {_size(MAX_JSON_BYTES)} "
            "(export everything as a zip instead, which keeps attachments out of the JSON)."
        )
    return raw


def _parse(name: str, raw: bytes) -> Any:
    """JSON from bytes; deep nesting (which ``json`` meets with RecursionError) is refused."""
    try:
        return json.loads(raw.decode("utf-8"))
    except RecursionError:
        raise ImportFormatError(
            f"{name} cannot be imported: its JSON is nested too deeply to be an export."
        ) from None
    except (UnicodeDecodeError, ValueError) as exc:  # JSONDecodeError, int digit limits
        raise ImportFormatError(f"{name} is not a Pixtral Desk export: not JSON ({exc}).") from None


def _check_directory(path: Path) -> None:
    """Refuse a zip whose directory (from its end record) is too big to parse."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, 2)
            size = handle.tell()
            handle.seek(max(0, size - 65_557))  # end record (22 bytes) + longest comment
            tail = handle.read()
            at = tail.rfind(_END_RECORD)
            if at < 0 or len(tail) - at < 22:
                return  # zipfile will say what is wrong
            count, directory = struct.unpack("<HI", tail[at + 10 : at + 16])
            if count == 0xFFFF or directory == 0xFFFFFFFF:  # zip64: sizes are in its own record
                locator = tail[max(0, at - 20) : at]
                if len(locator) == 20 and locator.startswith(b"PK\x06\x07"):
                    (offset,) = struct.unpack("<Q", locator[8:16])
                    handle.seek(offset)
                    record = handle.read(56)
                    if len(record) == 56 and record.startswith(_ZIP64_END_RECORD):
                        count, directory = struct.unpack("<QQ", record[32:48])
    except OSError as exc:
        raise ImportFormatError(f"{path.name} cannot be read ({exc.strerror or exc}).") from None
    if count > MAX_ZIP_MEMBERS or directory > _MAX_CENTRAL_DIRECTORY:
        raise ImportFormatError(
            f"{path.name} cannot be imported: it holds more than {MAX_ZIP_MEMBERS:,} files."
        )
