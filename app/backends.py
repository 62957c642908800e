"""The backend registry: every backend declared once, and built from the settings.

``local`` is llama.cpp in a worker process (nothing leaves the computer); ``mistral`` is La
Plateforme with the key from the OS keyring or ``MISTRAL_API_KEY``; ``openai`` is any
OpenAI-compatible server. Each ``BackendSpec`` below says what the rest of the app needs to
know about one of them — its ``backend`` setting value, whether conversations leave this
computer on it, what it is called, which settings name its model and server, how the user sets
it up, what it can do and how to build it — so the window, the CLI and the privacy check look
it up here instead of spelling kinds out. Adding a backend means its own module and one entry
here. A kind that is not registered counts as remote: the privacy check fails safe.

Building a backend never touches the network: remote model lists are fetched when the user
asks for them, not here (this runs on the GUI thread).
"""

from __future__ import annotations

import contextlib
import importlib
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

from app.core.budget import KvType
from app.core.errors import ModelFileError, UserFacingError
from app.engine.api_keys import MISTRAL as MISTRAL_ACCOUNT
from app.engine.backend_choice import Target
from app.engine.base import Backend
from app.engine.capabilities import Capability, ModelLoader, ServerBackend

DEFAULT_MISTRAL_MODEL = "pixtral-large-latest"


class SetupFlow(StrEnum):
    """How a person sets a backend up, which decides what the window asks them."""

    MODEL_FILES = "model_files"  # choose (or download) a model on this computer
    API_KEY = "api_key"  # save the service's API key in the OS keyring
    SERVER = "server"  # give the server's address and the model's name on it


@dataclass(frozen=True)
class BuildContext:
    """What building a backend may need besides the settings' values."""

    notice: Callable[[str], None] | None = None
    """Where a remote backend reports passing trouble (a retry, a shrunk image)."""
    log_path: Any = None
    """The local engine's log file."""
    settings_path: str | Path | None = None
    """The settings file; the local models' own overrides are kept beside it."""


@dataclass(frozen=True)
class BackendSpec:
    kind: str
    """The ``backend`` setting's value for it, and the ``name`` its backends carry."""
    remote: bool
    """Whether conversations leave this computer on it: private and document chats never do."""
    label: str
    """Where answers come from, in the words the header and the privacy messages use."""
    build: Callable[[Mapping[str, Any], BuildContext], Backend]
    setup: SetupFlow
    setup_action: str = ""
    """The first-run assistant's button for it ("" when the assistant has its own page)."""
    model_key: str = ""
    """The setting that names its model."""
    url_key: str = ""
    """The setting that names its server."""
    key_account: str = ""
    """The keyring account its API key is kept under, when it needs one."""
    capabilities: frozenset[Capability] = field(default_factory=frozenset)
    module: str = ""
    """The module ``build`` imports (``warm_imports`` loads it off the GUI thread)."""

    def can(self, capability: Capability) -> bool:
        return capability in self.capabilities

    def target(self, url: str = "") -> Target:
        """Where a conversation on it runs; ``url`` is its server, for those the user names."""
        host = _host(url) if self.can(Capability.SERVER_URL) else ""
        return Target(f"{host} (your server)" if host else self.label, self.remote)


class MissingSettingError(UserFacingError):
    """A backend cannot be built because a setting it needs is empty.

    The message is the command line's (it names the flag to pass); ``setting`` names what is
    missing so that the window can say it in its own words (a button to press, not a flag):
    the same fact reaches two front ends that ask for it differently.
    """

    def __init__(self, setting: str, message: str) -> None:
        super().__init__(message)
        self.setting = setting


