"""128K where it fits: q8_0 KV when f16 cannot reach the full context, unless the user chose.

Synthetic machines (fake hardware reports, fake free memory): on 23 GiB f16 stops at 82,944
tokens while q8_0 holds all 131,072; on 64 GiB f16 does; on 12 GiB neither does, and q8_0 gives
twice the context. The same rule decides ``models recommend`` and the load with n_ctx 0.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest

from app.backends import local_config
from app.core import model_files
from app.core.budget import GIB, MAX_CONTEXT, KvType
from app.models import models_cli
from app.models.catalog import load_catalog
from app.models.hardware import HardwareReport, pick_context_and_kv
from app.models.kv_choice import choose_kv, explicit_kv_type
from app.models.memory_fit import recommend
from app.models.model_overrides import ModelOverrides
from app.settings import Settings
from tests.models.pixtral_machine import PIXTRAL_Q4, fake_machine

CATALOG = load_catalog()


def _run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="pixtral-desk")
    models_cli.add_models_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(list(argv))
    return int(args.run(args))


def _cpu_machine(ram_gib: float) -> HardwareReport:
    return HardwareReport(("CPU",), False, (), 64 * GIB, int(ram_gib * GIB), 500 * GIB, Path("/"))


def test_23_gib_gets_q8_0_at_the_full_context_and_says_why() -> None:
    rec = recommend(CATALOG, _cpu_machine(23))
    assert rec and rec.quant.quant == "Q4_K_M"
    assert (rec.kv_type, rec.n_ctx) == (KvType.Q8_0, 131_072)
    assert rec.kv_note == (
        "q8_0 KV cache: the full 131,072-token context fits; f16 would fit only 82,944"
    )
    assert rec.estimate.total <= 21 * GIB  # ~19 GiB, inside the 21 GiB left after the reserve


def test_64_gib_keeps_f16_at_the_full_context() -> None:
    rec = recommend(CATALOG, _cpu_machine(64))
    assert rec and (rec.kv_type, rec.n_ctx) == (KvType.F16, 131_072)
    assert rec.kv_note == "f16 KV cache: the full 131,072-token context fits"


def test_12_gib_gets_the_larger_of_the_two_and_says_it_is_not_the_full_context() -> None:
    rec = recommend(CATALOG, _cpu_machine(12))
    assert rec and (rec.kv_type, rec.n_ctx) == (KvType.Q8_0, 21_504)
    assert rec.kv_note == (
        "q8_0 KV cache: 21,504 tokens fit, not the full 131,072 (too little memory); "
        "f16 would fit only 11,264"
    )


def test_a_kv_type_the_user_chose_is_kept() -> None:
    rec = recommend(CATALOG, _cpu_machine(23), kv_type=KvType.F16)
    assert rec and (rec.kv_type, rec.n_ctx) == (KvType.F16, 82_944)
    assert rec.kv_note == "f16 KV cache, as chosen in the settings"
    rec = recommend(CATALOG, _cpu_machine(12), kv_type=KvType.Q4_0)
    assert rec and rec.kv_type is KvType.Q4_0 and rec.n_ctx > 21_504


def test_the_rule_keeps_f16_when_q8_0_gains_nothing() -> None:
    same = choose_kv(lambda kv: 8192, MAX_CONTEXT)
    assert same.kv_type is KvType.F16 and same.n_ctx == 8192
    none = choose_kv(lambda kv: 0 if kv is KvType.F16 else 6144, MAX_CONTEXT)
    assert none.kv_type is KvType.Q8_0 and "f16 would not fit at all" in none.note


def test_what_counts_as_the_users_choice() -> None:
    assert explicit_kv_type({"kv_type": "f16"}) is None  # the default: left alone
    assert explicit_kv_type({"kv_type": "q4_0"}) is KvType.Q4_0
    assert explicit_kv_type({"kv_type": "f16"}, {"kv_type": "f16"}) is KvType.F16  # per model
    assert explicit_kv_type({"kv_type": "q8_0"}, {"n_ctx": 4096}) is KvType.Q8_0


# --- ``models recommend`` ----------------------------------------------------------------------


@pytest.fixture
def machine_23_gib(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A 23 GiB CPU machine and an empty settings file of its own; returns the settings path."""
    monkeypatch.setattr("app.models.hardware.probe", lambda *_a, **_k: _cpu_machine(23))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    settings_path = tmp_path / "settings.ini"
    monkeypatch.setenv("PIXTRAL_DESK_CONFIG", str(settings_path))
    return settings_path


