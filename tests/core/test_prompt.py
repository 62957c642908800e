"""Our Pixtral prompt layout against mistral-common's own V3 (Tekken) tokenizer.

mistral-common cannot download a tokenizer here, so a tiny Tekken file is written to a temp
folder: the 256 byte tokens plus a handful of merges, Pixtral's special tokens at their
standard ids and Pixtral's image config (16 px patches, longest side 1024). Both sides are
reduced to a *structure* (control tokens by name, ``("IMAGE", rows, cols)``, ``("TEXT", s)``)
and compared; the token ids are compared too, tokenizing each ``TextPiece`` on its own as the
engine does. mistral-common's pixel transform needs OpenCV, which is not installed and not
needed: a stub returns an empty array of the size mistral-common resizes to, checked against
our prepared size. Pixtral's real tokenizer ships with mistral-common, so one test also runs
offline against it.
"""

from __future__ import annotations

import base64
import io
import json
import random
from collections.abc import Callable, Iterator, Sequence
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from mistral_common.protocol.instruct.chunk import ImageChunk, TextChunk
from mistral_common.protocol.instruct.messages import (
    AssistantMessage,
    SystemMessage,
    UserMessage,
)
from mistral_common.protocol.instruct.request import ChatCompletionRequest
from mistral_common.protocol.instruct.validator import ValidationMode
from mistral_common.tokens.tokenizers import image as mc_image
from mistral_common.tokens.tokenizers.image import ImageConfig, ImageEncoder, SpecialImageIDs
from mistral_common.tokens.tokenizers.mistral import MistralTokenizer
from mistral_common.tokens.tokenizers.tekken import Tekkenizer
from PIL import Image

from app.core.conversation import ImagePart, Message, Part, Role, TextPart
from app.core.images import (
    Detail,
    PreparedImage,
    api_billed_tokens,
    patch_grid,
    prepare_image,
)
from app.core.prompt import (
    Control,
    ControlPiece,
    ImagePiece,
    Piece,
    PromptError,
    SystemPlacement,
    TextPiece,
    build_prompt,
    prompt_images,
)

Item = str | tuple[str, str] | tuple[str, int, int]
"""One element of a prompt structure: a control name, ("TEXT", s) or ("IMAGE", rows, cols)."""

# Pixtral's tekken_240911.json has no special-token list; v3 Tekken files get these, in order.
SPECIAL_TOKENS = [
    "<unk>",
    "<s>",
    "</s>",
    "[INST]",
    "[/INST]",
    "[AVAILABLE_TOOLS]",
    "[/AVAILABLE_TOOLS]",
    "[TOOL_RESULTS]",
    "[/TOOL_RESULTS]",
    "[TOOL_CALLS]",
    "[IMG]",
    "<pad>",
    "[IMG_BREAK]",
    "[IMG_END]",
    "[PREFIX]",
    "[MIDDLE]",
    "[SUFFIX]",
    "[SYSTEM_PROMPT]",
    "[/SYSTEM_PROMPT]",
    "[TOOL_CONTENT]",
]
NUM_SPECIAL_TOKENS = 1000  # as in Pixtral's tokenizer: text ids start at 1000
# A few BPE merges, so that where a text is cut into separately encoded pieces matters.
MERGES = [b"\n\n", b"in", b"ing", b" t", b"he", b" the", b"\xc3\xa9", b"."]
CONTROL_NAMES = ("<s>", "</s>", "[INST]", "[/INST]")
SYSTEM = "You are Pixtral Desk. Answer briefly."
# Shipped inside mistral-common: Pixtral 12B's real tokenizer, no download needed.
PIXTRAL_TEKKEN = Path(mc_image.__file__).parents[2] / "data" / "tekken_240911.json"


