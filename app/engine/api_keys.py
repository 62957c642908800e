"""API keys: the OS keyring, the environment, or this session's memory — never a file.

A key on disk in plain text is a key in every backup and every support bundle, so the settings
file, logs, history and exports never see one (a test greps them all). Where no keyring
backend exists (headless Linux without Secret Service), the key lives in memory for this
session only and the UI says so; we never fall back to a plaintext keyring silently.
``MISTRAL_API_KEY`` in the environment wins over the keyring, as the SDK documents it.
Every key read or stored here is remembered by ``app.core.secrets`` so that it is redacted from
error messages, logs and crash reports whatever it looks like.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

import keyring
import keyring.errors
from keyring.backend import KeyringBackend

from app.core.secrets import remember_secret

SERVICE = "pixtral-desk"
MISTRAL = "mistral"
ENV_VARS = {MISTRAL: "MISTRAL_API_KEY"}


class KeySource(StrEnum):
    ENVIRONMENT = "environment"
    KEYRING = "keyring"
    SESSION = "session"  # memory only: no usable keyring
    NONE = "none"


@dataclass(frozen=True)
class KeyringStatus:
    """Whether keys can be stored across sessions, and a sentence saying so for the UI."""

    available: bool
    backend: str
    message: str


def openai_account(base_url: str) -> str:
    """The keyring account name of an OpenAI-compatible server's key (one per server)."""
    return "openai:" + base_url.rstrip("/")


def _usable(backend: KeyringBackend) -> bool:
    module = type(backend).__module__
    name = type(backend).__name__
    if module.startswith("keyring.backends.fail") or module.startswith("keyring.backends.null"):
        return False
    # keyrings.alt's file backends write the key to disk in (nearly) plain text: refuse them.
    if module.startswith("keyrings.alt") and ("Plaintext" in name or "file" in module):
        return False
    if module.startswith("keyring.backends.chainer"):
        return bool(getattr(backend, "backends", ()))
    try:
        return float(backend.priority) > 0
    except Exception:
        return False


class ApiKeys:
    """Get, set and remove API keys by account name (``"mistral"``, ``openai_account(url)``)."""

    def __init__(
        self,
        service: str = SERVICE,
        environ: Mapping[str, str] | None = None,
        backend: KeyringBackend | None = None,
    ) -> None:
        self.service = service
        self._environ = os.environ if environ is None else environ
        self._backend = backend
        self._session: dict[str, str] = {}
        self._broken = False

    @property
    def backend(self) -> KeyringBackend:
        return self._backend if self._backend is not None else keyring.get_keyring()

    def status(self) -> KeyringStatus:
        backend = self.backend
        label = f"{type(backend).__module__}.{type(backend).__name__}"
        if self._broken or not _usable(backend):
            return KeyringStatus(
                False,
                label,
                "No system keyring is available (on Linux, install and unlock a Secret Service "
                "such as GNOME Keyring or KWallet). Keys are kept for this session only and must "
                "be entered again next time.",
            )
        return KeyringStatus(True, label, "Keys are stored in the system keyring.")

    def get(self, account: str = MISTRAL) -> str | None:
        return self.lookup(account)[0]

    def lookup(self, account: str = MISTRAL) -> tuple[str | None, KeySource]:
        key, source = self._lookup(account)
        remember_secret(key)
        return key, source

    def _lookup(self, account: str) -> tuple[str | None, KeySource]:
        env = ENV_VARS.get(account)
        if env and self._environ.get(env):
            return self._environ[env], KeySource.ENVIRONMENT
        if account in self._session:
            return self._session[account], KeySource.SESSION
        if self.status().available:
            try:
                value = self.backend.get_password(self.service, account)
            except keyring.errors.KeyringError:
                self._broken = True
                value = None
            if value:
                return value, KeySource.KEYRING
        return None, KeySource.NONE

    def set(self, key: str, account: str = MISTRAL) -> KeySource:
        """Store ``key``; returns where it went (keyring, or session memory when none works)."""
        key = key.strip()
        if not key:
            raise ValueError("An empty API key cannot be stored.")
        remember_secret(key)
        if self.status().available:
            try:
                self.backend.set_password(self.service, account, key)
                self._session.pop(account, None)
                return KeySource.KEYRING
            except keyring.errors.KeyringError:
                self._broken = True  # e.g. a locked Secret Service that refuses writes
        self._session[account] = key
        return KeySource.SESSION

    def remove(self, account: str = MISTRAL) -> None:
        """Forget the key everywhere we put it (the environment is the user's business)."""
        self._session.pop(account, None)
        if self.status().available:
            try:
                self.backend.delete_password(self.service, account)
            except keyring.errors.PasswordDeleteError:
                pass  # nothing stored
            except keyring.errors.KeyringError:
                self._broken = True

    def provider(self, account: str = MISTRAL):
        """A callable for the backends: reads the key when a request is made, not before."""
        return lambda: self.get(account)
