"""The catalog is data in resources/ and always pairs a model with its mmproj."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.models.catalog import CATALOG_PATH, CatalogError, load_catalog


def test_the_shipped_catalog_lists_the_reference_release_with_its_mmproj() -> None:
    catalog = load_catalog()
    ref = catalog.reference()
    assert ref.repo == "ggml-org/pixtral-12b-GGUF"
    names = {q.quant: q for q in ref.quants}
    assert names["Q4_K_M"].model.filename == "pixtral-12b-Q4_K_M.gguf"
    assert names["Q8_0"].model.filename == "pixtral-12b-Q8_0.gguf"
    for quant in (q for release in catalog.releases for q in release.quants):
        model, mmproj = quant.files
        assert "mmproj" in mmproj.filename and mmproj.repo == model.repo
        assert model.size_bytes > 5e9 and 0.5e9 < mmproj.size_bytes < 1.5e9
    assert len(catalog.releases) >= 2  # the reference and at least one other conversion


def test_names_resolve_with_or_without_a_quant() -> None:
    catalog = load_catalog()
    assert catalog.find("ggml-org").quant == "Q4_K_M"
    assert catalog.find("ggml-org:q8_0").model.filename == "pixtral-12b-Q8_0.gguf"
    assert catalog.find("bartowski", "Q6_K").quant == "Q6_K"
    assert catalog.find("ggml-org/pixtral-12b-GGUF").release_id == "ggml-org"
    with pytest.raises(CatalogError, match="has no Q2_K"):
        catalog.find("ggml-org", "Q2_K")
    with pytest.raises(CatalogError, match="No model called"):
        catalog.find("llava")


def test_a_malformed_catalog_is_a_clear_error(tmp_path: Path) -> None:
    data = json.loads(CATALOG_PATH.read_text())
    data["releases"][0]["mmproj"]["sha256"] = "not-a-hash"
    bad = tmp_path / "catalog.json"
    bad.write_text(json.dumps(data))
    with pytest.raises(CatalogError, match="cannot be read"):
        load_catalog(bad)
    with pytest.raises(CatalogError):
        load_catalog(tmp_path / "missing.json")
