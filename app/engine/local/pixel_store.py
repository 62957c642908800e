"""The worker's copies of prepared images, so the app sends each image's pixels only once.

Every request carries the whole conversation, and a chat may hold dozens of screenshots of up
to 3 MB of RGB each; pickling them all through the pipe on every turn (and on every count the
context meter asks for) put tens to hundreds of MB on the path to the first token. The worker
needs the pixels on every turn that re-reads an image (mtmd builds its chunk from them even
when the encoder output is cached), so it keeps them here by hash and the app names an image it
has sent before with a ``HeldImage``.

Memory: an LRU bounded by a byte budget (``LocalEngineConfig.pixel_cache_mb``). The images of
the request in hand are never let go, even above the budget (they are needed now, and they
already sit in the request the worker received); the least recently used others go first.
Why not "only the latest request's images": switching between two chats, or the meter counting
a draft, would then resend every image of the other chat each time. The worker reports what it
lets go, so the app's record stays exact; a name it does not hold (whatever the reason) is
answered with the list of missing hashes and no work, never a guess.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from app.core.images import PreparedImage
from app.core.prompt import ImagePiece, Piece
from app.engine.local.protocol import HeldImage, WirePiece

MIB = 1024 * 1024


@dataclass(frozen=True)
class Resolved:
    """A request's prompt with every image's pixels, or the hashes that could not be found."""

    pieces: list[Piece]
    missing: tuple[str, ...]
    dropped: tuple[str, ...]
    """Hashes let go while making room; the app must stop naming them."""


class PixelStore:
    """Prepared images by ``sha256``, least recently used first, within a byte budget."""

    def __init__(self, budget_bytes: int = 256 * MIB) -> None:
        self.budget_bytes = budget_bytes
        self._images: OrderedDict[str, PreparedImage] = OrderedDict()
        self.bytes = 0

    def __contains__(self, sha256: object) -> bool:
        return sha256 in self._images

    def __len__(self) -> int:
        return len(self._images)

    def resolve(self, pieces: Sequence[WirePiece]) -> Resolved:
        """Keep the images sent with pixels, put held copies in for names, then make room.

        Images sent with their pixels are stored before any name is looked up, so a name may
        refer to pixels that come later in the same request.
        """
        for piece in pieces:
            if isinstance(piece, ImagePiece) and piece.image.sha256:
                self._put(piece.image)
        used = dict.fromkeys(
            piece.sha256 if isinstance(piece, HeldImage) else piece.image.sha256
            for piece in pieces
            if isinstance(piece, (HeldImage, ImagePiece))
        )
        out: list[Piece] = []
        missing: dict[str, None] = {}
        for piece in pieces:
            if not isinstance(piece, HeldImage):
                out.append(piece)
                continue
            image = self._images.get(piece.sha256)
            if image is None:
                missing[piece.sha256] = None
                continue
            if image.name != piece.name:
                image = dataclasses.replace(image, name=piece.name)  # shares the pixel bytes
            out.append(ImagePiece(image))
        for sha256 in used:
            if sha256 in self._images:
                self._images.move_to_end(sha256)
        dropped = self._make_room(keep=used)
        return Resolved(out if not missing else [], tuple(missing), dropped)

    def _put(self, image: PreparedImage) -> None:
        old = self._images.pop(image.sha256, None)
        if old is not None:
            self.bytes -= len(old.rgb)
        self._images[image.sha256] = image
        self.bytes += len(image.rgb)

    def _make_room(self, keep: dict[str, None]) -> tuple[str, ...]:
        """Let the least recently used images go until within budget; ``keep`` stays."""
        dropped: list[str] = []
        while self.bytes > self.budget_bytes and self._images:
            sha256 = next(iter(self._images))
            if sha256 in keep:
                break  # everything from here on was used by this request (moved to the end)
            image = self._images.pop(sha256)
            self.bytes -= len(image.rgb)
            dropped.append(sha256)
        return tuple(dropped)