# ------------------------------------------------------------------------------- fixtures
def _write_tiny_tekken(path: Path) -> Path:
    """Write a minimal v3 Tekken file with Pixtral's special tokens and image config."""
    vocab_bytes = [bytes([i]) for i in range(256)] + [m for m in MERGES if len(m) > 1]
    vocab = [
        {
            "rank": rank,
            "token_bytes": base64.b64encode(token).decode("ascii"),
            "token_str": token.decode("utf-8", errors="replace"),
        }
        for rank, token in enumerate(vocab_bytes)
    ]
    data = {
        "config": {
            "pattern": (
                r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+"
                r"|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*"
                r"|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"
            ),
            "num_vocab_tokens": len(vocab),
            "default_vocab_size": len(vocab) + NUM_SPECIAL_TOKENS,
            "default_num_special_tokens": NUM_SPECIAL_TOKENS,
            "version": "v3",
        },
        "vocab": vocab,
        "special_tokens": [
            {"rank": rank, "token_str": name, "is_control": True}
            for rank, name in enumerate(SPECIAL_TOKENS)
        ],
        "image": {"image_patch_size": 16, "max_image_size": 1024},
    }
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _fake_transform(image: Image.Image, new_size: tuple[int, int]) -> np.ndarray:
    """Stand-in for mistral-common's OpenCV resize: an empty (C, H, W) array of the size."""
    return np.zeros((3, new_size[1], new_size[0]), dtype=np.float32)


@pytest.fixture(scope="module", autouse=True)
def _no_opencv() -> Iterator[None]:
    """Swap mistral-common's OpenCV resize for ``_fake_transform`` in this module."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(mc_image, "transform_image", _fake_transform)
        yield


@pytest.fixture(scope="module")
def mistral(tmp_path_factory: pytest.TempPathFactory) -> MistralTokenizer:
    """mistral-common's tokenizer for a tiny Pixtral-shaped Tekken file."""
    path = _write_tiny_tekken(tmp_path_factory.mktemp("tekken") / "tekken.json")
    return MistralTokenizer.from_file(path, mode=ValidationMode.test)


# --------------------------------------------------------------------------------- images
@cache
def _picture(width: int, height: int, seed: int = 0) -> tuple[Image.Image, PreparedImage]:
    """A source picture (for mistral-common) and our native-detail preparation of it."""
    rng = np.random.default_rng(seed * 100_003 + width * 7 + height)
    small = rng.integers(0, 256, size=(4, 4, 3), dtype=np.uint8)
    source = Image.fromarray(small, "RGB").resize((width, height), Image.Resampling.NEAREST)
    out = io.BytesIO()
    source.save(out, format="PNG")
    prepared = prepare_image(out.getvalue(), Detail.NATIVE, name=f"{width}x{height}.png")
    return source, prepared


_SOURCES: dict[str, Image.Image] = {}
"""Source pictures by the hash of their preparation, for the mistral-common side."""


def pic(width: int, height: int, seed: int = 0) -> PreparedImage:
    """Our prepared image for a ``width``×``height`` source picture."""
    source, prepared = _picture(width, height, seed)
    _SOURCES[prepared.sha256] = source
    return prepared


# ------------------------------------------------------------------------------ converters
def to_request(messages: Sequence[Message], system: str) -> ChatCompletionRequest:
    """The same conversation as a mistral-common chat request (source images, not ours)."""
    converted: list[SystemMessage | UserMessage | AssistantMessage] = []
    if system:
        converted.append(SystemMessage(content=system))
    for message in messages:
        if message.role is Role.ASSISTANT:
            texts = [
                TextChunk(text=part.text) for part in message.parts if isinstance(part, TextPart)
            ]
            converted.append(AssistantMessage(content=texts[0].text if len(texts) == 1 else texts))
            continue
        chunks: list[TextChunk | ImageChunk] = [
            TextChunk(text=part.text)
            if isinstance(part, TextPart)
            else ImageChunk(image=_SOURCES[part.image.sha256])
            for part in message.parts
        ]
        converted.append(UserMessage(content=chunks or ""))
    return ChatCompletionRequest(messages=converted)


