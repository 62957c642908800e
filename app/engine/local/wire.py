"""The app's side of the pipe: what goes down it, and which images the worker already holds.

``WorkerImages`` is the app's record of the images whose pixels the *current* worker process
holds (``pixel_store`` on the other side). It only ever under-states what the worker holds,
which is safe (pixels sent again): hashes are added once a command carrying their pixels is
written to the pipe (the worker stores them on receipt, before any work that could fail), taken
out when the worker reports letting them go, and all forgotten when the process goes (crash,
kill on cancel, close, restart). Should it still name an image the worker lacks, the worker
answers ``ImagesMissing`` and the backend sends those pixels again.

``WireStats`` counts what was written to the pipe, so tests and benchmarks can see that a
follow-up turn sends names, not pixels.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from multiprocessing.reduction import ForkingPickler
from typing import Any

from app.core.prompt import ImagePiece, Piece
from app.engine.local.protocol import HeldImage, WirePiece


@dataclass
class WireStats:
    """Everything written to the worker's pipe by one backend, across worker restarts."""

    commands: int = 0
    bytes_sent: int = 0
    """Pickled size of the commands, as written."""
    send_s: float = 0.0
    """Time spent pickling and writing (the worker reads meanwhile)."""
    images_sent: int = 0
    """Images that went with their pixels."""
    pixel_bytes_sent: int = 0
    images_named: int = 0
    """Images that went as a hash only (``HeldImage``)."""
    resends: int = 0
    """Commands sent again because the worker lacked some images (``ImagesMissing``)."""

    def snapshot(self) -> WireStats:
        return dataclasses.replace(self)

    def since(self, earlier: WireStats) -> WireStats:
        """The counts between ``earlier`` (a snapshot) and now."""
        return WireStats(
            **{
                f.name: getattr(self, f.name) - getattr(earlier, f.name)
                for f in dataclasses.fields(self)
            }
        )


def send(conn: Any, command: object, stats: WireStats) -> None:
    """Write ``command`` to ``conn`` as ``Connection.send`` does, counting bytes and time."""
    started = time.perf_counter()
    data = ForkingPickler.dumps(command)
    conn.send_bytes(data)
    stats.send_s += time.perf_counter() - started
    stats.bytes_sent += len(data)
    stats.commands += 1


class WorkerImages:
    """Hashes of the images whose pixels the current worker process holds."""

    def __init__(self) -> None:
        self.held: set[str] = set()

    def to_wire(
        self, pieces: Sequence[Piece], everything: bool = False
    ) -> tuple[list[WirePiece], list[ImagePiece]]:
        """``pieces`` with held images named by hash, and the images that go with pixels.

        An image repeated in one prompt goes with its pixels once. ``everything`` sends every
        image's pixels (the last resort when the worker keeps asking for some).
        """
        known = set() if everything else set(self.held)
        wire: list[WirePiece] = []
        with_pixels: list[ImagePiece] = []
        for piece in pieces:
            if isinstance(piece, ImagePiece) and piece.image.sha256:
                sha256 = piece.image.sha256
                if sha256 in known:
                    wire.append(HeldImage(sha256, piece.image.name))
                    continue
                known.add(sha256)
                with_pixels.append(piece)
            wire.append(piece)
        return wire, with_pixels

    def sent(self, pieces: Iterable[ImagePiece]) -> None:
        """These images' pixels were written to the pipe: the worker holds them now."""
        self.held.update(piece.image.sha256 for piece in pieces if piece.image.sha256)

    def dropped(self, sha256s: Iterable[str]) -> None:
        """The worker let these go (or never had them)."""
        self.held.difference_update(sha256s)

    def forget_all(self) -> None:
        """The worker process is gone: the next one holds nothing."""
        self.held.clear()


def count_images(wire: Sequence[WirePiece], stats: WireStats) -> None:
    """Add a command's images to ``stats``: those with pixels and those named by hash."""
    for piece in wire:
        if isinstance(piece, ImagePiece):
            stats.images_sent += 1
            stats.pixel_bytes_sent += len(piece.image.rgb)
        elif isinstance(piece, HeldImage):
            stats.images_named += 1
