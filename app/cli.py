"""The ``pixtral-desk`` command: the window by default, or a sub-command for scripts.

``ask`` streams an answer to stdout (or prints one JSON object with ``--json``); its prompt,
images, PDF pages and schema are read by ``app.commands.inputs`` and it can save to or continue
a chat of the history (``app.commands.chat_link``). ``batch`` answers one prompt for many
inputs (``app.commands.batch``), ``tokens`` prints what images will cost. Bad input ends with
one line on stderr and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from app import __version__
from app.backends import make_backend
from app.commands.ask import run_ask
from app.commands.backend_use import check_local, checked_schema, notice
from app.commands.batch import add_batch_command, run_batch
from app.commands.exit_codes import EXIT_BAD_INPUT, EXIT_BROKEN_PIPE, EXIT_INTERRUPTED
from app.commands.inputs import add_page_flags
from app.core.errors import UserFacingError
from app.core.images import Detail, prepare_image
from app.engine.base import Backend
from app.logs import engine_log_path
from app.models.models_cli import add_models_commands
from app.settings import SETTINGS, Setting, Settings, coerce
from app.storage.history_cli import add_history_commands, chat_id

__all__ = ["EXIT_BAD_INPUT", "EXIT_BROKEN_PIPE", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    try:
        try:
            return _main(argv)
        finally:
            if sys.stdout is not None:  # None in a windowed bundle
                sys.stdout.flush()  # a reader that went away shows up here, not at exit
    except BrokenPipeError:
        return _reader_went_away()
    except _UsageError as exc:
        print(f"pixtral-desk: {exc} (see pixtral-desk --help)", file=sys.stderr)
        return EXIT_BAD_INPUT


class _UsageError(Exception):
    """A command line argparse refused; reported in one line, like every other bad input."""


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr, not a usage block and an exit."""

    def error(self, message: str) -> NoReturn:
        raise _UsageError(message)