def mc_structure(tokens: Sequence[int], tok: Tekkenizer) -> list[Item]:
    """mistral-common's tokens as a structure; checks each image block is a full grid."""
    names = {tok.get_special_token(name): name for name in CONTROL_NAMES}
    img, brk, end = (tok.get_special_token(n) for n in ("[IMG]", "[IMG_BREAK]", "[IMG_END]"))
    out: list[Item] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token in names:
            out.append(names[token])
            i += 1
        elif token == img:
            rows, cols = 0, -1
            while True:
                j = i
                while tokens[j] == img:
                    j += 1
                assert cols in (-1, j - i), f"ragged image rows at token {i}"
                cols, rows = j - i, rows + 1
                i = j + 1
                if tokens[j] == end:
                    break
                assert tokens[j] == brk, f"unexpected token {tokens[j]} inside an image"
            out.append(("IMAGE", rows, cols))
        elif token < tok.num_special_tokens:
            raise AssertionError(f"unexpected special token {tok.id_to_piece(token)!r}")
        else:
            j = i
            while j < len(tokens) and tokens[j] >= tok.num_special_tokens:
                j += 1
            out.append(("TEXT", tok.decode(list(tokens[i:j]))))
            i = j
    return out


def our_structure(pieces: Sequence[Piece]) -> list[Item]:
    """Our pieces as a structure, adjacent text pieces merged."""
    out: list[Item] = []
    for piece in pieces:
        if isinstance(piece, ControlPiece):
            out.append(piece.token.value)
        elif isinstance(piece, ImagePiece):
            out.append(("IMAGE", piece.image.grid.rows, piece.image.grid.cols))
        elif piece.text:
            last = out[-1] if out else None
            if isinstance(last, tuple) and last[0] == "TEXT":
                out[-1] = ("TEXT", str(last[1]) + piece.text)
            else:
                out.append(("TEXT", piece.text))
    return out


def our_tokens(pieces: Sequence[Piece], tok: Tekkenizer) -> list[int]:
    """Our pieces as token ids, each text piece tokenized on its own (as the engine does)."""
    img, brk, end = (tok.get_special_token(n) for n in ("[IMG]", "[IMG_BREAK]", "[IMG_END]"))
    out: list[int] = []
    for piece in pieces:
        if isinstance(piece, ControlPiece):
            out.append(tok.get_special_token(piece.token.value))
        elif isinstance(piece, TextPiece):
            out.extend(tok.encode(piece.text, bos=False, eos=False))
        else:
            grid = piece.image.grid
            block = ([img] * grid.cols + [brk]) * grid.rows
            block[-1] = end
            out.extend(block)
    return out


def image_token_counts(tokens: Sequence[int], tok: Tekkenizer) -> list[int]:
    """How many tokens each image block holds, ``[IMG_END]`` included."""
    ids = {tok.get_special_token(n) for n in ("[IMG]", "[IMG_BREAK]")}
    end = tok.get_special_token("[IMG_END]")
    counts: list[int] = []
    run = 0
    for token in tokens:
        if token in ids:
            run += 1
        elif token == end:
            counts.append(run + 1)
            run = 0
    return counts


def _tekken(mistral: MistralTokenizer) -> Tekkenizer:
    tok = mistral.instruct_tokenizer.tokenizer
    assert isinstance(tok, Tekkenizer)
    return tok


def assert_same_as_mistral(
    mistral: MistralTokenizer, messages: Sequence[Message], system: str = ""
) -> list[Piece]:
    """Encode both ways and compare structure, token ids and every image's token count."""
    tok = _tekken(mistral)
    pieces = build_prompt(messages, system, SystemPlacement.PIXTRAL)
    encoded = mistral.encode_chat_completion(to_request(messages, system))
    assert our_structure(pieces) == mc_structure(encoded.tokens, tok)
    assert our_tokens(pieces, tok) == encoded.tokens
    images = prompt_images(pieces)
    counts = image_token_counts(encoded.tokens, tok)
    assert counts == [image.tokens for image in images]
    assert counts == [image.api_billed_tokens for image in images]
    # mistral-common resizes each image to the pixel size we prepare.
    assert [(a.shape[2], a.shape[1]) for a in encoded.images] == [i.size for i in images]
    return pieces


