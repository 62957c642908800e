"""La Plateforme (Mistral's hosted API) through the official ``mistralai`` SDK.

The SDK does the HTTP and SSE decoding; this module turns a conversation into its messages
(full history every turn: the API keeps no state), keeps requests inside the API's limits
(≤ 8 images, ≤ 10 MB each), maps its errors to messages a person can act on, and
retries a 429 itself because the SDK's retries are opt-in and silent (we want to show the wait).
The SDK gets an httpx client from ``reply_limits``, so what it reads from the server (events,
error bodies, the model list) is bounded, and the key it sends is remembered for redaction.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

from app.core.secrets import remember_secret
from app.engine.base import EngineError, EngineEvent, ErrorKind, GenerationRequest
from app.engine.chat_payload import (
    MAX_IMAGE_BYTES,
    MAX_IMAGES_PER_REQUEST,
    continued_text,
    payload_or_error,
    sampling_args,
)
from app.engine.remote_common import Chunk, Notices, NoticeSink, RemoteTurn
from app.engine.remote_errors import (
    AUTH,
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

try:  # mistralai ≥ 2 moved the client under mistralai.client and uses httpx2
    import httpx2 as httpx
    from mistralai.client import Mistral
    from mistralai.client.errors import MistralError, NoResponseError
except ImportError:  # pragma: no cover - mistralai 1.x
    import httpx  # type: ignore[no-redef]
    from mistralai import Mistral  # type: ignore[no-redef,attr-defined]
    from mistralai.models import SDKError as MistralError  # type: ignore[no-redef]

    NoResponseError = ConnectionError  # type: ignore[misc,assignment]

DEFAULT_SERVER_URL = "https://api.mistral.ai"
SERVICE = "La Plateforme"
# Preference order for the default model when the user has not chosen one.
_PREFERRED_PREFIXES = ("pixtral-large", "pixtral", "mistral-medium", "mistral-small", "ministral")


@dataclass(frozen=True)
class RemoteModel:
    """A model the API offers: its id, whether it reads images, its context length."""

    id: str
    vision: bool
    max_context: int = 0
    aliases: tuple[str, ...] = ()


def default_model(models: list[RemoteModel], remembered: str = "") -> str:
    """The user's remembered choice if still offered, else the best vision model by family."""
    vision = [m for m in models if m.vision]
    ids = {m.id for m in vision} | {a for m in vision for a in m.aliases}
    if remembered and remembered in ids:
        return remembered
    for prefix in _PREFERRED_PREFIXES:
        hits = sorted(m.id for m in vision if m.id.startswith(prefix))
        if hits:
            latest = [h for h in hits if h.endswith("-latest")]
            return (latest or hits)[-1]
    return vision[0].id if vision else ""


def classify(exc: BaseException) -> Exception:
    """SDK/httpx exceptions → HttpFailure / NetworkFailure (anything else passes through)."""
    if isinstance(exc, HttpFailure | NetworkFailure):
        return exc
    if isinstance(exc, MistralError):
        if 200 <= exc.status_code < 300:  # the SDK could not read a successful answer
            return NetworkFailure("malformed", f"{MALFORMED} {exc}"[:300])
        return HttpFailure(exc.status_code, exc.body or "", exc.headers)
    if isinstance(exc, httpx.TimeoutException):
        return NetworkFailure("timeout", repr(exc))
    if isinstance(exc, httpx.ConnectError | NoResponseError):
        return NetworkFailure("offline", repr(exc))
    if isinstance(exc, httpx.TransportError):
        return NetworkFailure("cut", repr(exc))
    return exc if isinstance(exc, Exception) else RuntimeError(repr(exc))


