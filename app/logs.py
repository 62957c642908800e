"""Application logging: one rotating file in the platformdirs log folder, with secrets scrubbed.

Why a file and not stderr: most users start the app from a launcher and never see a terminal,
so the only useful trace after a problem is a file they can attach to a bug report. Because
they attach it, two rules hold for everything that reaches it:

* **No API keys.** ``RedactingFilter`` sits on the handler, so it scrubs records from every
  logger (ours, httpx, huggingface_hub, mistralai), including arguments, tracebacks and stack
  info. It uses ``app.core.secrets.redact``, the one redaction the error messages and crash
  reports use too: every key the app has used, Mistral keys (32 letters and digits),
  ``Bearer …`` tokens and ``Authorization:`` values, ``sk-…`` and ``hf_…`` keys, and
  ``api_key=…`` / ``token: …`` style assignments.
* **No message text at the default level.** What the user types or the model answers is private.
  Log sizes with ``log_message_event``; message text may only ever be logged at DEBUG, with
  ``log_message_text``, which the default INFO level drops. Any record marked as content
  (``extra={"content": True}``) above DEBUG is dropped by ``ContentFilter``, so a slip of the
  level cannot leak it either.

The local engine's llama.cpp output is written by its worker process to its own file
(``LocalBackend(log_path=...)``, default a temp file); ``engine_log_path`` puts it beside the
application log so "open the log folder" shows both.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
from pathlib import Path

import platformdirs

from app.core.secrets import redact

APP_NAME = "pixtral-desk"
APP_LOG_NAME = "pixtral-desk.log"
LOG_DIR_ENV = "PIXTRAL_DESK_LOG_DIR"
ENGINE_LOG_NAME = "engine.log"
MAX_BYTES = 2 * 1024 * 1024
BACKUP_COUNT = 5
_FORMAT = "%(asctime)s %(levelname)-7s %(name)s [%(threadName)s]: %(message)s"


class RedactingFilter(logging.Filter):
    """Scrubs keys from the formatted message, the traceback and the stack of every record.

    It rewrites the record in place (message merged with its arguments), so every handler
    after it sees the clean text too.
    """

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad %-format must not lose the record
            message = f"{record.msg!r} {record.args!r}"
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class ContentFilter(logging.Filter):
    """Drops records marked ``content`` (message text) unless they are DEBUG."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (getattr(record, "content", False) and record.levelno > logging.DEBUG)


def default_log_dir() -> Path:
    """``$PIXTRAL_DESK_LOG_DIR`` (tests, portable installs, the bundle smoke test), else the
    platformdirs user log folder (Linux ``~/.local/state/pixtral-desk/log``, macOS
    ``~/Library/Logs/pixtral-desk``, Windows ``%LOCALAPPDATA%\\pixtral-desk\\Logs``)."""
    override = os.environ.get(LOG_DIR_ENV)
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def app_log_path(log_dir: Path) -> Path:
    return log_dir / APP_LOG_NAME


def engine_log_path(log_dir: Path) -> Path:
    """Where the local engine's llama.cpp output goes: ``<log_dir>/engine.log``.

    Pass it to ``LocalBackend(log_path=...)`` (through ``EngineHolder``); the worker appends
    to it, and ``setup_logging`` rolls it over at startup so it cannot grow without bound.
    """
    return log_dir / ENGINE_LOG_NAME


def roll_over_if_large(path: Path, max_bytes: int = MAX_BYTES, backups: int = 1) -> None:
    """Start a fresh ``path`` when it is over ``max_bytes`` (``path.1`` … keep the old ones).

    For files written by another process (the engine worker appends with O_APPEND), which a
    ``RotatingFileHandler`` here cannot rotate; doing it at startup is enough because one run
    writes little.
    """
    try:
        if not path.is_file() or path.stat().st_size <= max_bytes:
            return
        for n in range(backups, 0, -1):
            older = path.with_name(f"{path.name}.{n}")
            newer = path if n == 1 else path.with_name(f"{path.name}.{n - 1}")
            if newer.exists():
                newer.replace(older)
    except OSError:
        logging.getLogger(__name__).warning("could not roll over %s", path, exc_info=True)


def setup_logging(log_dir: Path | None = None, level: int = logging.INFO) -> Path:
    """Send all logging to ``<log_dir>/pixtral-desk.log`` (rotating); returns the log folder.

    Safe to call more than once (a test, or the CLI starting the GUI): it replaces the handler
    it installed before. Nothing is printed to stderr, so the CLI's output stays clean.
    """
    log_dir = Path(log_dir) if log_dir is not None else default_log_dir()
    log_dir.mkdir(parents=True, exist_ok=True)
    roll_over_if_large(engine_log_path(log_dir), MAX_BYTES, BACKUP_COUNT)
    handler = logging.handlers.RotatingFileHandler(
        app_log_path(log_dir), maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler.setLevel(level)
    handler.addFilter(ContentFilter())
    handler.addFilter(RedactingFilter())
    handler._pixtral_desk = True  # type: ignore[attr-defined]  # marks ours for replacement
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_pixtral_desk", False)]:
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(level)
    if level > logging.DEBUG:
        # httpcore logs every header (the Authorization one too) at DEBUG only; keep it quiet.
        logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.captureWarnings(True)
    return log_dir


def log_message_event(logger: logging.Logger, conversation_id: str, n_chars: int) -> None:
    """Record that a message was sent or received, by size only (safe at INFO)."""
    logger.info("message conversation=%s chars=%d", conversation_id, n_chars)


def log_message_text(logger: logging.Logger, conversation_id: str, text: str) -> None:
    """The only sanctioned way to log message text: DEBUG, marked as content."""
    logger.debug("message text conversation=%s: %s", conversation_id, text, extra={"content": True})
