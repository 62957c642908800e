"""``pixtral-desk batch``: a JSON line per input, past bad files, Ctrl-C and ``--resume``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import pytest

from app.commands.exit_codes import EXIT_INTERRUPTED, EXIT_SOME_FAILED
from app.commands.inputs import PageMode
from app.core.conversation import ImagePart, TextPart
from app.core.images import Detail, prepare_image
from app.core.prompt import ImagePiece, TextPiece, build_prompt
from tests.commands.conftest import ROOT, Run
from tests.commands.test_ask import SCHEMA
from tests.workflows.pdf_factory import ScannedPage, TextPage, write_pdf

INSTRUCTIONS = "Extract the merchant, date and total of this receipt as JSON. " * 3


def _lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.fixture
def scans(image_file) -> list[Path]:
    return [image_file(40 + 8 * i, 32, f"scan-{i:02}.png", (20 * i, 90, 200)) for i in range(4)]


def test_each_input_gets_a_line_and_a_broken_file_in_the_middle_does_not_stop_the_run(
    cli: Run, local: list[str], scans: list[Path], tmp_path: Path
) -> None:
    broken = tmp_path / "scan-01b.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)
    pdf = write_pdf(tmp_path / "bill.pdf", [TextPage(["Total 12.50"]), ScannedPage()])
    inputs = [str(scans[0]), str(scans[1]), str(broken), str(tmp_path / "scan-0[23].png"), str(pdf)]
    done = cli("batch", *local, "--each", *inputs, "--prompt", INSTRUCTIONS,
               "--system", "You read receipts.")  # fmt: skip
    assert done.returncode == EXIT_SOME_FAILED, done.stderr
    assert "Traceback" not in done.stderr
    lines = _lines(done.stdout)
    assert [line["input"] for line in lines] == [
        str(scans[0]), str(scans[1]), str(broken), str(scans[2]), str(scans[3]),
        f"{pdf}#page=1", f"{pdf}#page=2",
    ]  # fmt: skip
    bad = lines[2]
    assert bad["error"]["kind"] == "bad_input" and "scan-01b.png" in bad["error"]["message"]
    good = [line for line in lines if line["error"] is None]
    assert len(good) == 6 and all(isinstance(line["answer"], str) for line in good)
    for line in good:
        assert set(line["tokens"]) == {"prompt", "cached", "evaluated", "images", "generated"}
        assert line["timings"]["total_s"] >= line["timings"]["prefill_s"] > 0
    # The system prompt and the instructions come before each image: read once, then reused.
    first, *rest = [line["tokens"] for line in good[:4]]
    assert first["cached"] == 0
    for tokens in rest:
        assert tokens["cached"] > len(INSTRUCTIONS) // 2  # byte-level tokens: ≥ 1 per 2 chars
        assert tokens["evaluated"] == tokens["prompt"] - tokens["cached"]
        assert tokens["evaluated"] < first["evaluated"]
    assert "1 failed" in done.stderr and "6 answered" in done.stderr
    assert "[####################] 7/7" in done.stderr  # stdout is a pipe: progress on stderr


def test_the_shared_text_stands_before_the_image_in_the_prompt(image_file) -> None:
    from app.commands.batch import item_message

    image = prepare_image(image_file(32, 32), Detail.LOW)
    message = item_message("Receipt to JSON", [ImagePart(image)], "a.png")
    pieces = build_prompt([message], "You read receipts.")
    kinds = [type(piece) for piece in pieces[2:5]]
    assert kinds == [TextPiece, TextPiece, ImagePiece]
    assert pieces[3] == TextPiece("Receipt to JSON")
    assert message.parts[-1] == TextPart("Input: a.png")


def test_ctrl_c_stops_after_the_current_input_and_resume_does_the_rest(
    local: list[str], image_file, tmp_path: Path
) -> None:
    # 12 inputs of 150 tokens: even at the tiny model's ~4,500 tokens/s the run lasts 0.4 s
    # after the first line, 20 times the poll and the signal's delivery.
    images = [image_file(48, 32, f"r{i:02}.png", (10 * i, 30, 60)) for i in range(12)]
    out = tmp_path / "answers.jsonl"
    argv = [sys.executable, "-m", "app", "batch", *local, "--max-tokens", "150",
            "--each", *map(str, images), "--prompt", "Describe", "-o", str(out)]  # fmt: skip
    env = {**os.environ, "PIXTRAL_DESK_CONFIG": str(tmp_path / "settings.ini")}
    process = subprocess.Popen(argv, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (out.exists() and out.read_text().count("\n") >= 1):
        assert process.poll() is None and time.monotonic() < deadline, "no first answer"
        time.sleep(0.01)
    process.send_signal(signal.SIGINT)
    _out, err = process.communicate(timeout=120)
    assert process.returncode == EXIT_INTERRUPTED, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert "stopping after this input" in err and "--resume" in err
    stopped = _lines(out.read_text())
    assert 1 <= len(stopped) < len(images)
    assert all(line["error"] is None for line in stopped)
    again = subprocess.run([*argv, "--resume"], cwd=ROOT, env=env, capture_output=True,
                           text=True, timeout=180)  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert f"{len(stopped)} skipped" in again.stderr
    lines = _lines(out.read_text())
    assert sorted(line["input"] for line in lines) == sorted(map(str, images))
    refused = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "already holds answers" in refused.stderr


def test_resume_skips_answered_inputs_and_retries_failed_and_torn_ones(
    cli: Run, local: list[str], scans: list[Path], tmp_path: Path
) -> None:
    out = tmp_path / "out.jsonl"
    answered = {"input": str(scans[0]), "answer": "kept", "error": None}
    failed = {"input": str(scans[1]), "answer": None, "error": {"kind": "crash", "message": "x"}}
    torn = json.dumps({"input": str(scans[2]), "answer": "half", "error": None})[:20]
    out.write_text(json.dumps(answered) + "\n" + json.dumps(failed) + "\n" + torn)
    done = cli("batch", *local, "--each", *map(str, scans[:3]), "--prompt", "Describe",
               "-o", str(out), "--resume")  # fmt: skip
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    assert text.splitlines()[2] == torn  # the torn line is closed, not written onto
    new = _lines("\n".join(text.splitlines()[3:]))
    assert [line["input"] for line in new] == [str(scans[1]), str(scans[2])]
    assert text.startswith(json.dumps(answered))


def test_each_line_holds_the_parsed_object_under_a_schema(
    cli: Run, local: list[str], scans: list[Path], tmp_path: Path
) -> None:
    schema = tmp_path / "receipt.schema.json"
    schema.write_text(json.dumps(SCHEMA))
    done = cli("batch", *local, "--max-tokens", "200", "--temperature", "1", "--each",
               *map(str, scans), "--prompt", "Receipt to JSON",
               "--json-schema", str(schema))  # fmt: skip
    assert done.returncode == 0, done.stderr
    for line in _lines(done.stdout):
        assert line["error"] is None and line["finish_reason"] == "stop"
        jsonschema.validate(line["answer"], SCHEMA)


def test_a_preset_brings_its_prompt_detail_and_schema(
    cli: Run, local: list[str], scans: list[Path]
) -> None:
    done = cli("batch", *local, "--max-tokens", "400", "--each", str(scans[0]),
               "--prompt", "receipt_json")  # fmt: skip
    [line] = _lines(done.stdout)
    if line["error"] is None:  # the tiny model may run out of tokens inside a string
        assert isinstance(line["answer"], dict)
        assert set(line["answer"]) == {
            "merchant", "date", "currency", "total", "tax", "line_items"
        }  # fmt: skip
    else:
        assert (
            line["error"]["kind"] == "invalid_json" and "--max-tokens" in line["error"]["message"]
        )
    assert line["tokens"]["prompt"] > 150  # the preset's instructions, not the word


def test_pdf_pages_in_a_batch_are_refused_for_a_remote_backend(cli: Run, tmp_path: Path) -> None:
    pdf = write_pdf(tmp_path / "private.pdf", [TextPage(["salary 1"])])
    done = cli("batch", "--backend", "mistral", "--each", str(pdf), "--prompt", "Sum up",
               env={"MISTRAL_API_KEY": "test-key-123"})  # fmt: skip
    assert done.returncode == 2 and "documents stay on this computer" in done.stderr
    assert done.stdout == ""


def test_page_modes_are_the_documented_ones() -> None:
    assert [mode.value for mode in PageMode] == ["text", "images", "both"]


def test_without_a_model_the_run_stops_before_the_output_file_is_made(
    scans: list[Path], tmp_path: Path, capsys
) -> None:
    from app.cli import main

    out = tmp_path / "out.jsonl"
    code = main(["--config", str(tmp_path / "s.ini"), "batch", "--each", str(scans[0]),
                 "--prompt", "Describe", "-o", str(out)])  # fmt: skip
    assert code == 2 and "No model given" in capsys.readouterr().err
    assert not out.exists()


def test_no_progress_bar_when_the_lines_go_to_the_terminal(
    local: list[str], scans: list[Path], tmp_path: Path
) -> None:
    leader, follower = os.openpty()  # stdout is a terminal: the lines are the progress
    try:
        done = subprocess.run(
            [sys.executable, "-m", "app", "batch", *local, "--each", *map(str, scans[:2]),
             "--prompt", "Describe"],
            cwd=ROOT, env={**os.environ, "PIXTRAL_DESK_CONFIG": str(tmp_path / "s.ini")},
            stdout=follower, stderr=subprocess.PIPE, text=True, timeout=180,
        )  # fmt: skip
    finally:
        os.close(follower)
        os.close(leader)
    assert done.returncode == 0, done.stderr
    assert "[####" not in done.stderr and "2 answered" in done.stderr


def test_a_bad_page_list_or_an_output_folder_is_refused_before_any_input(
    tmp_path: Path, capsys
) -> None:
    from app.cli import main

    pdfs = [write_pdf(tmp_path / f"{n}.pdf", [TextPage(["Total: 12.50"])]) for n in "ab"]
    base = ["--config", str(tmp_path / "s.ini"), "batch", "--prompt", "Total?", "--each"]
    for extra, phrase in [
        (["--pages", "0"], "'0' is not a page range"),
        (["--pages", "3-1"], "'3-1' is not a page range"),
        (["-o", str(tmp_path)], "is a folder; --output names the file"),
    ]:
        code = main([*base, *map(str, pdfs), *extra, "--model", str(tmp_path / "m.gguf")])
        out, err = capsys.readouterr()
        assert code == 2 and phrase in err, err  # said once, not once per PDF
        assert len(err.strip().splitlines()) == 1 and out == "", err
