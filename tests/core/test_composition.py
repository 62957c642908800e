"""The question as one value: its parts come out in one order, nothing lost, nothing doubled."""

from __future__ import annotations

import io

from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from app.core.composition import Composition
from app.core.conversation import ImagePart, Message, Part, Role, TextPart
from app.core.document_marks import document_header, page_label
from app.core.images import Detail, PreparedImage, prepare_image
from app.core.prompt import build_prompt, prompt_images


def _image(
    name: str, colour: tuple[int, int, int], detail: Detail = Detail.NATIVE
) -> PreparedImage:
    buffer = io.BytesIO()
    Image.new("RGB", (48, 32), colour).save(buffer, format="PNG")
    return prepare_image(buffer.getvalue(), detail, name=name)


# A few real images, made once: hypothesis draws from them (repeats included, since the same
# picture may well be added twice).
IMAGES = [
    _image("a.png", (200, 40, 40)),
    _image("b.png", (40, 200, 40), Detail.LOW),
    _image("c.png", (40, 40, 200)),
]
PAGE = _image("page 1.png", (250, 250, 250), Detail.LOW)
DOCUMENT: list[Part] = [
    TextPart(document_header("lease.pdf", 2, [1, 2])),
    TextPart(page_label("lease.pdf", 1)),
    ImagePart(PAGE),
    TextPart(page_label("lease.pdf", 2) + "The rent is 900 a month.\n"),
]

texts = st.text(max_size=40)
images = st.lists(st.sampled_from(IMAGES), max_size=5)
document_parts = st.lists(
    st.one_of(
        st.builds(TextPart, st.text(min_size=1, max_size=30)),
        st.sampled_from([*IMAGES, PAGE]).map(ImagePart),
    ),
    max_size=6,
)


def test_text_only() -> None:
    assert Composition("What is this?").parts() == [TextPart("What is this?")]


def test_images_lead_then_the_text() -> None:
    composition = Composition("Compare them", [IMAGES[1], IMAGES[0]])
    assert composition.parts() == [
        ImagePart(IMAGES[1]),
        ImagePart(IMAGES[0]),
        TextPart("Compare them"),
    ]


def test_images_then_the_document_then_the_text() -> None:
    composition = Composition("What is the rent?", [IMAGES[2]], DOCUMENT)
    assert composition.parts() == [ImagePart(IMAGES[2]), *DOCUMENT, TextPart("What is the rent?")]
    assert composition.message() == Message(Role.USER, composition.parts())


def test_an_empty_text_adds_no_part() -> None:
    """A blank text part would cost tokens the user never wrote (and the meter would count it)."""
    assert Composition("", [IMAGES[0]]).parts() == [ImagePart(IMAGES[0])]
    assert Composition().parts() == [] and Composition().empty
    assert not Composition(document=DOCUMENT).empty


def test_lists_and_tuples_make_the_same_value() -> None:
    """The meter compares the composition it counted with the one shown now."""
    assert Composition("x", [IMAGES[0]], DOCUMENT) == Composition(
        "x", (IMAGES[0],), tuple(DOCUMENT)
    )
    assert Composition("x", [IMAGES[0]]) != Composition("x", [IMAGES[1]])
    assert Composition("x", [IMAGES[0]]) != Composition("x", [IMAGES[0], IMAGES[0]])


def test_the_value_does_not_follow_the_callers_lists() -> None:
    shown = [IMAGES[0]]
    composition = Composition("x", shown)
    shown.append(IMAGES[1])
    assert composition.parts() == [ImagePart(IMAGES[0]), TextPart("x")]


@given(texts, images, document_parts)
def test_parts_keep_every_piece_once_in_a_stable_order(
    text: str, chosen: list[PreparedImage], document: list[Part]
) -> None:
    composition = Composition(text, chosen, document)
    parts = composition.parts()
    assert parts == composition.parts()  # asking twice gives the same question
    assert parts == Composition(text, tuple(chosen), tuple(document)).parts()
    expected_length = len(chosen) + len(document) + (1 if text else 0)
    assert len(parts) == expected_length  # nothing dropped, nothing doubled
    assert parts[: len(chosen)] == [ImagePart(image) for image in chosen]
    assert parts[len(chosen) : len(chosen) + len(document)] == document
    assert parts[len(chosen) + len(document) :] == ([TextPart(text)] if text else [])
    if not document:  # the CLI and the screenshots build questions with Message.user
        assert parts == Message.user(text, chosen).parts


@given(texts, images, document_parts)
def test_the_prompt_reads_every_image_in_the_order_sent(
    text: str, chosen: list[PreparedImage], document: list[Part]
) -> None:
    """What the engine encodes: each image of the question once, where the parts put it."""
    composition = Composition(text, chosen, document)
    sent = [part.image for part in composition.parts() if isinstance(part, ImagePart)]
    assert prompt_images(build_prompt([composition.message()])) == sent
