"""README's command-line tables say what ``pixtral-desk ask`` and ``batch`` do: every flag the
parser defines is a row, every row is a flag, and each default is the one the parser (or, for
a setting, its declaration) applies. ``batch`` takes the setting flags of ``ask`` (rows of the
``ask`` table) and has a table for the rest. Built from the parser at test time, so a new flag
without a row, or a default changed in one place only, fails here."""

from __future__ import annotations

import argparse
import re
import tomllib
from pathlib import Path
from typing import Any

from app.cli import _parser
from app.core.budget import MAX_CONTEXT, MIN_CONTEXT
from app.models.hardware import LLAMA_CPP_REQUIREMENT
from app.settings import SETTINGS_BY_KEY

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
TABLE_HEAD = "| flag | default | what it does |"
BATCH_TABLE_HEAD = "| batch flag | default | what it does |"
NONE = "–"  # how the table writes "no default"


def _table_rows(head: str = TABLE_HEAD) -> list[list[str]]:
    lines = README.splitlines()
    start = lines.index(head) + 2  # past the head and its |---| line
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def readme_flags(head: str = TABLE_HEAD) -> dict[str, str]:
    """Flag → the default its row gives ("–" for none); a row naming several flags gives one
    default for all or one each, in order."""
    flags: dict[str, str] = {}
    for cells in _table_rows(head):
        names = re.findall(r"`(--?[a-z0-9][a-z0-9-]*)`", cells[0])
        defaults = [d.strip().strip("`") for d in cells[1].split(", ")]
        assert names, f"a row of the flag table names no flag: {cells}"
        if len(defaults) == 1:
            defaults *= len(names)
        assert len(defaults) == len(names), f"{names}: {len(defaults)} defaults for the row"
        for name, default in zip(names, defaults, strict=True):
            assert name not in flags, f"{name} has two rows"
            flags[name] = default
    return flags


def _shown(value: Any) -> str:
    if value is None or value is False or value == "" or value == []:
        return NONE
    return str(value)


def _sub_parser(command: str) -> argparse.ArgumentParser:
    commands = next(a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
    return commands.choices[command]


def parser_flags(command: str = "ask", *, settings: bool = True) -> dict[str, str]:
    """Flag → its effective default, from a sub-parser the CLI builds. A setting's flag
    defaults to None (unset: the settings file decides), so its declared default counts;
    ``settings=False`` leaves the setting flags out."""
    flags = {}
    for action in _sub_parser(command)._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        default = action.default
        is_setting = action.dest in SETTINGS_BY_KEY and default is None
        if is_setting:
            if not settings:
                continue
            default = SETTINGS_BY_KEY[action.dest].default
        for option in action.option_strings:
            flags[option] = _shown(default)
    return flags


def test_every_flag_of_ask_has_a_row_and_every_row_is_a_flag() -> None:
    in_readme, in_parser = set(readme_flags()), set(parser_flags())
    assert not in_parser - in_readme, f"flags of `ask` missing from README: {in_parser - in_readme}"
    assert not in_readme - in_parser, f"README rows `ask` does not have: {in_readme - in_parser}"


def test_every_default_in_the_table_is_the_one_applied() -> None:
    parser = parser_flags()
    wrong = {
        flag: (said, parser[flag])
        for flag, said in readme_flags().items()
        if flag in parser and said != parser[flag]
    }
    assert not wrong, f"README default ≠ parser default (README, parser): {wrong}"


def test_batch_has_a_row_for_each_flag_that_is_not_a_setting_of_ask() -> None:
    table, own = readme_flags(BATCH_TABLE_HEAD), parser_flags("batch", settings=False)
    assert set(table) == set(own), f"batch table vs parser: {set(table) ^ set(own)}"
    assert {f: d for f, d in table.items() if own[f] != d} == {}, "batch defaults differ"
    shared = set(parser_flags("batch")) - set(own)
    assert shared <= set(readme_flags()), f"batch's setting flags not in the ask table: {shared}"


def test_the_context_row_states_the_bounds_the_code_applies() -> None:
    (row,) = [cells for cells in _table_rows() if "`--n-ctx`" in cells[0]]
    assert f"{MAX_CONTEXT:,}" in row[2] and f"{MIN_CONTEXT:,}" in row[2]


def test_gpu_reinstall_commands_keep_the_supported_llama_cpp_range() -> None:
    """A reinstall command without pyproject's upper bound could install an unsupported 0.4."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    (pin,) = [d for d in pyproject["project"]["dependencies"] if d.startswith("llama-cpp-python")]
    assert pin.replace(" ", "") == LLAMA_CPP_REQUIREMENT
    for path in (ROOT / "README.md", ROOT / "packaging" / "README.md"):
        named = re.findall(r'"(llama-cpp-python[^"]*)"', path.read_text(encoding="utf-8"))
        assert named and set(named) == {LLAMA_CPP_REQUIREMENT}, (path.name, named)
