"""Finding pairs on disk by header only, with decoys."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import gguf
import pytest

from app.models.discovery import default_locations, scan
from tests.fixtures.pixtral_gguf import GgufPair, write_pixtral_pair


def _write_other_arch(path: Path) -> None:
    writer = gguf.GGUFWriter(str(path), "qwen2")
    writer.add_uint32("qwen2.embedding_length", 64)
    writer.add_uint32("qwen2.block_count", 2)
    writer.add_uint32("qwen2.attention.head_count", 4)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def _hf_cache_pair(hub: Path, pair: GgufPair) -> tuple[Path, Path]:
    """Lay the pair out like huggingface_hub does, with names that lie about the content."""
    repo = hub / "models--someone--renamed-GGUF"
    blobs, snap = repo / "blobs", repo / "snapshots" / ("a" * 40)
    blobs.mkdir(parents=True)
    snap.mkdir(parents=True)
    shutil.copy(pair.model, blobs / "1111")
    shutil.copy(pair.mmproj, blobs / "2222")
    model_link, mmproj_link = snap / "mmproj-model-f16.gguf", snap / "pixtral-12b-Q4_K_M.gguf"
    os.symlink("../../blobs/1111", model_link)  # the text model, named like a projector
    os.symlink("../../blobs/2222", mmproj_link)  # the projector, named like a model
    return model_link, mmproj_link


@pytest.fixture(scope="module")
def small_pair(tmp_path_factory: pytest.TempPathFactory) -> GgufPair:
    """Mistral Small 3.x-shaped: as wide as the tiny Pixtral, its projector also 'pixtral'."""
    return write_pixtral_pair(tmp_path_factory.mktemp("small"), variant="mistral-small")


@pytest.fixture
def tree(tmp_path: Path, tiny_pair: GgufPair) -> dict[str, Path]:
    home = tmp_path / "home"
    hub = home / ".cache" / "huggingface" / "hub"
    model, mmproj = _hf_cache_pair(hub, tiny_pair)
    # LM Studio: a Pixtral-shaped model whose projector is for another model (llava).
    lms = home / ".lmstudio" / "models" / "pub" / "llava-thing"
    write_pixtral_pair(lms, projector_type="llava")
    # Jan: a text-only GGUF (no projector anywhere near it).
    jan = home / ".local" / "share" / "Jan" / "data" / "models" / "textonly"
    jan.mkdir(parents=True)
    shutil.copy(tiny_pair.model, jan / "pixtral-text.gguf")
    # A folder the user names: wrong architecture, a truncated file, a projector too wide.
    user = tmp_path / "Downloads"
    user.mkdir()
    _write_other_arch(user / "pixtral-12b-Q8_0.gguf")
    data = tiny_pair.model.read_bytes()
    (user / "truncated.gguf").write_bytes(data[: len(data) // 2])
    write_pixtral_pair(user / "wide", projection_dim=128)
    return {"home": home, "model": model, "mmproj": mmproj, "user": user, "jan": jan}


def test_default_locations_honour_hf_variables(tmp_path: Path, tree: dict[str, Path]) -> None:
    home = tree["home"]
    labels = [label for label, _ in default_locations({}, home)]
    assert labels == ["Hugging Face cache", "LM Studio", "Jan"]
    custom = tmp_path / "elsewhere"
    custom.mkdir()
    places = dict(
        (str(p), label) for label, p in default_locations({"HF_HUB_CACHE": str(custom)}, home)
    )
    assert places[str(custom)] == "Hugging Face cache"
    hf_home = default_locations({"HF_HOME": str(home / ".cache" / "huggingface")}, home)
    assert hf_home[0][1] == home / ".cache" / "huggingface" / "hub"


def test_pairs_are_found_by_header_and_decoys_are_not_paired(tree: dict[str, Path]) -> None:
    result = scan(default_locations({}, tree["home"]), extra_folders=[tree["user"]])
    assert len(result.pairs) == 1
    (pair,) = result.pairs
    # The misleading names did not fool it: the "mmproj-…" file is the model.
    assert pair.model.path == tree["model"] and pair.mmproj.path == tree["mmproj"]
    assert pair.source == "Hugging Face cache" and pair.quant == "F32"
    assert pair.size_bytes == pair.model.file_size + pair.mmproj.file_size
    unpaired = sorted(m.path.name for m in result.unpaired_models)
    # The llava-projector model, the Jan text-only model and the too-wide projector's model.
    assert unpaired == ["model.gguf", "model.gguf", "pixtral-text.gguf"]
    reasons = {p.name: why for p, why in result.rejected}
    assert "not for Pixtral" in reasons["mmproj.gguf"]  # the llava projector
    assert "'qwen2' model" in reasons["pixtral-12b-Q8_0.gguf"]
    assert "truncated" in reasons["truncated.gguf"]


def test_the_same_file_reached_twice_is_listed_once(tree: dict[str, Path]) -> None:
    hub = tree["home"] / ".cache" / "huggingface" / "hub"
    result = scan([("Hugging Face cache", hub), ("Folder", hub)])
    assert len(result.pairs) == 1


def test_progress_reports_each_file(tree: dict[str, Path]) -> None:
    seen: list[Path] = []
    scan([("Folder", tree["user"])], progress=seen.append)
    assert len(seen) == 4  # other-arch, truncated, wide/model.gguf, wide/mmproj.gguf


def test_pixtral_and_mistral_small_files_never_cross_pair(
    tmp_path: Path, tiny_pair: GgufPair, small_pair: GgufPair
) -> None:
    # A Pixtral model beside a Mistral Small projector, Pixtral's own projector a folder up:
    # the nearer one has the right width and type, so only its Mistral Small signs rule it out.
    first = tmp_path / "first"
    (first / "nested").mkdir(parents=True)
    shutil.copy(tiny_pair.model, first / "nested" / "pixtral-12b.gguf")
    shutil.copy(small_pair.mmproj, first / "nested" / "mmproj-small.gguf")
    shutil.copy(tiny_pair.mmproj, first / "mmproj-pixtral.gguf")
    # A Mistral Small model beside a Pixtral projector.
    second = tmp_path / "second"
    second.mkdir()
    shutil.copy(small_pair.model, second / "small.gguf")
    shutil.copy(tiny_pair.mmproj, second / "mmproj-pixtral.gguf")

    result = scan([], extra_folders=[first, second])
    assert [(p.model.path, p.mmproj.path) for p in result.pairs] == [
        (first / "nested" / "pixtral-12b.gguf", first / "mmproj-pixtral.gguf")
    ]
    assert result.unpaired_models == []
    looks = {path.name: why for path, why in result.lookalikes}
    assert set(looks) == {"mmproj-small.gguf", "small.gguf"}
    assert (
        "is a Mistral Small 3.x vision projector, not Pixtral 12B's" in looks["mmproj-small.gguf"]
    )
    assert "is a Mistral Small 3.x text model, not Pixtral 12B" in looks["small.gguf"]
    assert all("not supported yet" in why for why in looks.values())
