"""Blobs: stored once by sha256, survive the original file, and go when nothing uses them."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest

from app.core.conversation import ImagePart, TextPart
from app.storage.blobs import ORPHAN_GRACE_SECONDS, BlobStore
from app.storage.errors import StorageError
from app.storage.history import HistoryStore


def _blob_rows(store: HistoryStore) -> int:
    return store.db.conn.execute("SELECT count(*) FROM blobs").fetchone()[0]


def test_write_is_content_addressed_and_idempotent(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path / "blobs")
    first = blobs.write(b"hello", "text/plain")
    second = blobs.write(b"hello", "text/plain")
    assert first.sha256 == second.sha256 == hashlib.sha256(b"hello").hexdigest()
    assert blobs.path(first.sha256).read_bytes() == b"hello"
    assert blobs.path(first.sha256).parent.name == first.sha256[:2]
    assert list((tmp_path / "blobs" / ".tmp").iterdir()) == []  # temp files never linger


def test_bad_hash_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StorageError):
        BlobStore(tmp_path).path("../../etc/passwd")


def test_same_image_in_two_conversations_is_stored_once(store: HistoryStore, make_image) -> None:
    image = make_image()
    a = store.create_conversation()
    b = store.create_conversation()
    store.add_message(a, "user", [ImagePart(image), TextPart("one")])
    store.add_message(b, "user", [ImagePart(image), TextPart("two")])
    assert _blob_rows(store) == 1
    files = [p for p in store.blobs.root.glob("??/*")]
    assert len(files) == 1


def test_message_survives_the_original_file_and_rebuilds_the_image(
    store: HistoryStore, tmp_path: Path, make_image
) -> None:
    image = make_image(color=(10, 200, 30))
    cid = store.create_conversation()
    store.add_message(cid, "user", [ImagePart(image), TextPart("what colour?")])
    message = store.load(cid).messages[0].to_core(store.blobs)
    restored = message.images[0]
    assert restored.rgb == image.rgb
    assert (restored.name, restored.grid, restored.sha256) == (image.name, image.grid, image.sha256)
    assert restored.source_size == image.source_size and restored.detail == image.detail


def test_delete_forever_removes_only_unshared_blobs(store: HistoryStore, make_image) -> None:
    shared, own = make_image((1, 2, 3)), make_image((4, 5, 6))
    a = store.create_conversation()
    b = store.create_conversation()
    store.add_message(a, "user", [ImagePart(shared), ImagePart(own)])
    store.add_message(b, "user", [ImagePart(shared)])
    hashes = [p.sha256 for p in store.load(a).messages[0].parts]
    store.delete_forever(a)
    assert store.blobs.exists(hashes[0]) and not store.blobs.exists(hashes[1])
    assert _blob_rows(store) == 1
    store.delete_forever(b)
    assert _blob_rows(store) == 0
    assert not store.blobs.exists(hashes[0])
    assert list((store.blobs.root / ".trash").iterdir()) == []


def test_failed_delete_rolls_back_rows_and_files(
    store: HistoryStore, make_image, monkeypatch
) -> None:
    cid = store.create_conversation()
    store.add_message(cid, "user", [ImagePart(make_image())])
    sha = store.load(cid).messages[0].parts[0].sha256
    original = store.blobs.release_unreferenced

    def release_then_fail(conn, candidates, parked):
        original(conn, candidates, parked)
        assert parked and not store.blobs.exists(sha)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store.blobs, "release_unreferenced", release_then_fail)
    with pytest.raises(StorageError, match="disk is full"):
        store.delete_forever(cid)
    assert store.blobs.exists(sha)
    assert store.get_conversation(cid).id == cid
    assert _blob_rows(store) == 1


def test_garbage_collection_removes_old_orphans_and_restores_parked(
    store: HistoryStore, make_image
) -> None:
    cid = store.create_conversation()
    store.add_message(cid, "user", [ImagePart(make_image())])
    kept = store.load(cid).messages[0].parts[0].sha256
    orphan = store.blobs.write(b"left by a crash").sha256
    fresh_orphan = store.blobs.write(b"another instance is saving this").sha256
    old = time.time() - ORPHAN_GRACE_SECONDS - 10
    os.utime(store.blobs.path(orphan), (old, old))
    # A crash after parking a file whose delete never committed: it must come back.
    parked_dir = store.blobs.root / ".trash"
    parked_dir.mkdir(exist_ok=True)
    os.replace(store.blobs.path(kept), parked_dir / f"{kept}.abcd1234")
    removed = store.collect_garbage()
    assert removed == 1
    assert not store.blobs.exists(orphan)
    assert store.blobs.exists(fresh_orphan)
    assert store.blobs.exists(kept)


def test_insert_rewrites_a_blob_deleted_by_a_racing_instance(store: HistoryStore) -> None:
    staged = store.stage_parts([])
    blob = store.blobs.write(b"racing bytes", "application/pdf")
    store.blobs.path(blob.sha256).unlink()  # the other instance emptied its trash meanwhile
    from app.storage.records import StagedPart, StoredPart

    cid = store.create_conversation()
    part = StagedPart(StoredPart("document", "text layer", blob.sha256, {"name": "a.pdf"}), blob)
    store.add_message(cid, "user", [*staged, part])
    assert store.blobs.read(blob.sha256) == b"racing bytes"
