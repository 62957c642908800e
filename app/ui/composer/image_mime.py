"""What a drop or a paste holds: image files, encoded image data, or web links to refuse.

Split out of the composer because both the composer and the HTML studio read drops the same
way. Reading a QMimeData is cheap (urls and encoded bytes); every decode happens later, on the
pool, via ``PendingImagesModel``. Remote urls are never fetched: a chat app that downloads
whatever is dropped on it leaks the user's address to any page they drag from.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, QUrl
from PySide6.QtGui import QImage

from app.core.images import Detail
from app.ui.composer.pending_images import ImageSource

IMAGE_FORMATS = ("image/png", "image/jpeg", "image/webp", "image/gif", "image/bmp", "image/tiff")
"""Encoded image types a browser or an image editor puts on a drag or the clipboard."""


def sources_from_mime(
    mime: QMimeData, detail: Detail, *, pasted: bool = False
) -> tuple[list[ImageSource], list[str]] | None:
    """Images in a drop or paste, and messages for what was refused; None when there are none.

    Local files win over image data (a file manager offers both for the same picture). Remote
    urls alone are refused on a drop, but on paste they are just text (a copied link).
    """
    urls: list[QUrl] = mime.urls() if mime.hasUrls() else []
    files = [Path(u.toLocalFile()) for u in urls if u.isLocalFile()]
    if files:
        return [ImageSource(f, f.name, detail) for f in files], []
    remote = [u for u in urls if not u.isLocalFile()]
    label = _data_name(remote, pasted)
    for fmt in IMAGE_FORMATS:
        if mime.hasFormat(fmt):
            return [ImageSource(bytes(mime.data(fmt).data()), label, detail)], []
    if mime.hasImage():
        image = QImage(mime.imageData())  # in-process images arrive decoded; encoded off-thread
        return [ImageSource(image, label, detail)], []
    if remote and not pasted:
        return [], [
            f"'{u.fileName() or u.host()}' is on the web ({u.toDisplayString()}); Pixtral Desk "
            "does not download images. Save it, then drop the file."
            for u in remote
        ]
    return None


def _data_name(remote: list[QUrl], pasted: bool) -> str:
    name = next((u.fileName() for u in remote if u.fileName()), "")
    return name or ("pasted image" if pasted else "dropped image")