def local_config(values: Mapping[str, Any], overrides: dict[str, Any] | None = None) -> Any:
    """The local engine's configuration; with context 0, the largest that fits the memory its
    KV cache will live in (the GPU's, with every layer there: ``hardware.fitting_context``).

    ``overrides`` are the selected model's own GPU layers / context / KV type: they win over
    the global settings, because those numbers only fit the model they were chosen for. With
    the context picked from memory and the KV type left alone, q8_0 is used where f16 would not
    hold the model's full context; threads 0 means ``cpu_threads.default_threads``.
    """
    from app.core.model_files import inspect_text_model
    from app.engine.local.protocol import LocalEngineConfig
    from app.engine.local.state_files import default_state_dir
    from app.models.cpu_threads import thread_counts
    from app.models.hardware import pick_context_and_kv
    from app.models.kv_choice import explicit_kv_type

    if not values["model"]:
        raise MissingSettingError(
            "model",
            "No model given: pass --model M.gguf (and --mmproj P.gguf for images), "
            "or choose the model files in the app.",
        )
    kv_chosen = explicit_kv_type(values, overrides) is not None
    values = {**values, **(overrides or {})}
    kv_type = KvType(values["kv_type"])
    try:
        model = inspect_text_model(values["model"])
        choice = pick_context_and_kv(
            values["n_ctx"],
            model,
            kv_type,
            kv_chosen=kv_chosen,
            n_gpu_layers=values["n_gpu_layers"],  # where the KV cache will live
        )
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
        state_ram_mb=values["state_ram_mb"],
        state_disk_mb=values["state_disk_mb"],
        state_dir=str(default_state_dir()),
    )


def model_overrides(values: Mapping[str, Any], settings_path: str | Path | None) -> dict[str, Any]:
    """The per-model values saved for ``values["model"]``; none without a settings path."""
    if settings_path is None or not values.get("model"):
        return {}
    from app.models.model_overrides import ModelOverrides

    return ModelOverrides.beside(settings_path).get(values["model"])


def _build_local(values: Mapping[str, Any], context: BuildContext) -> Backend:
    from app.engine.local.backend import LocalBackend

    overrides = model_overrides(values, context.settings_path)
    return LocalBackend(local_config(values, overrides), log_path=context.log_path)


def _build_mistral(values: Mapping[str, Any], context: BuildContext) -> Backend:
    from app.engine.api_keys import ApiKeys
    from app.engine.mistral_api import MistralBackend

    keys = ApiKeys()
    if not keys.get(MISTRAL_ACCOUNT):
        raise UserFacingError(
            "No La Plateforme API key: set MISTRAL_API_KEY or save one in Settings."
        )
    return MistralBackend(
        keys.provider(MISTRAL_ACCOUNT),
        values.get("mistral_model") or DEFAULT_MISTRAL_MODEL,
        server_url=values.get("mistral_server_url") or "https://api.mistral.ai",
        on_notice=context.notice,
    )


def _build_openai(values: Mapping[str, Any], context: BuildContext) -> Backend:
    from app.engine.api_keys import ApiKeys, openai_account
    from app.engine.openai_compat import OpenAICompatBackend

    url = values.get("openai_base_url") or ""
    if not url:
        raise MissingSettingError(
            "openai_base_url", "No server given: pass --openai-base-url http://host:port/v1."
        )
    key = ApiKeys().provider(openai_account(url))
    model = values.get("openai_model") or ""
    return OpenAICompatBackend(url, model, key, on_notice=context.notice)


LOCAL = BackendSpec(
    kind="local",
    remote=False,
    label="Local — nothing leaves this computer",
    build=_build_local,
    setup=SetupFlow.MODEL_FILES,
    model_key="model",
    capabilities=frozenset(
        {
            Capability.LOADS_MODEL,
            Capability.COUNTS_TOKENS,
            Capability.HAS_DEVICE,
            Capability.FOLLOWS_SCHEMA,
        }
    ),
    module="app.engine.local.backend",
)
LA_PLATEFORME = BackendSpec(
    kind="mistral",
    remote=True,
    label="La Plateforme (Mistral servers)",
    build=_build_mistral,
    setup=SetupFlow.API_KEY,
    setup_action="Use La Plateforme (Mistral API key)…",
    model_key="mistral_model",
    url_key="mistral_server_url",
    key_account=MISTRAL_ACCOUNT,
    capabilities=frozenset({Capability.LISTS_MODELS, Capability.FOLLOWS_SCHEMA}),
    module="app.engine.mistral_api",
)
OPENAI_SERVER = BackendSpec(
    kind="openai",
    remote=True,
    label="OpenAI-compatible server",
    build=_build_openai,
    setup=SetupFlow.SERVER,
    setup_action="Use an OpenAI-compatible server…",
    model_key="openai_model",
    url_key="openai_base_url",
    capabilities=frozenset({Capability.SERVER_URL}),
    module="app.engine.openai_compat",
)

