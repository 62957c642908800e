"""An edited question keeps the document the app added and changes only the user's part."""

from __future__ import annotations

from app.core.conversation import ImagePart, TextPart
from app.core.images import prepare_image
from app.ui.session.question_edit import edited_parts, user_images
from app.workflows.citations import page_label, sent_pages


def _image(name: str, color: tuple[int, int, int]):
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.new("RGB", (32, 24), color).save(out, format="PNG")
    return prepare_image(out.getvalue(), name=name)


def test_only_the_users_images_are_offered_and_replaced() -> None:
    shot, other, page, new = (_image(n, (i * 60, 20, 90)) for i, n in enumerate("abcd"))
    parts = [
        ImagePart(shot),
        TextPart(page_label("lease.pdf", 1) + "\nThe rent is 900 euros."),
        TextPart(page_label("lease.pdf", 2)),
        ImagePart(page),  # page 2, sent as pixels
        ImagePart(other),
        TextPart("What is the rent?"),
    ]
    assert [i.name for i in user_images(parts)] == ["a", "b"]

    edited = edited_parts(parts, "And the deposit?", [new])
    assert [i.name for i in user_images(edited)] == ["d"]
    assert [(p.page, p.image is not None) for p in sent_pages(edited)] == [(1, False), (2, True)]
    assert edited[0] == ImagePart(new) and edited[-1] == TextPart("And the deposit?")

    kept = edited_parts(parts, "Again?")
    assert [i.name for i in user_images(kept)] == ["a", "b"]
    assert edited_parts(parts, "", [])[-1] == ImagePart(page)  # no words: no empty text part


def test_a_jobs_instructions_are_kept_when_the_wishes_change() -> None:
    """Editing a Make HTML question changes the user's wishes, not the request the app wrote."""
    shot = _image("mockup.png", (10, 120, 200))
    instructions = TextPart("Write one self-contained HTML page…", label="Make HTML")
    parts = [ImagePart(shot), instructions, TextPart("use a dark theme")]
    edited = edited_parts(parts, "use a light theme")
    assert edited == [ImagePart(shot), instructions, TextPart("use a light theme")]