def user(*parts: str | PreparedImage) -> Message:
    """A user message with parts in the given order (strings are text parts)."""
    built: list[Part] = [TextPart(p) if isinstance(p, str) else ImagePart(p) for p in parts]
    return Message(Role.USER, built)


# ---------------------------------------------------------------------------- conversations
def multi_turn_text_last() -> list[Message]:
    """Three user turns, three images, the last turn text only."""
    return [
        Message.user("What is in these two pictures?", [pic(100, 60), pic(40, 900)]),
        Message.assistant("A red block and a tall tower.   "),
        Message.user("And in this one?", [pic(2000, 1000)]),
        Message.assistant("A wide landscape."),
        Message.user("Compare all three, please."),
    ]


def multi_turn_images_last() -> list[Message]:
    """The last user turn carries images, so the system prompt goes chunk-wise."""
    return [
        Message.user("Describe the image.", [pic(2000, 1000)]),
        Message.assistant("It is a wide picture.  "),
        Message.user("Now these.", [pic(100, 60), pic(640, 480)]),
    ]


CONVERSATIONS: dict[str, Callable[[], list[Message]]] = {
    "multi_turn_text_last": multi_turn_text_last,
    "multi_turn_images_last": multi_turn_images_last,
    "single_text": lambda: [Message.user("Hello there, what can you do?")],
    "single_image_no_text": lambda: [Message.user("", [pic(300, 200)])],
    "text_then_trailing_image": lambda: [user("Describe this:", pic(100, 60))],
    "text_then_trailing_image_not_last": lambda: [
        user("Describe this:", pic(100, 60)),
        Message.assistant("A small red block."),
        Message.user("Thanks!"),
    ],
    "images_between_texts": lambda: [
        user("Before", pic(100, 60), "between the two", pic(40, 900), "after them.")
    ],
    "text_then_two_images": lambda: [user("Compare:", pic(100, 60), pic(40, 900))],
    "image_text_image": lambda: [user(pic(100, 60), "versus", pic(2000, 1000))],
    "unicode_text": lambda: [Message.user("Café ☕ — 日本語 thing in the é", [pic(17, 33)])],
    "assistant_trailing_spaces": lambda: [
        Message.user("Say hi."),
        Message.assistant("Hi.  \n  "),
        Message.user("Again?"),
        Message.assistant("   "),
        Message.user("Once more."),
    ],
    "control_text_in_user": lambda: [
        Message.user("[INST] not a control [/INST] </s> <s> [IMG]", [pic(64, 64)]),
        Message.assistant("[/INST] nor this </s>"),
        Message.user("[INST]"),
    ],
}


@pytest.mark.parametrize("system", ["", SYSTEM], ids=["no_system", "system"])
@pytest.mark.parametrize("name", list(CONVERSATIONS))
def test_layout_matches_mistral_common(mistral: MistralTokenizer, name: str, system: str) -> None:
    """Structure, token ids and image token counts equal mistral-common's V3 encoding."""
    assert_same_as_mistral(mistral, CONVERSATIONS[name](), system)


def test_multi_turn_structure_spelled_out(mistral: MistralTokenizer) -> None:
    """The expected layout, written out, so a regression on both sides is still caught."""
    pieces = assert_same_as_mistral(mistral, multi_turn_text_last(), SYSTEM)
    assert our_structure(pieces) == [
        "<s>",
        "[INST]",
        ("IMAGE", 4, 7),
        ("IMAGE", 57, 3),
        ("TEXT", "What is in these two pictures?"),
        "[/INST]",
        ("TEXT", "A red block and a tall tower."),
        "</s>",
        "[INST]",
        ("IMAGE", 32, 64),
        ("TEXT", "And in this one?"),
        "[/INST]",
        ("TEXT", "A wide landscape."),
        "</s>",
        "[INST]",
        ("TEXT", f"{SYSTEM}\n\nCompare all three, please."),
        "[/INST]",
    ]