BACKENDS: tuple[BackendSpec, ...] = (LOCAL, LA_PLATEFORME, OPENAI_SERVER)
"""Every backend, in the order the app offers them."""
BACKENDS_BY_KIND = {spec.kind: spec for spec in BACKENDS}
FALLBACK = LA_PLATEFORME
"""The remote backend offered when the local model cannot answer (never for a private chat)."""


def backend_spec(kind: str) -> BackendSpec | None:
    """The declaration of ``kind``; None for a kind nobody registered."""
    return BACKENDS_BY_KIND.get(kind)


def spec_of(backend: object) -> BackendSpec | None:
    """The declaration of a built backend, by its name; None when it carries none we know.

    An object without a name is as unknown as one with a strange name: both fail safe.
    """
    return backend_spec(getattr(backend, "name", ""))


def can(backend: Backend | None, capability: Capability) -> bool:
    """Whether ``backend`` is declared to have ``capability`` (never guessed from its methods)."""
    spec = spec_of(backend) if backend is not None else None
    return spec is not None and spec.can(capability)


def target_of(backend: Backend | None) -> Target:
    """Where a backend sends conversations; one whose kind is unknown counts as remote.

    Failing safe: a backend this check does not know may send anything anywhere, so a private
    or document chat is refused on it rather than trusted to it.
    """
    spec = spec_of(backend)
    if spec is None:
        name = getattr(backend, "name", "")
        return Target(f"{_host(name or 'an unknown backend')} (your server)", remote=True)
    url = cast(ServerBackend, backend).base_url if spec.can(Capability.SERVER_URL) else ""
    return spec.target(url)


def warm_imports(kind: str) -> threading.Thread | None:
    """Import backend ``kind``'s module on a thread of its own, once the window is up.

    The first count of a question builds the backend, which imported its module on the GUI
    thread at that moment (the local engine's: 10-30 ms, profiled as the worst stall of the
    first PDF dropped). Imported ahead, the build finds it loaded; an import that fails here
    fails again, and is reported, where the backend is built."""
    spec = backend_spec(kind)
    if spec is None or not spec.module or spec.module in sys.modules:
        return None
    module = spec.module

    def load() -> None:
        with contextlib.suppress(Exception):
            importlib.import_module(module)

    thread = threading.Thread(target=load, name="warm-backend", daemon=True)
    thread.start()
    return thread


def make_backend(
    values: Mapping[str, Any],
    notice: Callable[[str], None] | None = None,
    log_path: Any = None,
    settings_path: str | Path | None = None,
) -> Backend:
    """A backend for ``values`` (the settings, flags applied); raises ``UserFacingError``.

    With ``settings_path``, the local model's saved overrides (``models.json`` beside it) apply.
    """
    kind = values.get("backend", LOCAL.kind)
    spec = backend_spec(kind)
    if spec is None:
        known = ", ".join(BACKENDS_BY_KIND)
        raise UserFacingError(f"Unknown backend {kind!r}: choose one of {known}.")
    return spec.build(values, BuildContext(notice, log_path, settings_path))


def memory_estimate(backend: Backend | None) -> str:
    """What loading a backend's model will take, shown before it loads ("" if unknown)."""
    if backend is None or not can(backend, Capability.LOADS_MODEL):
        return ""
    config = cast(ModelLoader, backend).config
    if not config.mmproj_path:
        return ""
    from app.models.hardware import gpu_usable
    from app.models.memory_fit import estimate_files

    # Without a GPU that this llama.cpp can use, every layer stays in RAM whatever the setting.
    layers = (config.n_gpu_layers if config.n_gpu_layers >= 0 else 999) if gpu_usable() else 0
    try:
        found = estimate_files(
            config.model_path, config.mmproj_path, config.n_ctx, config.kv_type, layers
        )
    except (OSError, ValueError, UserFacingError):
        return ""
    return found.describe()


def _host(url: str) -> str:
    return urlsplit(url).netloc or url
