"""The worker's pixel store and the app's record of it, without an engine (pure bookkeeping)."""

from __future__ import annotations

from app.core.images import Detail, PatchGrid, PreparedImage
from app.core.prompt import Control, ControlPiece, ImagePiece, TextPiece
from app.engine.local.pixel_store import PixelStore
from app.engine.local.protocol import HeldImage
from app.engine.local.wire import WorkerImages


def _image(tag: str, size: int = 100) -> PreparedImage:
    return PreparedImage(
        name=f"{tag}.png",
        source_size=(16, 16),
        detail=Detail.NATIVE,
        grid=PatchGrid(1, 1),
        rgb=tag.encode() * size,
        sha256=f"sha-{tag}",
    )


A, B, C = _image("a"), _image("b"), _image("c")


def test_a_name_is_replaced_by_the_held_image_under_its_current_name() -> None:
    store = PixelStore()
    store.resolve([ImagePiece(A)])
    resolved = store.resolve([ControlPiece(Control.BOS), HeldImage(A.sha256, "renamed.png")])
    assert resolved.missing == () and resolved.dropped == ()
    head, piece = resolved.pieces
    assert head == ControlPiece(Control.BOS)
    assert isinstance(piece, ImagePiece)
    assert piece.image.rgb is A.rgb and piece.image.sha256 == A.sha256
    assert piece.image.name == "renamed.png"


def test_unknown_names_are_reported_and_nothing_is_resolved() -> None:
    store = PixelStore()
    resolved = store.resolve([HeldImage("sha-x", "x"), ImagePiece(A), HeldImage("sha-x", "x")])
    assert resolved.missing == ("sha-x",)
    assert resolved.pieces == []
    assert A.sha256 in store  # what came with pixels is kept all the same


def test_a_name_may_come_before_its_pixels_in_the_same_request() -> None:
    resolved = PixelStore().resolve([HeldImage(A.sha256, A.name), ImagePiece(A)])
    assert resolved.missing == ()
    assert [p.image.sha256 for p in resolved.pieces if isinstance(p, ImagePiece)] == [A.sha256] * 2


def test_least_recently_used_images_go_first_and_never_those_in_hand() -> None:
    store = PixelStore(budget_bytes=250)  # two images of 100 bytes
    store.resolve([ImagePiece(A)])
    store.resolve([ImagePiece(B)])
    store.resolve([HeldImage(A.sha256, A.name)])  # A is now the more recent
    resolved = store.resolve([ImagePiece(C)])
    assert resolved.dropped == (B.sha256,)
    assert A.sha256 in store and C.sha256 in store and store.bytes == 200
    # One request above the budget keeps all of its images and lets the others go.
    big = [ImagePiece(_image(tag)) for tag in "defg"]
    resolved = store.resolve(big)
    assert set(resolved.dropped) == {A.sha256, C.sha256}
    assert len(store) == 4 and store.bytes == 400


def test_the_record_names_what_was_sent_and_forgets_what_was_dropped() -> None:
    record = WorkerImages()
    pieces = [ImagePiece(A), TextPiece("x"), ImagePiece(B), ImagePiece(A)]
    wire, with_pixels = record.to_wire(pieces)
    assert wire == [ImagePiece(A), TextPiece("x"), ImagePiece(B), HeldImage(A.sha256, A.name)]
    assert with_pixels == [ImagePiece(A), ImagePiece(B)]
    record.sent(with_pixels)
    wire, with_pixels = record.to_wire(pieces)
    held_a, held_b = HeldImage(A.sha256, A.name), HeldImage(B.sha256, B.name)
    assert wire == [held_a, TextPiece("x"), held_b, held_a]
    assert with_pixels == []
    record.dropped([B.sha256])
    assert record.to_wire(pieces)[1] == [ImagePiece(B)]
    assert record.to_wire(pieces, everything=True)[1] == [ImagePiece(A), ImagePiece(B)]
    record.forget_all()
    assert record.to_wire(pieces)[1] == [ImagePiece(A), ImagePiece(B)]


def test_an_image_without_a_hash_always_goes_with_its_pixels() -> None:
    record = WorkerImages()
    unhashed = PreparedImage("n.png", (1, 1), Detail.NATIVE, PatchGrid(1, 1), b"xyz")
    wire, with_pixels = record.to_wire([ImagePiece(unhashed)])
    record.sent(with_pixels)
    assert wire == [ImagePiece(unhashed)] and record.held == set()