def _main(argv: Sequence[str] | None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    from app.crash_report import install_excepthook
    from app.logs import setup_logging

    args.log_dir = setup_logging()
    install_excepthook(args.log_dir)  # a report file; the traceback is still printed
    if args.command is None:
        from app.main import run_gui

        return run_gui(args)
    if args.command == "history" and args.data_dir is None:
        args.data_dir = Settings(args.config)["data_dir"] or None
    try:
        return int(args.run(args))
    except UserFacingError as exc:
        print(f"pixtral-desk: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


def _reader_went_away() -> int:
    """``pixtral-desk history list | head -1``: the reader closed the pipe (a print, or the
    flush after any command, ``--version`` included, raised). Stop quietly with
    the status a shell gives a command killed by SIGPIPE, like other tools; pointing stdout at
    devnull keeps Python's own flush at exit from printing a second BrokenPipeError."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a file (a test capturing it): nothing to do
        pass
    finally:
        os.close(devnull)
    return EXIT_BROKEN_PIPE


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="pixtral-desk", description="Chat with Pixtral, locally or on La Plateforme."
    )
    parser.add_argument("--version", action="version", version=f"pixtral-desk {__version__}")
    parser.add_argument(
        "--config", type=Path, help="settings file (default: the user config folder)"
    )
    commands = parser.add_subparsers(dest="command")

    ask = commands.add_parser("ask", help="answer one prompt, streaming to stdout")
    ask.add_argument("prompt", nargs="?", default=None, help="what to ask; - reads standard input")
    ask.add_argument("--prompt-file", type=Path, default=None, help="read the prompt from a file")
    ask.add_argument(
        "--image", action="append", default=[], help="an image to include (repeatable; quoted "
        "globs are expanded)",
    )  # fmt: skip
    ask.add_argument("--pdf", type=Path, default=None, help="a PDF whose pages to include")
    add_page_flags(ask, "the first pages that fit 60 % of the context")
    ask.add_argument(
        "--json-schema", type=Path, default=None, help="the answer follows this schema"
    )
    ask.add_argument("--system", default=None, help="system prompt")
    ask.add_argument(
        "--json", action="store_true", help="print one JSON object at the end instead of streaming"
    )
    ask.add_argument("--save", action="store_true", help="keep the turn as a chat in the history")
    ask.add_argument("--chat", type=chat_id, default=None, metavar="ID", help="continue this chat")
    ask.add_argument(
        "--data-dir", type=Path, default=None, help="history folder (default: the user data folder)"
    )
    _add_setting_flags(ask)
    ask.set_defaults(run=_run_ask)

    batch = add_batch_command(commands, _add_setting_flags)
    batch.set_defaults(run=_run_batch)

    tokens = commands.add_parser(
        "tokens", help="what images cost in tokens, locally and on La Plateforme"
    )
    tokens.add_argument("images", nargs="+", type=Path)
    tokens.add_argument("--detail", choices=[d.value for d in Detail], default=None)
    tokens.add_argument("--json", action="store_true")
    tokens.set_defaults(run=_run_tokens)

    add_history_commands(commands)
    add_models_commands(commands)
    return parser


def _add_setting_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per engine and sampling setting; unset flags fall back to the saved settings."""
    for setting in SETTINGS:
        if setting.section not in ("engine", "sampling", "remote"):
            continue
        flag = "--" + setting.key.replace("_", "-")
        kwargs: dict[str, Any] = {
            "dest": setting.key,
            "default": None,
            "help": f"{setting.doc} (default: {setting.default!r})",
        }
        if setting.choices:
            kwargs["choices"] = setting.choices
        else:
            kwargs["type"] = _flag_type(setting)
        parser.add_argument(flag, **kwargs)


def _flag_type(setting: Setting) -> Callable[[str], Any]:
    """The setting's own check (type, bounds) as an argparse type: one message, no traceback."""

    def parse(raw: str) -> Any:
        try:
            return coerce(setting, raw)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    parse.__name__ = setting.kind.__name__  # argparse names the type in its messages
    return parse


def _resolved(args: argparse.Namespace) -> dict[str, Any]:
    settings = Settings(args.config)
    values = dict(settings.items())
    for key in values:
        flag_value = getattr(args, key, None)
        if flag_value is not None:
            values[key] = flag_value
    return values


def _run_tokens(args: argparse.Namespace) -> int:
    detail = Detail.parse(args.detail or Settings(args.config)["detail"])
    rows = []
    for path in args.images:
        image = prepare_image(path, detail)
        rows.append(
            {
                "file": str(path),
                "source_size": list(image.source_size),
                "prepared_size": list(image.size),
                "detail": detail.value,
                "local_tokens": image.tokens,
                "api_billed_tokens": image.api_billed_tokens,
            }
        )
    if args.json:
        print(
            json.dumps({"images": rows, "total_local_tokens": sum(r["local_tokens"] for r in rows)})
        )
        return 0
    print(f"{'image':<32} {'source':>11} {'prepared':>11} {'local':>7} {'API billed':>10}")
    for row in rows:
        source = "×".join(map(str, row["source_size"]))
        prepared = "×".join(map(str, row["prepared_size"]))
        name = Path(row["file"]).name[:32]
        print(
            f"{name:<32} {source:>11} {prepared:>11} "
            f"{row['local_tokens']:>7,} {row['api_billed_tokens']:>10,}"
        )
    local = sum(r["local_tokens"] for r in rows)
    billed = sum(r["api_billed_tokens"] for r in rows)
    print(f"{'total':<56} {local:>7,} {billed:>10,}")
    return 0


def _run_ask(args: argparse.Namespace) -> int:
    values = _resolved(args)
    return run_ask(args, values, _data_dir(args), lambda: _backend(args, values))


def _run_batch(args: argparse.Namespace) -> int:
    values = _resolved(args)
    checked_schema(args.json_schema, values)  # refused before any input is read
    presets = Settings(args.config).path.with_name("presets.json")
    return run_batch(
        args, values, presets, lambda: _backend(args, values), lambda: check_local(values)
    )


def _data_dir(args: argparse.Namespace) -> Path | None:
    return args.data_dir or Settings(args.config)["data_dir"] or None


def _backend(args: argparse.Namespace, values: dict[str, Any]) -> Backend:
    return make_backend(
        values, notice, settings_path=Settings(args.config).path,
        log_path=engine_log_path(args.log_dir),
    )  # fmt: skip


if __name__ == "__main__":
    raise SystemExit(main())