class MistralBackend(Notices):
    """The ``Backend`` protocol on La Plateforme.

    ``api_key`` may be a callable so the key is read from the keyring when needed and never
    stored on disk; ``server_url`` points tests at a loopback server.
    """

    name = "mistral"

    def __init__(
        self,
        api_key: str | Callable[[], str | None] | None,
        model: str = "",
        *,
        server_url: str = DEFAULT_SERVER_URL,
        timeout_s: float = 120.0,
        max_retries: int = 3,
        max_wait_s: float = 60.0,
        max_images: int = MAX_IMAGES_PER_REQUEST,
        max_image_bytes: int = MAX_IMAGE_BYTES,
        on_notice: NoticeSink | None = None,
        limits: ReplyLimits = DEFAULT_LIMITS,
    ) -> None:
        self.model = model
        self.server_url = server_url.rstrip("/")
        self.max_retries, self.max_wait_s = max_retries, max_wait_s
        self.max_images, self.max_image_bytes = max_images, max_image_bytes
        Notices.__init__(self, on_notice)
        self._models: dict[str, RemoteModel] = {}
        self._cancelled = threading.Event()
        self._lock = threading.Lock()
        self._stream: Any = None
        self._http = capped_client(limits, follow_redirects=True)  # the SDK's own default
        self._client = Mistral(
            api_key=_remembered(api_key),
            server_url=self.server_url,
            timeout_ms=int(timeout_s * 1000),
            client=self._http,
        )

    # -- models ---------------------------------------------------------------------------

    def list_models(self) -> list[RemoteModel]:
        """Every chat model the key may use, vision ones first; also the cheap key check."""
        try:
            listing = self._client.models.list()
        except Exception as exc:
            raise RemoteError(self._error(exc)) from exc
        chat_cards = [
            card
            for card in listing.data or []
            if getattr(card, "capabilities", None) is not None
            and getattr(card.capabilities, "completion_chat", True)
        ]
        listed = set(listed_model_ids(card.id for card in chat_cards))
        found: dict[str, RemoteModel] = {}
        for card in chat_cards:
            if card.id not in listed:
                continue
            found[card.id] = RemoteModel(
                id=card.id,
                vision=bool(getattr(card.capabilities, "vision", False)),
                max_context=int(getattr(card, "max_context_length", 0) or 0),
                aliases=tuple(listed_model_ids(getattr(card, "aliases", None) or ())),
            )
        self._models = found
        return sorted(found.values(), key=lambda m: (not m.vision, m.id))

    def vision_models(self) -> list[RemoteModel]:
        return [m for m in self.list_models() if m.vision]

    def _error(self, exc: BaseException) -> EngineError:
        failure = classify(exc)
        if isinstance(failure, HttpFailure):
            return http_error(failure, SERVICE)
        if isinstance(failure, NetworkFailure):
            return network_error(failure, SERVICE)
        return unexpected_error(failure)

    # -- generation -----------------------------------------------------------------------

    def generate(self, request: GenerationRequest) -> Iterator[EngineEvent]:
        self._cancelled.clear()
        self.notices = []
        payload = payload_or_error(request, self.max_images, self.max_image_bytes, mark_prefix=True)
        if isinstance(payload, EngineError):  # first: a document is refused before all else
            yield payload
            return
        if not self.model:
            yield EngineError(ErrorKind.BAD_INPUT, "No La Plateforme model is selected.")
            return
        has_images = any(m.images for m in request.messages)
        known = self._models.get(self.model)
        if has_images and known is not None and not known.vision:
            yield EngineError(
                ErrorKind.BAD_INPUT,
                f"'{self.model}' does not accept images. Pick a vision model (for example "
                f"{default_model(list(self._models.values())) or 'pixtral-large-latest'}).",
                detail="model capabilities.vision is false",
            )
            return
        for notice in payload.notices:
            self._notify(notice)
        turn = RemoteTurn(
            service=SERVICE,
            backend=self.name,
            device=SERVICE,
            n_ctx=known.max_context if known else 0,
            cancelled=self._cancelled,
            notify=self._notify,
            max_retries=self.max_retries,
            max_wait_s=self.max_wait_s,
            classify=classify,
        )
        args = sampling_args(request)
        if request.sampling.seed >= 0:  # -1: the server draws one
            args["random_seed"] = request.sampling.seed
        if request.sampling.json_schema:
            args["response_format"] = json_schema_format(request.sampling.json_schema)

        @contextmanager
        def open_stream() -> Iterator[Iterator[Chunk]]:
            stream = self._client.chat.stream(model=self.model, messages=payload.messages, **args)
            with self._lock:
                self._stream = stream
            try:
                with stream:  # leaving it closes the HTTP response: that is cancel
                    if self._cancelled.is_set():
                        yield iter(())
                    else:
                        yield _chunks(stream)
            finally:
                with self._lock:
                    self._stream = None

        try:
            yield from turn.run(payload, open_stream, continued_text(request))
        finally:
            self._close_stream()

    def cancel(self) -> None:
        self._cancelled.set()
        self._close_stream()

    def close(self) -> None:
        self.cancel()
        with suppress(Exception):
            self._client.__exit__(None, None, None)
        with suppress(Exception):
            self._http.close()  # ours, so the SDK leaves it open

    def _close_stream(self) -> None:
        with self._lock:
            stream = self._stream
        if stream is not None:
            with suppress(Exception):
                stream.close()


def json_schema_format(schema_json: str) -> Any:
    """La Plateforme's JSON schema mode (``strict``: the answer follows the schema, not only
    JSON), the remote counterpart of the local engine's grammar."""
    try:
        from mistralai.client import models
    except ImportError:  # pragma: no cover - mistralai 1.x
        from mistralai import models  # type: ignore[no-redef,attr-defined]

    return models.ResponseFormat(
        type="json_schema",
        json_schema=models.JSONSchema(
            name="answer", schema_definition=json.loads(schema_json), strict=True
        ),
    )


def _remembered(
    api_key: str | Callable[[], str | None] | None,
) -> str | Callable[[], str | None] | None:
    """The key as the SDK takes it, remembered for redaction whenever it is read."""
    if not callable(api_key):
        remember_secret(api_key)
        return api_key

    def read() -> str | None:
        key = api_key()
        remember_secret(key)
        return key

    return read


def _chunks(stream: Any) -> Iterator[Chunk]:
    for event in stream:
        data = event.data
        text, finish = "", None
        for choice in data.choices or []:
            content = choice.delta.content if choice.delta else None
            if isinstance(content, str):
                text += content
            elif isinstance(content, list):
                text += "".join(getattr(c, "text", "") or "" for c in content)
            if choice.finish_reason:
                finish = str(getattr(choice.finish_reason, "value", choice.finish_reason))
        usage = data.usage
        if usage is not None:
            details = getattr(usage, "prompt_tokens_details", None)
            cached = getattr(details, "cached_tokens", 0) if details else 0
            yield Chunk(text, finish, usage.prompt_tokens, usage.completion_tokens, cached or 0)
        else:
            yield Chunk(text, finish)


__all__ = ["AUTH", "MistralBackend", "RemoteError", "RemoteModel", "default_model"]
