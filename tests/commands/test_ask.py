"""``pixtral-desk ask`` as a pipeline stage: stdin, prompt files, PDF pages, schemas, history."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest

from app.cli import EXIT_BAD_INPUT, main
from app.core.conversation import ImagePart, Role, TextPart
from app.core.document_marks import document_header, holds_document, labelled_pages, page_label
from app.storage.history import HistoryStore
from tests.commands.conftest import Run
from tests.workflows.pdf_factory import ScannedPage, TextPage, write_pdf

SCHEMA = {
    "type": "object",
    "properties": {
        "paid": {"type": "boolean"},
        "count": {"type": "integer"},
        "kind": {"enum": ["food", "fuel", "other"]},
    },
    "required": ["paid", "count", "kind"],
    "additionalProperties": False,
}


def _json(done) -> dict:
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return json.loads(done.stdout)


def test_a_prompt_from_stdin_is_the_same_prompt_as_an_argument(cli: Run, local: list[str]) -> None:
    text = "Summarise this contract clause. " * 40
    piped = _json(cli("ask", *local, "--json", "-", input=text))
    given = _json(cli("ask", *local, "--json", text.strip()))
    assert piped["prompt_tokens"] == given["prompt_tokens"] > 200
    assert piped["text"] == given["text"]


def test_a_prompt_file_is_read_and_the_argument_follows_it(
    cli: Run, local: list[str], tmp_path: Path
) -> None:
    material = tmp_path / "notes.txt"
    material.write_text("Meeting notes: the budget is 40k. " * 30, encoding="utf-8")
    both = _json(
        cli("ask", *local, "--json", "--prompt-file", str(material), "What is the budget?")
    )
    alone = _json(cli("ask", *local, "--json", "--prompt-file", str(material)))
    assert both["prompt_tokens"] > alone["prompt_tokens"] > 200
    empty = cli("ask", *local, "-", input="  \n")
    assert empty.returncode == EXIT_BAD_INPUT and "There is no prompt" in empty.stderr
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("caf\xe9".encode("latin-1"))
    refused = cli("ask", *local, "--prompt-file", str(latin1))
    assert refused.returncode == EXIT_BAD_INPUT and "not UTF-8" in refused.stderr


def test_images_by_quoted_glob_and_by_repeated_flag(cli: Run, local: list[str], image_file) -> None:
    for index in range(3):
        image_file(32 + 16 * index, 32, f"scan-{index}.png")
    folder = image_file(8, 8, "other.jpg").parent
    globbed = _json(cli("ask", *local, "--json", "--image", str(folder / "scan-*.png"), "Compare"))
    assert [image["name"] for image in globbed["images"]] == [
        "scan-0.png", "scan-1.png", "scan-2.png"
    ]  # fmt: skip
    nothing = cli("ask", *local, "--image", str(folder / "receipt-*.png"), "Compare")
    assert nothing.returncode == EXIT_BAD_INPUT and "No file matches" in nothing.stderr


@pytest.fixture
def contract(tmp_path: Path) -> Path:
    pages = [TextPage([f"Clause {n}: the tenant pays on day {n}."]) for n in (1, 2)]
    return write_pdf(tmp_path / "lease.pdf", [*pages, ScannedPage(), TextPage(["Signatures"])])


def test_pdf_pages_go_as_the_window_sends_them_and_are_saved_as_a_private_chat(
    cli: Run, local: list[str], contract: Path, tmp_path: Path
) -> None:
    data = tmp_path / "history"
    as_text = _json(
        cli("ask", *local, "--json", "--pdf", str(contract), "--pages", "1,3-4", "--save",
            "--data-dir", str(data), "When is rent due?")
    )  # fmt: skip
    assert len(as_text["image_tokens"]) == 1  # page 3 is a scan: drawn; 1 and 4 go as text
    as_images = _json(
        cli("ask", *local, "--json", "--pdf", str(contract), "--pages", "1-2", "--as", "images",
            "When is rent due?")
    )  # fmt: skip
    assert len(as_images["image_tokens"]) == 2
    both = _json(
        cli("ask", *local, "--json", "--pdf", str(contract), "--pages", "1-2", "--as", "both",
            "When is rent due?")
    )  # fmt: skip
    assert both["image_tokens"] == as_images["image_tokens"]
    assert both["prompt_tokens"] > as_images["prompt_tokens"]  # and the text layers
    with HistoryStore.open(data) as store:
        [info] = store.list_conversations()
        question = store.load(info.id).to_core(store.blobs).messages[0]
    assert info.private and info.sampling == {"answer_limit": 2048}  # as the window keeps it
    assert labelled_pages(question.parts) == [1, 3, 4]
    assert question.parts[0] == TextPart(document_header("lease.pdf", 4, [1, 3, 4]))
    assert question.parts[-1] == TextPart("When is rent due?")
    beyond = cli("ask", *local, "--pdf", str(contract), "--pages", "2-9", "Why?")
    assert beyond.returncode == EXIT_BAD_INPUT and "has 4 pages" in beyond.stderr


def test_a_document_is_refused_for_a_remote_backend_before_anything_is_read(
    contract: Path, tmp_path: Path, capsys
) -> None:
    config = tmp_path / "settings.ini"
    code = main(["--config", str(config), "ask", "--backend", "mistral", "--pdf", str(contract),
                 "Summarise"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == EXIT_BAD_INPUT
    assert "documents stay on this computer" in err and "--backend local" in err
    assert len(err.strip().splitlines()) == 1


def test_a_document_chat_is_not_continued_on_a_remote_backend(tmp_path: Path, capsys) -> None:
    data = tmp_path / "history"
    with HistoryStore.open(data) as store:
        cid = store.create_conversation()
        store.add_message(
            cid, Role.USER, [TextPart(document_header("a.pdf", 1, [1])),
                             TextPart(page_label("a.pdf", 1) + "secret"), TextPart("Sum up")],
        )  # fmt: skip
        store.add_message(cid, Role.ASSISTANT, [TextPart("It is secret.")])
    code = main(["--config", str(tmp_path / "s.ini"), "ask", "--backend", "mistral", "--chat",
                 str(cid), "--data-dir", str(data), "And then?"])  # fmt: skip
    assert code == EXIT_BAD_INPUT
    assert "private" in capsys.readouterr().err


def test_save_then_chat_continues_the_conversation_with_its_image(
    cli: Run, local: list[str], image_file, tmp_path: Path
) -> None:
    data = tmp_path / "history"
    photo = image_file(64, 48, "photo.png")
    first = cli("ask", *local, "--json", "--save", "--data-dir", str(data), "--image", str(photo),
                "--system", "Answer in French.", "What is this?")  # fmt: skip
    saved = _json(first)
    cid = int(re.search(r"saved in chat (\d+)", first.stderr).group(1))
    second = cli("ask", *local, "--json", "--chat", str(cid), "--data-dir", str(data), "And now?")
    followed = _json(second)
    assert followed["image_tokens"] == saved["image_tokens"]  # the chat's image is read again
    assert followed["prompt_tokens"] > saved["prompt_tokens"] + saved["generated_tokens"]
    with HistoryStore.open(data) as store:
        loaded = store.load(cid)
        messages = loaded.to_core(store.blobs).messages
    assert loaded.info.system_prompt == "Answer in French."
    assert [m.role for m in messages] == [Role.USER, Role.ASSISTANT] * 2
    assert isinstance(messages[0].parts[0], ImagePart)
    assert messages[1].text == saved["text"] and messages[3].text == followed["text"]
    assert messages[2].text == "And now?"
    assert not holds_document(messages)
    assert loaded.messages[3].usage["seed"] == followed["seed"]
    missing = cli("ask", *local, "--chat", "999", "--data-dir", str(data), "Hi")
    assert missing.returncode == EXIT_BAD_INPUT and "999" in missing.stderr


def test_a_schema_constrains_the_local_answer_to_valid_json(
    cli: Run, local: list[str], tmp_path: Path
) -> None:
    schema = tmp_path / "receipt.schema.json"
    schema.write_text(json.dumps(SCHEMA))
    flags = [*local, "--max-tokens", "200", "--json", "--json-schema", str(schema)]
    for seed in ("1", "2", "3"):
        data = _json(cli("ask", *flags, "--temperature", "1", "--seed", seed, "Receipt to JSON"))
        assert data["finish_reason"] == "stop", data
        jsonschema.validate(json.loads(data["text"]), SCHEMA)
        assert data["json"] == json.loads(data["text"])
    broken = tmp_path / "broken.json"
    broken.write_text('{"type": "object",')
    refused = cli("ask", *local, "--json-schema", str(broken), "Hi")
    assert refused.returncode == EXIT_BAD_INPUT and "not valid JSON" in refused.stderr
    odd = tmp_path / "odd.json"
    odd.write_text('{"type": "no-such-type"}')
    refused = cli("ask", *local, "--json-schema", str(odd), "Hi")
    assert refused.returncode == EXIT_BAD_INPUT and "grammar" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_la_plateforme_gets_the_schema_as_its_json_schema_mode(cli: Run, tmp_path: Path) -> None:
    from tests.engine.fake_servers import FakeChatServer, Reply

    schema = tmp_path / "s.json"
    schema.write_text(json.dumps(SCHEMA))
    with FakeChatServer("mistral") as server:
        server.script(Reply(tokens=('{"paid": true, ', '"count": 2, "kind": "fuel"}')))
        done = cli("ask", "--backend", "mistral", "--mistral-server-url", server.url, "--json",
                   "--json-schema", str(schema), "Receipt to JSON",
                   env={"MISTRAL_API_KEY": "test-key-123"})  # fmt: skip
        data = _json(done)
        body = server.chat_requests()[-1]
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "answer", "schema": SCHEMA, "strict": True},
    }
    assert data["json"] == {"paid": True, "count": 2, "kind": "fuel"}


def test_an_openai_compatible_server_refuses_a_schema_in_one_line(tmp_path: Path, capsys) -> None:
    schema = tmp_path / "s.json"
    schema.write_text(json.dumps(SCHEMA))
    code = main(["--config", str(tmp_path / "s.ini"), "ask", "--backend", "openai",
                 "--json-schema", str(schema), "Hi"])  # fmt: skip
    assert code == EXIT_BAD_INPUT
    assert "--json-schema needs the local model or La Plateforme" in capsys.readouterr().err


def test_a_continued_chat_is_asked_with_its_own_settings_unless_a_flag_sets_one(
    cli: Run, local: list[str], contract: Path, tmp_path: Path
) -> None:
    data = tmp_path / "history"
    first = cli("ask", *local, "--json", "--save", "--data-dir", str(data), "Hello?")
    _json(first)
    cid = int(re.search(r"saved in chat (\d+)", first.stderr).group(1))
    with HistoryStore.open(data) as store:  # the chat's own settings, as the window keeps them
        store.update_conversation(cid, sampling={"seed": 4242, "max_tokens": 2})
    unset = [flag for i, flag in enumerate(local) if "--max-tokens" not in local[i - 1 : i + 1]]
    asked = _json(cli("ask", *unset, "--json", "--chat", str(cid), "--data-dir", str(data), "Hi"))
    assert (asked["seed"], asked["generated_tokens"], asked["finish_reason"]) == (4242, 2, "length")
    flagged = _json(
        cli("ask", *local, "--seed", "7", "--json", "--chat", str(cid), "--data-dir", str(data),
            "Hi")
    )  # fmt: skip
    assert (flagged["seed"], flagged["generated_tokens"]) == (7, 8)  # a flag given wins
    # A document question keeps the answer limit with the chat, as the window does.
    _json(cli("ask", *local, "--json", "--chat", str(cid), "--data-dir", str(data), "--pdf",
              str(contract), "--pages", "1", "When is rent due?"))  # fmt: skip
    with HistoryStore.open(data) as store:
        kept = store.load(cid).info.sampling
    assert kept == {"seed": 4242, "max_tokens": 2, "answer_limit": 2048}