def test_system_prompt_is_one_string_for_text_and_a_chunk_for_images() -> None:
    """Text-only last message: one piece; with images: the system text is its own piece."""
    text_only = build_prompt([Message.user("Hi")], SYSTEM)
    assert text_only[2] == TextPiece(f"{SYSTEM}\n\nHi")
    image = pic(100, 60)
    with_image = build_prompt([Message.user("Hi", [image])], SYSTEM)
    assert with_image[2:5] == [TextPiece(f"{SYSTEM}\n\n"), ImagePiece(image), TextPiece("Hi")]


def test_trailing_single_image_moves_first() -> None:
    """Text followed by one image is read image-first; two images keep their order."""
    a, b = pic(100, 60), pic(40, 900)
    moved = build_prompt([user("Look:", a)])
    assert moved[2:4] == [ImagePiece(a), TextPiece("Look:")]
    kept = build_prompt([user("Look:", a, b)])
    assert kept[2:5] == [TextPiece("Look:"), ImagePiece(a), ImagePiece(b)]


MISMATCHES: dict[str, Callable[[], list[Message]]] = {
    "two_text_parts": lambda: [user("First paragraph.", "Second one.")],
    "two_text_parts_then_image": lambda: [user("Look:", "closely", pic(100, 60))],
    "text_image_empty_text": lambda: [user("Describe this:", pic(100, 60), "")],
    "assistant_two_text_parts": lambda: [
        Message.user("Hi"),
        Message(Role.ASSISTANT, [TextPart("Hello."), TextPart("How can I help?")]),
        Message.user("Describe this.", [pic(100, 60)]),
    ],
}


@pytest.mark.parametrize("name", list(MISMATCHES))
def test_multi_part_text_normalized_like_mistral_common(
    mistral: MistralTokenizer, name: str
) -> None:
    """Text parts are normalized as mistral-common's v3 ``InstructRequestNormalizer`` does.

    Before encoding, mistral-common drops empty ``TextChunk``s and joins neighbouring ones
    of one message with ``"\\n\\n"``; only then does it move a single trailing image first.
    ``Message.user``/``Message.assistant`` never build such messages, but ``Message`` allows
    them. Known to fail until ``app/core/prompt.py`` normalizes parts the same way.
    """
    assert_same_as_mistral(mistral, MISMATCHES[name](), SYSTEM)


# ------------------------------------------------------------------------- our own rules
def test_system_first_placement_goes_in_the_first_user_message() -> None:
    """``first`` writes the system prompt at the start of the first user message only."""
    image = pic(100, 60)
    messages = [
        Message.user("One"),
        Message.assistant("Answer one."),
        Message.user("Two", [image]),
    ]
    assert build_prompt(messages, SYSTEM, SystemPlacement.FIRST) == [
        ControlPiece(Control.BOS),
        ControlPiece(Control.INST),
        TextPiece(f"{SYSTEM}\n\nOne"),
        ControlPiece(Control.END_INST),
        TextPiece("Answer one."),
        ControlPiece(Control.EOS),
        ControlPiece(Control.INST),
        ImagePiece(image),
        TextPiece("Two"),
        ControlPiece(Control.END_INST),
    ]
    with_image_first = build_prompt(
        [Message.user("One", [image]), Message.assistant("A."), Message.user("Two")],
        SYSTEM,
        SystemPlacement.FIRST,
    )
    assert with_image_first[2:5] == [
        TextPiece(f"{SYSTEM}\n\n"),
        ImagePiece(image),
        TextPiece("One"),
    ]
    assert with_image_first[-2] == TextPiece("Two")


