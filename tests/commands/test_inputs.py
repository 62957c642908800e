"""Reading what a script hands over: bounded, and one sentence for each bad input."""

from __future__ import annotations

import argparse
import io
import time
from pathlib import Path

import pytest

from app.commands import inputs
from app.commands.inputs import (
    add_page_flags,
    expand_paths,
    parse_pages,
    read_prompt,
    read_schema,
)
from app.core.errors import UserFacingError


def test_pages_are_read_as_people_write_them() -> None:
    assert parse_pages("1-3,7", 9, "a.pdf") == (1, 2, 3, 7)
    assert parse_pages(" 2, 2,1 ", 3, "a.pdf") == (2, 1)
    for spec, phrase in [("0", "count from 1"), ("3-1", "not a page range"), ("x", "like 1-3,7"),
                         ("4", "has 3 pages"), (",", "names no page")]:  # fmt: skip
        with pytest.raises(UserFacingError, match=phrase):
            parse_pages(spec, 3, "a.pdf")


def test_stdin_and_files_are_bounded(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setattr(inputs, "MAX_PROMPT_BYTES", 100)
    assert read_prompt("-", None, io.BytesIO(b"\xef\xbb\xbfhello")) == "hello"  # BOM dropped
    with pytest.raises(UserFacingError, match="over 0 MB"):
        read_prompt("-", None, io.BytesIO(b"x" * 101))
    big = tmp_path / "big.txt"
    big.write_bytes(b"y" * 101)
    with pytest.raises(UserFacingError, match="over 0 MB"):
        read_prompt(None, big)
    with pytest.raises(UserFacingError, match="does not exist"):
        read_prompt(None, tmp_path / "gone.txt")
    with pytest.raises(UserFacingError, match="is a folder"):
        read_prompt(None, tmp_path)


def test_a_name_that_exists_is_not_taken_for_a_pattern(tmp_path: Path) -> None:
    odd = tmp_path / "scan[1].png"
    odd.write_bytes(b"")
    (tmp_path / "b.png").write_bytes(b"")
    (tmp_path / "a.png").write_bytes(b"")
    assert expand_paths([str(odd)]) == [odd]
    assert expand_paths([str(tmp_path / "[ab].png")]) == [tmp_path / "a.png", tmp_path / "b.png"]


def test_a_schema_must_be_a_small_json_object(monkeypatch, tmp_path: Path) -> None:
    schema = tmp_path / "s.json"
    schema.write_text('[{"type": "object"}]')
    with pytest.raises(UserFacingError, match="must be a JSON object"):
        read_schema(schema)
    schema.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(UserFacingError, match=r"nested too deeply|must be a JSON object"):
        read_schema(schema)
    monkeypatch.setattr(inputs, "MAX_SCHEMA_BYTES", 10)
    schema.write_text('{"type": "object"}')
    with pytest.raises(UserFacingError, match="too large"):
        read_schema(schema)
    with pytest.raises(UserFacingError, match="does not exist"):
        read_schema(tmp_path / "none.json")
    with pytest.raises(UserFacingError, match="is a folder"):
        read_schema(tmp_path)


def test_a_glob_is_read_no_further_than_the_bound(monkeypatch, tmp_path: Path) -> None:
    for n in range(50):
        (tmp_path / f"{n:02}.png").write_bytes(b"")
    drawn = []

    def counted(pattern: str, recursive: bool = False):  # the real glob, its matches counted
        for match in real_iglob(pattern, recursive=recursive):
            drawn.append(match)
            yield match

    real_iglob = inputs.glob.iglob
    monkeypatch.setattr(inputs.glob, "iglob", counted)
    monkeypatch.setattr(inputs, "MAX_GLOB_MATCHES", 5)
    with pytest.raises(UserFacingError, match="over 5; name fewer"):
        expand_paths([str(tmp_path / "*.png")])
    assert len(drawn) == 6  # not all 50: a glob over a whole disk stops as soon as it is too many
    named = [str(tmp_path / f"{n:02}.png") for n in range(4)]
    assert expand_paths([*named, str(tmp_path / "4[0].png")]) == [Path(p) for p in named] + [
        tmp_path / "40.png"
    ]
    with pytest.raises(UserFacingError, match=r"'.*0\[01\]\.png' brings the files named to over 5"):
        expand_paths([*named, str(tmp_path / "0[01].png")])  # the bound is for all files named
    with pytest.raises(UserFacingError, match="over 5"):
        expand_paths([str(tmp_path / "00.png")] * 6)


def test_a_page_list_s_form_is_checked_without_the_pdf() -> None:
    parser = argparse.ArgumentParser(exit_on_error=False)
    add_page_flags(parser, "all")
    assert parser.parse_args(["--pages", "1-3,7", "--as", "both"]).pages == "1-3,7"
    for spec, phrase in [("0", "count from 1"), ("5-2", "not a page range"), ("x", "like 1-3,7"),
                         ("", "names no page"), ("1-", "like 1-3,7")]:  # fmt: skip
        with pytest.raises(argparse.ArgumentError, match=phrase):
            parser.parse_args(["--pages", spec])
    started = time.perf_counter()  # each page once, in linear time (~40 s, not ms, when each
    assert parse_pages("1-100000,7", 100_000, "big.pdf")[-1] == 100_000  # was checked by a scan)
    assert time.perf_counter() - started < 5