def test_recommend_prints_q8_0_and_the_reason(capsys, machine_23_gib: Path) -> None:
    assert _run("models", "recommend") == 0
    text = capsys.readouterr().out
    assert "context: 131,072 tokens, KV cache: q8_0" in text
    assert "f16 would fit only 82,944" in text
    assert _run("models", "recommend", "--json") == 0
    rec = json.loads(capsys.readouterr().out)["recommendation"]
    assert (rec["kv_type"], rec["n_ctx"]) == ("q8_0", 131_072) and "82,944" in rec["kv_note"]


def test_recommend_keeps_the_users_kv_type(capsys, machine_23_gib: Path) -> None:
    assert _run("models", "recommend", "--json", "--kv-type", "f16") == 0
    rec = json.loads(capsys.readouterr().out)["recommendation"]
    assert (rec["kv_type"], rec["n_ctx"]) == ("f16", 82_944)
    settings = Settings(machine_23_gib)
    settings["kv_type"] = "q4_0"
    settings.save()
    assert _run("models", "recommend", "--json") == 0
    assert json.loads(capsys.readouterr().out)["recommendation"]["kv_type"] == "q4_0"


# --- the load with an automatic context ---------------------------------------------------------


@pytest.mark.parametrize(
    ("gib", "kv_type", "n_ctx", "said"),
    [
        (23, KvType.Q8_0, 131_072, "the full 131,072-token context fits; f16 would fit only"),
        (64, KvType.F16, 131_072, "f16 KV cache: the full 131,072-token context fits"),
        (12, KvType.Q8_0, 49_152, "49,152 tokens fit, not the full 131,072"),
    ],
)
def test_the_automatic_context_takes_q8_0_where_f16_falls_short(
    monkeypatch: pytest.MonkeyPatch, gib: float, kv_type: KvType, n_ctx: int, said: str
) -> None:
    fake_machine(monkeypatch, ram_gib=gib, vram_gib=None)
    choice = pick_context_and_kv(0, PIXTRAL_Q4, KvType.F16, kv_chosen=False)
    assert (choice.kv_type, choice.n_ctx) == (kv_type, n_ctx) and said in choice.note


def test_a_set_context_or_a_chosen_kv_type_loads_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_machine(monkeypatch, ram_gib=23, vram_gib=None)
    fixed = pick_context_and_kv(8192, PIXTRAL_Q4, KvType.F16, kv_chosen=False)
    assert (fixed.kv_type, fixed.n_ctx) == (KvType.F16, 8192)
    chosen = pick_context_and_kv(0, PIXTRAL_Q4, KvType.F16, kv_chosen=True)
    assert chosen.kv_type is KvType.F16 and chosen.n_ctx < 131_072


def _values(**changes: Any) -> dict[str, Any]:
    values = dict(Settings(Path("/nonexistent/settings.ini")).items())
    values.update(model=str(PIXTRAL_Q4.path), mmproj="", n_ctx=0)
    values.update(changes)
    return values


@pytest.fixture
def pixtral_on_23_gib(monkeypatch: pytest.MonkeyPatch) -> None:
    """``local_config`` reads a Pixtral 12B Q4_K_M header on a machine with 23 GiB free."""
    monkeypatch.setattr(model_files, "inspect_text_model", lambda _path: PIXTRAL_Q4)
    fake_machine(monkeypatch, ram_gib=23, vram_gib=None)


def test_the_default_run_gets_128k_with_q8_0(pixtral_on_23_gib: None) -> None:
    config = local_config(_values())
    assert (config.kv_type, config.n_ctx) == (KvType.Q8_0, 131_072)


def test_the_users_kv_type_wins_at_load(pixtral_on_23_gib: None, tmp_path: Path) -> None:
    config = local_config(_values(kv_type="q4_0"))
    assert (config.kv_type, config.n_ctx) == (KvType.Q4_0, 131_072)
    overrides = ModelOverrides(tmp_path / "models.json")
    overrides.set(PIXTRAL_Q4.path, kv_type="f16")
    config = local_config(_values(), overrides.get(PIXTRAL_Q4.path))
    assert config.kv_type is KvType.F16 and config.n_ctx < 131_072
    config = local_config(_values(n_ctx=16_384))
    assert (config.kv_type, config.n_ctx) == (KvType.F16, 16_384)