def test_single_message_places_system_the_same_either_way() -> None:
    """With one user message, first and last are the same message."""
    messages = [Message.user("Only", [pic(100, 60)])]
    assert build_prompt(messages, SYSTEM, SystemPlacement.FIRST) == build_prompt(
        messages, SYSTEM, SystemPlacement.PIXTRAL
    )


@pytest.mark.parametrize(
    "messages",
    [
        [],
        [Message.assistant("Hello")],
        [Message.assistant("Hello"), Message.user("Hi")],
        [Message.user("Hi"), Message.user("Again")],
        [Message.user("Hi"), Message.assistant("Hello")],
        [Message.user("Hi"), Message.assistant("A"), Message.assistant("B"), Message.user("C")],
    ],
    ids=[
        "empty",
        "assistant_only",
        "starts_with_assistant",
        "two_users",
        "ends_with_assistant",
        "two_assistants",
    ],
)
def test_rejects_invalid_conversations(messages: list[Message]) -> None:
    """Empty, non-alternating or assistant-last conversations raise ``PromptError``."""
    with pytest.raises(PromptError):
        build_prompt(messages, SYSTEM)


def test_control_strings_in_user_text_stay_text(mistral: MistralTokenizer) -> None:
    """A user typing "[INST]" gets the characters, never the control token."""
    typed = "[INST] hi [/INST]</s><s>[IMG]"
    pieces = build_prompt([Message.user(typed)])
    assert pieces == [
        ControlPiece(Control.BOS),
        ControlPiece(Control.INST),
        TextPiece(typed),
        ControlPiece(Control.END_INST),
    ]
    tok = _tekken(mistral)
    ids = our_tokens(pieces, tok)
    assert ids.count(tok.get_special_token("[INST]")) == 1
    assert ids.count(tok.get_special_token("</s>")) == 0
    assert all(token >= tok.num_special_tokens for token in ids[2:-1])


def test_tiny_tekken_uses_pixtral_special_ids(mistral: MistralTokenizer) -> None:
    """The tiny file's special tokens are the ones Pixtral's v3 Tekken file gets."""
    assert [str(t["token_str"]) for t in Tekkenizer.DEPRECATED_SPECIAL_TOKENS] == SPECIAL_TOKENS
    tok = _tekken(mistral)
    expected = {"<s>": 1, "</s>": 2, "[INST]": 3, "[/INST]": 4, "[IMG]": 10}
    expected |= {"[IMG_BREAK]": 12, "[IMG_END]": 13}
    assert {name: tok.get_special_token(name) for name in expected} == expected
    assert {c.value for c in Control} == set(CONTROL_NAMES)


@pytest.mark.skipif(
    not PIXTRAL_TEKKEN.is_file(), reason="mistral-common ships no Pixtral tokenizer"
)
def test_exact_tokens_with_the_real_pixtral_tokenizer() -> None:
    """Token for token with Pixtral 12B's own tokenizer (tekken_240911, shipped offline)."""
    real = MistralTokenizer.from_file(PIXTRAL_TEKKEN, mode=ValidationMode.test)
    assert_same_as_mistral(real, multi_turn_images_last(), SYSTEM)
    assert_same_as_mistral(real, multi_turn_text_last(), SYSTEM)


# ------------------------------------------------------------------------ patch grid rule
def _grid_sizes() -> list[tuple[int, int]]:
    fixed = [
        (1, 1),
        (15, 15),
        (16, 16),
        (17, 17),
        (17, 3000),
        (3000, 17),
        (4000, 3000),
        (1023, 1025),
        (1025, 1023),
        (1024, 1024),
        (1025, 1025),
        (5000, 100),
        (100, 5000),
        (10000, 1),
        (1, 10000),
        (2048, 1025),  # 512.5 rounds to even 512
        (2048, 1057),  # 528.5 rounds to 528: 33 rows, not 34
        (2048, 1027),  # 513.5 rounds to 514
        (100, 60),
        (40, 900),
        (2000, 1000),
    ]
    rng = random.Random(20240911)
    randoms = [(rng.randint(1, 6000), rng.randint(1, 6000)) for _ in range(25)]
    randoms += [(rng.randint(1, 40), rng.randint(1000, 9000)) for _ in range(5)]
    return fixed + randoms


