"""A server that echoes the API key back: the key reaches no file on disk.

The key here has no recognisable shape (not ``sk-…``, not 32 letters), so only the backends
remembering it for ``app.core.secrets.redact`` keeps it out. Each server answer quotes it; the
error goes where the app puts it — the history (``finish_reply``, as ``ChatSession`` does), its
exports, the log, a crash report — and then every file under the test's folder is searched for
the key's bytes.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest

from app.core.conversation import Message, MessageStatus, Role, TextPart
from app.core.secrets import forget_secrets, remember_secret
from app.crash_report import write_report
from app.engine.base import EngineError, ErrorKind, Finished, GenerationRequest, Token
from app.engine.chat_payload import Payload
from app.engine.mistral_api import Mistral, MistralBackend, RemoteError
from app.engine.openai_compat import OpenAICompatBackend
from app.engine.remote_common import Chunk, RemoteTurn
from app.logs import setup_logging
from app.storage.export import export_json, export_markdown
from app.storage.history import HistoryStore
from tests.engine.fake_servers import FakeChatServer, Reply

KEY = "pd-live.7Qx_3kz9w"

ECHOES = [
    Reply(status=400, body={"error": f"invalid header Authorization: Bearer {KEY}"}),
    Reply(status=401, body={"message": f"unknown api key {KEY}"}),
    Reply(status=418, body={"detail": {"headers": {"authorization": KEY}}}),
    Reply(status=422, body={"detail": [{"msg": f"key {KEY} is not valid for this model"}]}),
]


@pytest.fixture
def root(tmp_path: Path) -> Iterator[Path]:
    forget_secrets()  # the backends must remember the key themselves
    handlers = list(logging.getLogger().handlers)
    yield tmp_path
    for handler in logging.getLogger().handlers:
        if handler not in handlers:
            logging.getLogger().removeHandler(handler)
            handler.close()
    forget_secrets()


def on_disk(root: Path, needle: str) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and needle.encode() in p.read_bytes()]


@pytest.mark.parametrize("flavour", ["openai", "mistral"])
def test_an_echoed_key_is_in_no_file(root: Path, flavour: str):
    setup_logging(root / "logs")
    log = logging.getLogger("pixtral-desk.test")
    store = HistoryStore.open(root / "data")
    with FakeChatServer(flavour) as srv:
        if flavour == "openai":
            backend = OpenAICompatBackend(srv.url + "/v1", "m", KEY, max_retries=0)
        else:
            backend = MistralBackend(lambda: KEY, "pixtral-large-latest", server_url=srv.url)
        conversation = store.create_conversation(title="echo")
        errors: list[EngineError] = []
        for echo in ECHOES:
            srv.script(echo)
            (error,) = list(backend.generate(GenerationRequest([Message.user("hi")])))
            assert isinstance(error, EngineError)
            errors.append(error)
            store.add_message(conversation, Role.USER, [TextPart("hi")])
            reply = store.start_reply(conversation, backend=flavour)
            store.finish_reply(reply, MessageStatus.FAILED, error=error.message)
            # What a caller might log: the message, the detail, and the server's raw body.
            log.warning("turn failed: %s (%s); body %s", error.message, error.detail, echo.body)
            write_report(root / "logs", RuntimeError, RuntimeError(json.dumps(echo.body)), None)
        srv.script(ECHOES[0])
        with pytest.raises(RemoteError) as listing:
            backend.list_models()
        backend.close()
    assert srv.requests[0].headers["authorization"] == f"Bearer {KEY}"  # it was sent
    assert "Authorization: Bearer [REDACTED]" in errors[0].message  # and is shown redacted
    assert all(KEY not in e.message + e.detail for e in [*errors, listing.value.error])
    export_json(store, conversation, root / "exports")
    export_markdown(store, conversation, root / "exports")
    store.close()
    for handler in logging.getLogger().handlers:
        handler.flush()
    assert len(list((root / "logs").glob("crash-*.txt"))) == len(ECHOES)
    assert (root / "logs" / "pixtral-desk.log").stat().st_size > 0
    assert on_disk(root, "invalid header Authorization")  # the texts are there…
    assert on_disk(root, KEY) == []  # …without the key


def test_an_unforeseen_stream_failure_is_a_redacted_turn_error(root: Path):
    """An SDK surprise (not an HTTP or network failure) used to escape ``generate`` as an
    exception, whose text the window stored as is; now it is a turn error built (and redacted)
    by ``remote_errors``, keeping what had streamed."""
    remember_secret(KEY)

    @contextmanager
    def stream() -> Iterator[Iterator[Chunk]]:
        yield iter([Chunk("partial ")])
        raise ValueError(f"cannot validate the echo of {KEY}")

    turn = RemoteTurn(
        service="Svc",
        backend="openai",
        device="Svc",
        n_ctx=0,
        cancelled=threading.Event(),
        notify=lambda _text: None,
        classify=lambda exc: exc if isinstance(exc, Exception) else RuntimeError(repr(exc)),
    )
    events = list(turn.run(Payload(messages=[]), stream))
    error = events[-1]
    assert isinstance(error, EngineError) and error.kind is ErrorKind.INTERNAL
    assert error.text == "partial " and "cannot validate the echo" in error.message
    assert KEY not in error.message + error.detail


# Pieces and encodings of the key: a server quoting part of it, or its header in base64.

PIECE_KEY = "pd/live+7Qx=3kz9w!"  # no shape; "/+=!" make its URL and base64 forms differ


def echoed_forms(key: str) -> dict[str, str]:
    """How a server may hand the key back, each long enough to matter."""
    return {
        "piece": key[2:13],
        "url": quote(key, safe=""),
        "base64": base64.b64encode(key.encode()).decode(),
        "basic": base64.b64encode(f"me:{key}".encode()).decode(),
        "basic piece": base64.b64encode(f"me:{key}".encode()).decode()[6:20],
    }


def leaked(text: str, key: str) -> list[str]:
    """The 8-character pieces of any echoed form of ``key`` found in ``text``."""
    found = []
    for form in echoed_forms(key).values():
        found += [form[i : i + 8] for i in range(len(form) - 7) if form[i : i + 8] in text]
    return found


def leaked_on_disk(root: Path, key: str) -> list[str]:
    return [
        f"{p.name}: {piece}"
        for p in root.rglob("*")
        if p.is_file()
        for piece in leaked(p.read_bytes().decode("utf-8", "replace"), key)
    ]


def piece_echoes(key: str) -> list[Reply]:
    forms = echoed_forms(key)
    return [
        Reply(status=401, body={"message": f"no key ending {forms['piece']}… on file"}),
        Reply(status=403, body={"detail": f"forbidden: {forms['url']}"}),
        Reply(status=400, body={"error": {"header": f"Basic {forms['basic']}"}}),
        Reply(status=418, body={"seen": [forms["base64"], forms["basic piece"]]}),
        # Streamed: the key cut across chunks, and a turn failing mid-stream after a piece.
        Reply(tokens=("Your key is ", key[:3], key[3:9], key[9:], ", or ", forms["url"][:9])),
        Reply(tokens=("Echo: ", key[1:5], key[5:12], "...", "more"), cut_after=4),
    ]


@pytest.mark.parametrize("flavour", ["openai", "mistral"])
def test_pieces_of_an_echoed_key_reach_no_sink(root: Path, flavour: str):
    """Window (tokens, error message), history, log file, crash reports and exports: none holds
    8 characters of the key, URL-encoded or base64 (alone or as ``me:key`` Basic auth) in a row."""
    setup_logging(root / "logs")
    log = logging.getLogger("pixtral-desk.test")
    store = HistoryStore.open(root / "data")
    shown: list[str] = []
    with FakeChatServer(flavour) as srv:
        if flavour == "openai":
            backend = OpenAICompatBackend(srv.url + "/v1", "m", PIECE_KEY, max_retries=0)
        else:
            backend = MistralBackend(lambda: PIECE_KEY, "pixtral-large-latest", server_url=srv.url)
        conversation = store.create_conversation(title="echo")
        for echo in piece_echoes(PIECE_KEY):
            srv.script(echo)
            store.add_message(conversation, Role.USER, [TextPart("hi")])
            reply = store.start_reply(conversation, backend=flavour)
            status, error = MessageStatus.COMPLETE, None
            for event in backend.generate(GenerationRequest([Message.user("hi")])):
                if isinstance(event, Token):  # as ChatSession: shown, and streamed to the store
                    shown.append(event.text)
                    store.append_stream(reply, event.text)
                elif isinstance(event, EngineError):
                    status, error = MessageStatus.FAILED, event.message
                    shown.append(event.message)
                    log.warning("turn failed: %s (%s); text %r", error, event.detail, event.text)
                elif isinstance(event, Finished):
                    log.warning("answer: %s", event.text)
            store.finish_reply(reply, status, error=error)
            if echo.body is not None:  # a crash whose message quotes the server's answer
                write_report(root / "logs", RuntimeError, RuntimeError(json.dumps(echo.body)), None)
        backend.close()
    assert "Your key is [REDACTED], or [REDACTED]" in "".join(shown)
    assert "Echo: [REDACTED]..." in "".join(shown)
    assert leaked("\n".join(shown), PIECE_KEY) == []
    export_json(store, conversation, root / "exports")
    export_markdown(store, conversation, root / "exports")
    store.close()
    for handler in logging.getLogger().handlers:
        handler.flush()
    assert on_disk(root, "Your key is")  # the texts are there…
    assert leaked_on_disk(root, PIECE_KEY) == []  # …without the key


def test_a_logged_sdk_error_holds_no_piece_of_the_key(root: Path):
    """The real ``mistralai`` SDK's 401 error, logged as code would log it: the exception with
    its traceback, its repr, its body and the request's headers."""
    setup_logging(root / "logs")
    log = logging.getLogger("pixtral-desk.test")
    forms = echoed_forms(PIECE_KEY)
    with FakeChatServer("mistral") as srv:
        backend = MistralBackend(lambda: PIECE_KEY, "pixtral-large-latest", server_url=srv.url)
        srv.script(Reply(status=401, body={"message": f"bad key {forms['piece']}", **forms}))
        list(backend.generate(GenerationRequest([Message.user("hi")])))  # remembers the key
        srv.script(Reply(status=401, body={"message": f"bad key {forms['piece']}", **forms}))
        client = Mistral(api_key=PIECE_KEY, server_url=srv.url)
        with pytest.raises(Exception) as failure:
            client.chat.complete(model="m", messages=[{"role": "user", "content": "hi"}])
        exc = failure.value
        assert leaked(str(exc), PIECE_KEY)  # the SDK's own text does carry it
        try:
            raise RuntimeError("chat failed") from exc
        except RuntimeError:
            log.exception("SDK call failed: %r", exc)
        response = getattr(exc, "raw_response", None)
        request = getattr(response, "request", None)
        log.error("body %s headers %s", getattr(exc, "body", ""), dict(request.headers))
        backend.close()
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = (root / "logs" / "pixtral-desk.log").read_text(encoding="utf-8")
    assert "SDK call failed" in text and "Traceback" in text
    assert leaked(text, PIECE_KEY) == []


