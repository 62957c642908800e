"""The ``pixtral-desk`` command: streaming, JSON, token costs, and one clear line per bad input."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from app.cli import EXIT_BAD_INPUT, main
from app.commands.ask import MAX_QUESTION_IMAGES
from tests.fixtures.pixtral_gguf import GgufPair, write_pixtral_pair

ROOT = Path(__file__).resolve().parents[1]


def _cli(*args: str, config: Path) -> subprocess.CompletedProcess[str]:
    """Run the real command in a subprocess: what a user's shell would see."""
    env = {**os.environ, "PIXTRAL_DESK_CONFIG": str(config)}
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return tmp_path / "settings.ini"


def test_ask_streams_then_json_has_every_field(
    tiny_pair: GgufPair, image_file, config: Path
) -> None:
    wide, tall = image_file(120, 40, "wide.png"), image_file(30, 100, "tall.jpg")
    common = ["ask", "--model", str(tiny_pair.model), "--mmproj", str(tiny_pair.mmproj),
              "--image", str(wide), "--image", str(tall), "--max-tokens", "8", "--temperature", "0",
              "--n-ctx", "2048", "--threads", "2"]  # fmt: skip
    streamed = _cli(*common, "Compare these", config=config)
    assert streamed.returncode == 0, streamed.stderr
    assert "Traceback" not in streamed.stderr
    as_json = _cli(*common, "--json", "Compare these", config=config)
    assert as_json.returncode == 0, as_json.stderr
    data = json.loads(as_json.stdout)  # stdout is exactly one JSON object
    for key in ("text", "prompt_tokens", "image_tokens", "cached_tokens", "generated_tokens",
                "ttft_s", "tokens_per_s", "backend", "device"):  # fmt: skip
        assert key in data, key
    assert data["image_tokens"] == [27, 21]  # 3 rows × (8 + 1); 7 rows × (2 + 1)
    assert data["backend"] == "local" and data["device"] == "CPU"
    assert streamed.stdout.strip() == data["text"].strip()


def test_ask_draws_a_seed_per_run_unless_one_is_given(tiny_pair: GgufPair, config: Path) -> None:
    common = ["ask", "--model", str(tiny_pair.model), "--mmproj", str(tiny_pair.mmproj),
              "--max-tokens", "6", "--temperature", "0.8", "--n-ctx", "1024", "--threads", "2",
              "--json"]  # fmt: skip

    def run(*extra: str) -> dict:
        done = _cli(*common, *extra, "Tell me something", config=config)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    drawn = [run()["seed"] for _ in range(2)]
    assert drawn[0] != drawn[1] and all(0 <= seed < 2**31 for seed in drawn)
    fixed = [run("--seed", "5") for _ in range(2)]
    assert fixed[0]["seed"] == fixed[1]["seed"] == 5
    assert fixed[0]["text"] == fixed[1]["text"]


def test_tokens_prints_local_and_billed_costs(image_file, config: Path, capsys) -> None:
    big = image_file(2048, 1536, "photo.png")
    assert main(["--config", str(config), "tokens", str(big), "--json"]) == 0
    row = json.loads(capsys.readouterr().out)["images"][0]
    assert row["prepared_size"] == [1024, 768]
    assert row["local_tokens"] == 48 * 65 == row["api_billed_tokens"]
    assert main(["--config", str(config), "tokens", str(big), "--detail", "low"]) == 0
    table = capsys.readouterr().out
    assert "256×192" in table and "photo.png" in table