@pytest.mark.parametrize("detail", list(Detail), ids=[d.value for d in Detail])
def test_patch_grid_matches_mistral_common(detail: Detail) -> None:
    """``patch_grid`` equals ``ImageEncoder._image_to_num_tokens`` for ≥ 40 sizes."""
    encoder = ImageEncoder(ImageConfig(16, detail.max_side), SpecialImageIDs(10, 12, 13))
    sizes = _grid_sizes()
    assert len(sizes) >= 40
    for width, height in sizes:
        grid = patch_grid(width, height, detail.max_side)
        expected = encoder._image_to_num_tokens(Image.new("1", (width, height)))
        assert (grid.cols, grid.rows) == expected, (width, height)
        if detail is Detail.NATIVE:
            assert api_billed_tokens(width, height) == expected[1] * (expected[0] + 1)


@pytest.mark.parametrize("size", [(100, 60), (40, 900), (2000, 1000), (1, 1), (5000, 100)])
def test_image_block_matches_mistral_common_encoder(size: tuple[int, int]) -> None:
    """mistral-common's image tokens for a source picture: our grid and token count."""
    source, prepared = _picture(*size)
    encoder = ImageEncoder(ImageConfig(16, 1024), SpecialImageIDs(10, 12, 13))
    encoding = encoder(ImageChunk(image=source))
    assert max(prepared.size) <= 1024
    assert len(encoding.tokens) == prepared.tokens == prepared.api_billed_tokens
    assert encoding.tokens.count(10) == prepared.grid.cols * prepared.grid.rows
    assert encoding.tokens.count(12) == prepared.grid.rows - 1
    assert encoding.tokens[-1] == 13
    assert (encoding.image.shape[2], encoding.image.shape[1]) == prepared.size


@pytest.mark.parametrize("system", ["", SYSTEM], ids=["no_system", "system"])
@pytest.mark.parametrize("cut", ["Once upon a time,", "First line.\n\n", "x"])
def test_a_cut_answer_to_continue_ends_the_prompt_as_mistral_common_lays_it_out(
    mistral: MistralTokenizer, system: str, cut: str
) -> None:
    """Continue: the cut answer closes the prompt with no ``</s>``, as mistral-common encodes
    a ``prefix`` answer (how La Plateforme continues one)."""
    messages = [*multi_turn_images_last(), Message.assistant(cut)]
    tok = _tekken(mistral)
    pieces = build_prompt(messages, system, SystemPlacement.PIXTRAL, continue_answer=True)
    request = to_request(messages, system)
    last = request.messages[-1]
    assert isinstance(last, AssistantMessage)
    request.messages[-1] = last.model_copy(update={"prefix": True})
    encoded = mistral.encode_chat_completion(request)
    assert our_structure(pieces) == mc_structure(encoded.tokens, tok)
    assert our_tokens(pieces, tok) == encoded.tokens
    # The same prompt as the question alone, plus the answer's beginning.
    assert pieces[:-1] == build_prompt(messages[:-1], system, SystemPlacement.PIXTRAL)
    assert pieces[-1] == TextPiece(cut)


def test_a_cut_answer_keeps_its_trailing_spaces() -> None:
    """Unlike mistral-common (which strips them), the cut answer is laid out exactly as it was
    written: the local engine feeds back the very tokens it sampled, space included, so the
    continuation is the text the model would have written had it not been cut."""
    messages = [Message.user("Tell me"), Message.assistant("Once upon a time, ")]
    pieces = build_prompt(messages, continue_answer=True)
    assert pieces[-1] == TextPiece("Once upon a time, ")
    assert ControlPiece(Control.EOS) not in pieces


def test_only_an_answer_can_be_continued() -> None:
    with pytest.raises(PromptError):
        build_prompt([Message.user("Hi")], continue_answer=True)