def test_a_password_in_the_server_url_is_a_key_too(root: Path):
    """``http://me:password@host/v1``: httpx sends it as Basic auth. It stays out of the host
    the window shows, and a server echoing the header (or its base64) has it redacted."""
    password = "s3cr/et+pass"
    basic = echoed_forms(password)["basic"]  # base64 of "me:password"
    with FakeChatServer("openai") as srv:
        url = srv.url.replace("http://", f"http://me:{quote(password, safe='')}@") + "/v1"
        srv.script(
            Reply(status=401, body={"message": f"bad credentials Basic {basic}"}),
            Reply(tokens=("you sent ", basic[:10], basic[10:], " and ", password)),
        )
        backend = OpenAICompatBackend(url, "m", None, max_retries=0)
        events = [
            e for _ in range(2) for e in backend.generate(GenerationRequest([Message.user("hi")]))
        ]
        backend.close()
    assert srv.requests[0].headers["authorization"] == f"Basic {basic}"  # it was sent
    shown = [backend.host, *(e.text for e in events if isinstance(e, Token))]
    shown += [f"{e.message} {e.detail}" for e in events if isinstance(e, EngineError)]
    assert backend.host == srv.url.removeprefix("http://")
    # "bWU6" is base64 of "me:": the user's name is no secret.
    assert "you sent bWU6[REDACTED] and [REDACTED]" in "".join(shown)
    assert leaked("\n".join(shown), password) == []