def _png_header_only(path: Path, width: int, height: int) -> Path:
    """A PNG whose header claims ``width × height`` pixels, with no pixel data behind it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b""))
    return path


@pytest.fixture
def bad_inputs(tmp_path: Path, tiny_pair: GgufPair) -> dict[str, tuple[list[str], str]]:
    """Each bad input: the extra arguments and a phrase the one-line message must contain."""
    empty = tmp_path / "empty.gguf"
    empty.write_bytes(b"")
    not_gguf = tmp_path / "notes.gguf"
    not_gguf.write_text("these are my notes, not a model")
    truncated = tmp_path / "truncated.gguf"
    truncated.write_bytes(tiny_pair.model.read_bytes()[: tiny_pair.model.stat().st_size // 2])
    wide_proj = write_pixtral_pair(tmp_path / "wide", projection_dim=96).mmproj
    llava_proj = write_pixtral_pair(tmp_path / "llava", projector_type="mlp").mmproj
    text_file = tmp_path / "readme.txt"
    text_file.write_text("hello")
    svg = tmp_path / "drawing.svg"
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')
    broken_png = tmp_path / "broken.png"
    broken_png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)
    bomb = _png_header_only(tmp_path / "bomb.png", 20_000, 20_000)
    album = tmp_path / "album"
    album.mkdir()
    for n in range(MAX_QUESTION_IMAGES + 1):  # empty: refused by count before any is decoded
        (album / f"{n:04}.png").touch()
    good = ["--model", str(tiny_pair.model), "--mmproj", str(tiny_pair.mmproj)]
    model_only = ["--model", str(tiny_pair.model)]
    return {
        "missing model": (["--model", str(tmp_path / "nope.gguf")], "does not exist"),
        "empty model": (["--model", str(empty)], "empty (0 bytes)"),
        "not gguf": (["--model", str(not_gguf)], "GGUF signature"),
        "truncated": (["--model", str(truncated)], "truncated"),
        "mmproj given as model": (["--model", str(tiny_pair.mmproj)], "not the text model"),
        "model given as mmproj": (
            [*model_only, "--mmproj", str(tiny_pair.model)],
            "not a vision projector",
        ),
        "projection mismatch": ([*model_only, "--mmproj", str(wide_proj)], "not a pair"),
        "other projector": ([*model_only, "--mmproj", str(llava_proj)], "not for Pixtral"),
        "missing image": ([*good, "--image", str(tmp_path / "gone.png")], "does not exist"),
        "non-image": ([*good, "--image", str(text_file)], "not an image"),
        "unsupported format": ([*good, "--image", str(svg)], "not an image"),
        "broken image": ([*good, "--image", str(broken_png)], "broken.png"),
        "decompression bomb": ([*good, "--image", str(bomb)], "100 megapixels"),
        "folder as image": ([*good, "--image", str(tmp_path)], "is a folder"),
        "no model at all": ([], "No model given"),
        "context too large": ([*good, "--n-ctx", "200000"], "between 0 and 131,072"),
        "chat id past SQLite's": ([*good, "--chat", "9" * 30], "is not a chat id"),
        "chat id 0": ([*good, "--chat", "0"], "is not a chat id"),
        "pages 0": ([*good, "--pages", "0", "--pdf", str(text_file)], "pages count from 1"),
        "pages backwards": ([*good, "--pages", "5-2", "--pdf", str(text_file)], "'5-2'"),
        "pages empty": ([*good, "--pages", "", "--pdf", str(text_file)], "names no page"),
        "pages without a PDF": ([*good, "--pages", "1"], "name the PDF with --pdf"),
        "--as without a PDF": ([*good, "--as", "images"], "name the PDF with --pdf"),
        "too many images": ([*good, "--image", str(album / "*.png")], "at most 1,000"),
    }


def test_every_bad_input_gets_one_clear_line_and_a_nonzero_exit(
    bad_inputs, config: Path, capsys
) -> None:
    for label, (extra, phrase) in bad_inputs.items():
        code = main(["--config", str(config), "ask", *extra, "hello"])
        err = capsys.readouterr().err
        assert code == EXIT_BAD_INPUT, label
        assert phrase in err, f"{label}: {err!r}"
        assert "Traceback" not in err
        assert len(err.strip().splitlines()) == 1, f"{label}: {err!r}"


def test_images_sent_to_a_text_only_model_are_refused(
    tiny_pair: GgufPair, image_file, config: Path
) -> None:
    picture = image_file(32, 32)
    result = _cli(
        "ask",
        "--model",
        str(tiny_pair.model),
        "--image",
        str(picture),
        "--n-ctx",
        "1024",
        "look",
        config=config,
    )
    assert result.returncode == EXIT_BAD_INPUT
    assert "mmproj" in result.stderr and "Traceback" not in result.stderr


def test_an_unreadable_image_is_refused(image_file, config: Path, capsys, monkeypatch) -> None:
    picture = image_file(16, 16)
    if os.geteuid() == 0:  # root reads files whatever their mode: make the open fail as it would
        import PIL.Image

        def deny(*_args: object, **_kwargs: object) -> None:
            raise PermissionError(13, "Permission denied")

        monkeypatch.setattr(PIL.Image, "open", deny)
    else:
        picture.chmod(0)
    assert main(["--config", str(config), "tokens", str(picture)]) == EXIT_BAD_INPUT
    assert "permission denied" in capsys.readouterr().err


def test_version(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert "pixtral-desk" in capsys.readouterr().out


def test_ask_on_la_plateforme_uses_the_same_command(image_file, config: Path) -> None:
    from tests.engine.fake_servers import FakeChatServer

    picture = image_file(64, 32, "shot.png")
    with FakeChatServer("mistral") as server:
        env_key = {"MISTRAL_API_KEY": "test-key-123"}
        result = subprocess.run(
            [sys.executable, "-m", "app", "ask", "--backend", "mistral",
             "--mistral-server-url", server.url, "--image", str(picture), "--json", "Hi"],
            cwd=ROOT, env={**os.environ, **env_key, "PIXTRAL_DESK_CONFIG": str(config)},
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        data = json.loads(result.stdout)
        assert data["backend"] == "mistral" and data["text"]
        body = server.chat_requests()[-1]
        assert body["stream"] is True
        content = body["messages"][-1]["content"]
        assert any(c.get("type") == "image_url" for c in content)


def test_ask_on_an_openai_compatible_server(config: Path) -> None:
    from tests.engine.fake_servers import FakeChatServer

    with FakeChatServer("openai") as server:
        result = subprocess.run(
            [sys.executable, "-m", "app", "ask", "--backend", "openai", "--openai-base-url",
             f"{server.url}/v1", "--openai-model", "pixtral", "--json", "Hi"],
            cwd=ROOT, env={**os.environ, "PIXTRAL_DESK_CONFIG": str(config)},
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        data = json.loads(result.stdout)
        assert data["backend"] == "openai" and data["device"].startswith("127.0.0.1")


def test_la_plateforme_without_a_key_is_one_clear_line(config: Path, monkeypatch, capsys) -> None:
    import keyring
    from keyring.backends.fail import Keyring as NoKeyring

    monkeypatch.delenv("MISTRAL_API_KEY", raising=False)
    previous = keyring.get_keyring()
    keyring.set_keyring(NoKeyring())
    try:
        code = main(["--config", str(config), "ask", "--backend", "mistral", "hello"])
    finally:
        keyring.set_keyring(previous)
    assert code == EXIT_BAD_INPUT
    assert "No La Plateforme API key" in capsys.readouterr().err
