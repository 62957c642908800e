"""The ``pixtral-desk`` command: the window by default, or a sub-command for scripts.

``ask`` streams an answer to stdout (or prints one JSON object with ``--json``), ``tokens``
prints what images will cost. Bad input ends with one line on stderr and a non-zero exit code,
never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, NoReturn

from app import __version__
from app.backends import make_backend
from app.core.conversation import Message
from app.core.errors import UserFacingError
from app.core.images import Detail, prepare_image
from app.core.prompt import SystemPlacement
from app.engine.base import (
    EngineError,
    Finished,
    FinishReason,
    GenerationRequest,
    Sampling,
    Token,
    Usage,
)
from app.logs import engine_log_path
from app.models.models_cli import add_models_commands
from app.settings import SETTINGS, Setting, Settings, coerce
from app.storage.history_cli import add_history_commands

EXIT_BAD_INPUT = 2
EXIT_ENGINE = 3
EXIT_BROKEN_PIPE = 141
"""128 + SIGPIPE: what a shell reports for a command whose reader went away."""


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
        return 130


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
    ask.add_argument("prompt", help="what to ask")
    ask.add_argument(
        "--image", action="append", default=[], type=Path, help="an image to include (repeatable)"
    )
    ask.add_argument("--system", default="", help="system prompt")
    ask.add_argument(
        "--json", action="store_true", help="print one JSON object at the end instead of streaming"
    )
    _add_setting_flags(ask)
    ask.set_defaults(run=_run_ask)

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
    detail = Detail.parse(values["detail"])
    images = [prepare_image(path, detail) for path in args.image]
    request = GenerationRequest(
        messages=[Message.user(args.prompt, images)],
        system_prompt=args.system,
        placement=SystemPlacement(values["system_placement"]),
        # --seed fixes the seed; without it each run draws one, reported with --json.
        sampling=Sampling(
            values["temperature"], values["top_p"], values["max_tokens"], values["seed"]
        ).with_fixed_seed(),
    )
    backend = make_backend(
        values,
        lambda text: print(f"pixtral-desk: {text}", file=sys.stderr),
        settings_path=Settings(args.config).path,
        log_path=engine_log_path(args.log_dir),
    )
    interrupted = threading.Event()

    def on_interrupt(_signum: int, _frame: object) -> None:
        interrupted.set()
        backend.cancel()

    previous = signal.signal(signal.SIGINT, on_interrupt)
    try:
        return _stream(backend.generate(request), args.json, images, request.sampling.seed)
    finally:
        signal.signal(signal.SIGINT, previous)
        backend.close()


def _stream(events: Any, as_json: bool, images: list, seed: int) -> int:
    usage: Usage | None = None
    for event in events:
        if isinstance(event, Token) and not as_json:
            sys.stdout.write(event.text)
            sys.stdout.flush()
        elif isinstance(event, Usage):
            usage = event
        elif isinstance(event, EngineError):
            if event.text and not as_json:
                print()
            print(f"pixtral-desk: {event.message}", file=sys.stderr)
            if as_json:
                print(
                    json.dumps(
                        {"error": event.kind.value, "message": event.message, "text": event.text}
                    )
                )
            return (
                EXIT_BAD_INPUT
                if event.kind.value
                in ("bad_input", "model_file", "context_overflow", "auth", "privacy")
                else EXIT_ENGINE
            )
        elif isinstance(event, Finished):
            if as_json:
                print(json.dumps(_summary(event, usage, images, seed)))
            else:
                print()
                if event.reason is FinishReason.CANCELLED:
                    print("[stopped]", file=sys.stderr)
            return 130 if event.reason is FinishReason.CANCELLED else 0
    return EXIT_ENGINE


def _summary(finished: Finished, usage: Usage | None, images: list, seed: int) -> dict[str, Any]:
    out: dict[str, Any] = {
        "text": finished.text,
        "finish_reason": finished.reason.value,
        "stopped": finished.reason is FinishReason.CANCELLED,
        "seed": seed,
    }
    if usage is not None:
        data = asdict(usage)
        out.update(
            prompt_tokens=usage.prompt_tokens,
            image_tokens=list(usage.image_tokens),
            cached_tokens=usage.cached_tokens,
            evaluated_tokens=usage.evaluated_tokens,
            images_encoded=usage.images_encoded,
            generated_tokens=usage.generated_tokens,
            ttft_s=round(usage.ttft_s, 4),
            tokens_per_s=round(usage.tokens_per_s, 2),
            prefill_s=round(data["prefill_s"], 4),
            backend=usage.backend,
            device=usage.device,
            n_ctx=usage.n_ctx,
        )
    out["images"] = [
        {"name": i.name, "prepared_size": list(i.size), "tokens": i.tokens} for i in images
    ]
    return out


if __name__ == "__main__":
    raise SystemExit(main())
