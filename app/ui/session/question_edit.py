"""What an edited question is made of: the user's new words and images, with everything the
app added to it (a job's instructions, a document's header, page labels, text layers and page
images) kept as sent.

A document page sent as pixels is an image part right after its bare page label; every other
image is one the user attached, so only those are offered for editing and replaced.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.core.conversation import ImagePart, Part, TextPart
from app.core.images import PreparedImage
from app.workflows.citations import is_document_text


def _is_page_image(parts: Sequence[Part], index: int) -> bool:
    """Whether the image at ``index`` is a document page (its label comes right before it)."""
    return index > 0 and is_document_text(parts[index - 1])


def _is_instructions(part: Part) -> bool:
    """Text the app wrote for a job (Make HTML's request), not the user's words: kept as sent."""
    return isinstance(part, TextPart) and bool(part.label)


def user_images(parts: Sequence[Part]) -> list[PreparedImage]:
    """The images the user attached to a question, in order, without any document page."""
    return [
        part.image
        for index, part in enumerate(parts)
        if isinstance(part, ImagePart) and not _is_page_image(parts, index)
    ]


def edited_parts(
    parts: Sequence[Part], text: str, images: Sequence[PreparedImage] | None = None
) -> list[Part]:
    """The parts of the new version of a question.

    ``text`` replaces what the user typed. ``images`` (when given) replace the user's images,
    where the first of them stood; None keeps them. The document's parts stay as they were,
    so citations in the new answer still lead to the pages that were sent.
    """
    kept: list[Part] = []
    place: int | None = None
    for index, part in enumerate(parts):
        if isinstance(part, ImagePart) and not _is_page_image(parts, index):
            if images is None:
                kept.append(part)
            elif place is None:
                place = len(kept)
        elif isinstance(part, ImagePart) or is_document_text(part) or _is_instructions(part):
            kept.append(part)
    if images is not None:
        at = 0 if place is None else place
        kept[at:at] = [ImagePart(image) for image in images]
    return [*kept, TextPart(text)] if text else kept
