"""Remote backends: an answer cut at the limit says so, Continue sends it as the reply's start,
and the seed is sent only when there is one. The real SDK and httpx against loopback servers."""

from __future__ import annotations

import pytest

from app.core.conversation import Message
from app.engine.base import Finished, FinishReason, GenerationRequest, Sampling
from app.engine.mistral_api import MistralBackend
from app.engine.openai_compat import OpenAICompatBackend
from app.engine.remote_common import EchoCut
from tests.engine.fake_servers import FakeChatServer, Reply

QUESTION = Message.user("Write the page")
CUT = "<!DOCTYPE html>\n<html><body>\n  "


def _backend(kind: str, server: FakeChatServer) -> MistralBackend | OpenAICompatBackend:
    if kind == "mistral":
        return MistralBackend("sk-test", "pixtral-large-latest", server_url=server.url)
    return OpenAICompatBackend(server.url + "/v1", "pixtral-12b", None)


@pytest.mark.parametrize("kind", ["mistral", "openai"])
@pytest.mark.parametrize("reason", ["length", "model_length"])
def test_every_backend_reports_an_answer_cut_at_the_limit(kind: str, reason: str) -> None:
    with FakeChatServer(kind) as server:
        server.script(Reply(finish_reason=reason))
        finished = list(_backend(kind, server).generate(GenerationRequest([QUESTION])))[-1]
    assert isinstance(finished, Finished) and finished.reason is FinishReason.LENGTH


@pytest.mark.parametrize("kind", ["mistral", "openai"])
def test_continue_sends_the_cut_answer_as_the_start_of_the_reply(kind: str) -> None:
    request = GenerationRequest(
        [QUESTION, Message.assistant(CUT)], sampling=Sampling(seed=9), continue_answer=True
    )
    with FakeChatServer(kind) as server:
        # La Plateforme repeats the prefix before the new text; other servers do not.
        echo = (CUT,) if kind == "mistral" else ()
        server.script(Reply(tokens=(*echo, "<h1>Hi</h1>", "\n</body></html>")))
        finished = list(_backend(kind, server).generate(request))[-1]
        body = server.chat_requests()[0]
    assert finished == Finished(FinishReason.STOP, "<h1>Hi</h1>\n</body></html>")
    last = body["messages"][-1]
    assert last["role"] == "assistant" and last["content"] == CUT  # trailing spaces kept
    assert last.get("prefix") is (True if kind == "mistral" else None)
    assert body["messages"][-2]["role"] == "user"


@pytest.mark.parametrize("kind", ["mistral", "openai"])
def test_the_seed_is_sent_only_when_fixed(kind: str) -> None:
    name = "random_seed" if kind == "mistral" else "seed"
    with FakeChatServer(kind) as server:
        backend = _backend(kind, server)
        list(backend.generate(GenerationRequest([QUESTION], sampling=Sampling(seed=1234))))
        list(backend.generate(GenerationRequest([QUESTION], sampling=Sampling(seed=-1))))
        fixed, drawn = server.chat_requests()
    assert fixed[name] == 1234
    assert name not in drawn


def test_an_echo_is_dropped_only_when_it_is_one() -> None:
    def run(echo: str, chunks: list[str]) -> str:
        cut = EchoCut(echo)
        return "".join(cut.feed(chunk) for chunk in chunks) + cut.flush()

    assert run("Hello wor", ["Hel", "lo w", "orld", "!"]) == "ld!"
    assert run("Hello wor", ["Hello", " there"]) == "Hello there"  # not an echo: all kept
    assert run("Hello wor", ["He"]) == "He"  # the stream ended: nothing is lost
    assert run("", ["ab", "c"]) == "abc"
