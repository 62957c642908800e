"""Any OpenAI-compatible chat server (vLLM, llama-server, Ollama, LM Studio) over plain HTTP.

The path for users who outgrow one machine: Pixtral served elsewhere, reached by base URL,
optional key and model name. We speak the chat-completions SSE wire format with httpx ourselves
instead of pulling in the ``openai`` package — the format is small and stable, and the same
``remote_common`` loop gives identical events, cancel and error messages to La Plateforme.
httpx here is ``httpx2``, the one the ``mistralai`` SDK already brings in; the client comes from
``reply_limits`` so no reply can grow without bound, and the stream is parsed defensively by
``openai_events`` (servers differ in the details).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any
from urllib.parse import unquote, urlsplit

from app.core.secrets import remember_secret
from app.engine.base import EngineError, EngineEvent, GenerationRequest
from app.engine.chat_payload import continued_text, payload_or_error, sampling_args
from app.engine.openai_events import openai_chunks
from app.engine.remote_common import Chunk, Notices, NoticeSink, RemoteTurn
from app.engine.remote_errors import (
    MALFORMED,
    HttpFailure,
    NetworkFailure,
    RemoteError,
    http_error,
    network_error,
    unexpected_error,
)
from app.engine.reply_limits import (
    DEFAULT_LIMITS,
    ReplyLimits,
    capped_client,
    listed_model_ids,
)

try:
    import httpx2 as httpx
except ImportError:  # pragma: no cover - environments with plain httpx
    import httpx  # type: ignore[no-redef]


def server_host(base_url: str) -> str:
    """What the UI shows as "where this runs": the host (and port) of the server, without the
    ``user:password@`` a URL may carry (httpx sends those as Basic auth)."""
    parts = urlsplit(base_url)
    return parts.netloc.rpartition("@")[2] or base_url


def classify(exc: BaseException) -> Exception:
    if isinstance(exc, HttpFailure | NetworkFailure):
        return exc
    if isinstance(exc, httpx.TimeoutException):
        return NetworkFailure("timeout", repr(exc))
    if isinstance(exc, httpx.ConnectError):
        return NetworkFailure("offline", repr(exc))
    if isinstance(exc, httpx.TransportError):
        return NetworkFailure("cut", repr(exc))
    return exc if isinstance(exc, Exception) else RuntimeError(repr(exc))


class OpenAICompatBackend(Notices):
    """The ``Backend`` protocol on an OpenAI-compatible server.

    ``base_url`` is the API root including ``/v1`` (``http://gpu-box:8000/v1``). Image limits
    default to none because local servers differ; pass La Plateforme's to be conservative.
    """

    name = "openai"

    def __init__(
        self,
        base_url: str,
        model: str = "",
        api_key: str | Callable[[], str | None] | None = None,
        *,
        timeout_s: float = 120.0,
        connect_timeout_s: float = 10.0,
        max_retries: int = 3,
        max_wait_s: float = 60.0,
        max_images: int | None = None,
        max_image_bytes: int | None = None,
        on_notice: NoticeSink | None = None,
        limits: ReplyLimits = DEFAULT_LIMITS,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.host = server_host(self.base_url)
        # A password in the URL is a key too (Basic auth): a server may echo it, base64 or not.
        remember_secret(unquote(urlsplit(self.base_url).password or ""))
        self.max_retries, self.max_wait_s = max_retries, max_wait_s
        self.max_images, self.max_image_bytes = max_images, max_image_bytes
        Notices.__init__(self, on_notice)
        self._api_key = api_key
        self._cancelled = threading.Event()
        self._lock = threading.Lock()
        self._response: Any = None
        self._client = capped_client(
            limits,
            timeout=httpx.Timeout(timeout_s, connect=connect_timeout_s),
            follow_redirects=False,
        )

    def _headers(self) -> dict[str, str]:
        key = self._api_key() if callable(self._api_key) else self._api_key
        remember_secret(key)  # a server may echo it back: redact it wherever it shows up
        return {"authorization": f"Bearer {key}"} if key else {}

    def list_models(self) -> list[str]:
        """Model ids from ``GET /models`` (servers do not say which read images)."""
        try:
            response = self._client.get(f"{self.base_url}/models", headers=self._headers())
        except Exception as exc:
            raise RemoteServerError(self._error(exc)) from exc
        if response.status_code != 200:
            failure = HttpFailure(response.status_code, response.text, response.headers)
            raise RemoteServerError(http_error(failure, self.host))
        return _model_ids(response, self.host)

    def _error(self, exc: BaseException) -> EngineError:
        failure = classify(exc)
        if isinstance(failure, NetworkFailure):
            return network_error(failure, self.host)
        if isinstance(failure, HttpFailure):
            return http_error(failure, self.host)
        return unexpected_error(failure)

    def generate(self, request: GenerationRequest) -> Iterator[EngineEvent]:
        self._cancelled.clear()
        self.notices = []
        payload = payload_or_error(request, self.max_images, self.max_image_bytes)
        if isinstance(payload, EngineError):
            yield payload
            return
        for notice in payload.notices:
            self._notify(notice)
        body = {
            "model": self.model,
            "messages": payload.messages,
            "stream": True,
            "stream_options": {"include_usage": True},
            **sampling_args(request),
        }
        if request.sampling.seed >= 0:  # -1: the server draws one
            body["seed"] = request.sampling.seed
        turn = RemoteTurn(
            service=self.host,
            backend=self.name,
            device=self.host,
            n_ctx=0,
            cancelled=self._cancelled,
            notify=self._notify,
            max_retries=self.max_retries,
            max_wait_s=self.max_wait_s,
            classify=classify,
        )

        @contextmanager
        def open_stream() -> Iterator[Iterator[Chunk]]:
            headers = {**self._headers(), "accept": "text/event-stream"}
            with self._client.stream(
                "POST", f"{self.base_url}/chat/completions", json=body, headers=headers
            ) as response:
                with self._lock:
                    self._response = response
                try:
                    if response.status_code != 200:
                        text = response.read().decode("utf-8", "replace")
                        raise HttpFailure(response.status_code, text, response.headers)
                    if self._cancelled.is_set():
                        yield iter(())
                    else:
                        yield openai_chunks(response.iter_bytes())
                finally:
                    with self._lock:
                        self._response = None

        yield from turn.run(payload, open_stream, continued_text(request))

    def cancel(self) -> None:
        self._cancelled.set()
        with self._lock:
            response = self._response
        if response is not None:
            with suppress(Exception):
                response.close()

    def close(self) -> None:
        self.cancel()
        self._client.close()


def _model_ids(response: Any, host: str) -> list[str]:
    """The ids in a ``GET /models`` answer; any other shape is one clear error."""
    try:
        data = response.json().get("data") or []
        return listed_model_ids(m.get("id") for m in data)
    except (ValueError, TypeError, AttributeError, KeyError, RecursionError) as exc:
        raise RemoteServerError(
            network_error(NetworkFailure("malformed", f"{MALFORMED} {exc!r}"[:300]), host)
        ) from exc


RemoteServerError = RemoteError
"""The OpenAI-compatible name for the shared error (model list, key test)."""
