"""Which backend answers, built from the settings: the one place the CLI and the window share.

``local`` is llama.cpp in a worker process (nothing leaves the computer); ``mistral`` is La
Plateforme with the key from the OS keyring or ``MISTRAL_API_KEY``; ``openai`` is any
OpenAI-compatible server. Building a backend never touches the network: remote model lists
are fetched when the user asks for them, not here (this runs on the GUI thread).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.core.budget import KvType
from app.core.errors import ModelFileError, UserFacingError

DEFAULT_MISTRAL_MODEL = "pixtral-large-latest"


def local_config(values: dict[str, Any], overrides: dict[str, Any] | None = None) -> Any:
    """The local engine's configuration; the context size is picked from memory when 0.

    ``overrides`` are the selected model's own GPU layers / context / KV type (issue 5, req. 7):
    they win over the global settings, because those numbers only fit the model they were
    chosen for. With the context picked from memory and the KV type left alone, q8_0 is used
    where f16 would not hold the model's full context; threads 0 means
    ``cpu_threads.default_threads``.
    """
    from app.core.model_files import inspect_text_model
    from app.engine.local.protocol import LocalEngineConfig
    from app.models.cpu_threads import thread_counts
    from app.models.hardware import pick_context_and_kv
    from app.models.kv_choice import explicit_kv_type

    if not values["model"]:
        raise UserFacingError(
            "No model given: pass --model M.gguf (and --mmproj P.gguf for images), "
            "or choose the model files in the app."
        )
    kv_chosen = explicit_kv_type(values, overrides) is not None
    values = {**values, **(overrides or {})}
    kv_type = KvType(values["kv_type"])
    try:
        model = inspect_text_model(values["model"])
        choice = pick_context_and_kv(values["n_ctx"], model, kv_type, kv_chosen=kv_chosen)
        n_ctx, kv_type = choice.n_ctx, choice.kv_type
    except ModelFileError:
        n_ctx = values["n_ctx"] or 8192  # the engine checks the files and says what is wrong
    threads = thread_counts(values["threads"])
    return LocalEngineConfig(
        model_path=str(values["model"]),
        mmproj_path=str(values["mmproj"]) or None,
        n_ctx=n_ctx,
        n_gpu_layers=values["n_gpu_layers"],
        kv_type=kv_type,
        n_threads=threads.decode,
        n_threads_batch=threads.batch,
        n_batch=values["n_batch"],
    )


def make_backend(
    values: dict[str, Any],
    notice: Callable[[str], None] | None = None,
    log_path: Any = None,
    settings_path: str | Path | None = None,
) -> Any:
    """A backend for ``values`` (the settings, flags applied); raises ``UserFacingError``.

    With ``settings_path``, the local model's saved overrides (``models.json`` beside it) apply.
    """
    kind = values.get("backend", "local")
    if kind == "mistral":
        from app.engine.api_keys import MISTRAL, ApiKeys
        from app.engine.mistral_api import MistralBackend

        keys = ApiKeys()
        if not keys.get(MISTRAL):
            raise UserFacingError(
                "No La Plateforme API key: set MISTRAL_API_KEY or save one in Settings."
            )
        return MistralBackend(
            keys.provider(MISTRAL),
            values.get("mistral_model") or DEFAULT_MISTRAL_MODEL,
            server_url=values.get("mistral_server_url") or "https://api.mistral.ai",
            on_notice=notice,
        )
    if kind == "openai":
        from app.engine.api_keys import ApiKeys, openai_account
        from app.engine.openai_compat import OpenAICompatBackend

        url = values.get("openai_base_url") or ""
        if not url:
            raise UserFacingError("No server given: pass --openai-base-url http://host:port/v1.")
        key = ApiKeys().provider(openai_account(url))
        return OpenAICompatBackend(url, values.get("openai_model") or "", key, on_notice=notice)
    from app.engine.local.backend import LocalBackend

    return LocalBackend(
        local_config(values, model_overrides(values, settings_path)), log_path=log_path
    )


def model_overrides(values: dict[str, Any], settings_path: str | Path | None) -> dict[str, Any]:
    """The per-model values saved for ``values["model"]``; none without a settings path."""
    if settings_path is None or not values.get("model"):
        return {}
    from app.models.model_overrides import ModelOverrides

    return ModelOverrides.beside(settings_path).get(values["model"])
