"""Settings survive a save and a load exactly, whatever the values.

Before: ``save()`` lost the first key of every section new in the file (``backend``,
``mistral_model``, ``data_dir``, ``temperature``), and a ``%`` in any value made every command
die with ``InterpolationSyntaxError``.
"""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.cli import main as cli_main
from app.settings import SETTINGS, SETTINGS_BY_KEY, Setting, Settings, coerce


def _non_default(setting: Setting) -> Any:
    """A valid value different from the default, for every declared setting."""
    if setting.choices:
        return next(choice for choice in setting.choices if choice != setting.default)
    if setting.kind is str:
        return f"C:\\Users\\zoë\\100% sure\\{setting.key};#x=y"
    low, high = setting.bounds or (0, 10**6)
    value = setting.kind(high) if setting.default != high else setting.kind(low)
    return value


def test_every_setting_survives_save_and_reload(tmp_path: Path) -> None:
    path = tmp_path / "settings.ini"
    written = Settings(path)
    expected = {}
    for setting in SETTINGS:
        written[setting.key] = expected[setting.key] = _non_default(setting)
        assert expected[setting.key] != setting.default
    written.save()
    assert dict(Settings(path).items()) == expected


@pytest.mark.parametrize(
    "value",
    [
        "/home/me/100%",
        "%(home)s/x",
        "a = b",
        "; not a comment",
        "# not a comment",
        "line one\nline two",
        "\n#leading newline then hash",
        "  padded  ",
        "\ttab",
        '"quoted"',
        '"',
        "trailing backslash\\",
        "[section]",
        "Документы/数据/🙂",
        "lone \udcff surrogate",
        "",
    ],
)
def test_hostile_strings_round_trip(tmp_path: Path, value: str) -> None:
    path = tmp_path / "settings.ini"
    written = Settings(path)
    written["data_dir"] = value
    written["model"] = value
    written.save()
    read = Settings(path)
    assert read["data_dir"] == value
    assert read["model"] == value


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=st.text(max_size=80))
def test_any_text_round_trips(tmp_path: Path, value: str) -> None:
    path = tmp_path / "prop.ini"
    written = Settings(path)
    written["openai_model"] = value
    written.save()
    assert Settings(path)["openai_model"] == value


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(alphabet=string.printable + '%[]=:;#"é\udcff', max_size=400))
def test_any_file_content_loads_to_valid_values(tmp_path: Path, text: str) -> None:
    """Whatever a settings file holds, loading gives valid values (defaults where it is bad)."""
    path = tmp_path / "fuzz.ini"
    path.write_text("[engine]\n" + text, encoding="utf-8", errors="surrogateescape")
    loaded = Settings(path)
    for key, value in loaded.items():
        assert coerce(SETTINGS_BY_KEY[key], value) == value


def test_percent_in_the_file_does_not_break_a_command(tmp_path: Path, capsys) -> None:
    path = tmp_path / "settings.ini"
    path.write_text("[storage]\ndata_dir = /data/100%\n[sampling]\ndetail = low\n")
    image = tmp_path / "a.png"
    from PIL import Image

    Image.new("RGB", (40, 20)).save(image)
    assert cli_main(["--config", str(path), "tokens", str(image), "--json"]) == 0
    assert '"detail": "low"' in capsys.readouterr().out
    assert Settings(path)["data_dir"] == "/data/100%"


@pytest.mark.parametrize(
    ("key", "raw"),
    [("n_batch", "0"), ("n_ctx", "999999"), ("temperature", "nan"), ("top_p", "7"), ("seed", "x")],
)
def test_out_of_range_values_in_the_file_fall_back_to_defaults(
    tmp_path: Path, key: str, raw: str
) -> None:
    setting = SETTINGS_BY_KEY[key]
    path = tmp_path / "settings.ini"
    path.write_text(f"[{setting.section}]\n{key} = {raw}\n")
    assert Settings(path)[key] == setting.default


@pytest.mark.parametrize("flag", ["--n-batch=0", "--n-ctx=-5", "--top-p=2", "--threads=many"])
def test_out_of_range_flags_are_refused_in_one_line(flag: str, capsys, tmp_path: Path) -> None:
    assert cli_main(["--config", str(tmp_path / "s.ini"), "ask", flag, "hi"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert flag.split("=")[0] in err
    assert "Traceback" not in err
    assert "memory" not in err


def test_an_unreadable_file_is_kept_before_it_is_replaced(tmp_path: Path) -> None:
    path = tmp_path / "settings.ini"
    path.write_bytes(b"\xff\xfe not utf-8 [engine\n")
    settings_ = Settings(path)
    assert settings_["backend"] == "local"
    settings_["backend"] = "mistral"
    settings_.save()
    assert (tmp_path / "settings.ini.unreadable").read_bytes().startswith(b"\xff\xfe")
    assert Settings(path)["backend"] == "mistral"


def test_a_huge_file_is_not_parsed(tmp_path: Path) -> None:
    path = tmp_path / "settings.ini"
    path.write_text("[engine]\nbackend = mistral\n" + "#" * (2 * 1024 * 1024))
    assert Settings(path)["backend"] == "local"


def test_the_seed_is_random_by_default_and_any_fixed_value_is_kept(tmp_path: Path) -> None:
    seed = SETTINGS_BY_KEY["seed"]
    assert seed.default == -1 and seed.bounds == (-1, 2**31 - 1)
    assert coerce(seed, "-1") == -1 and coerce(seed, "0") == 0
    with pytest.raises(ValueError, match="between -1"):
        coerce(seed, "-2")
