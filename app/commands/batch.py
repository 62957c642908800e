"""``pixtral-desk batch``: one question over many images and PDF pages, one JSON line each.

Every input is answered on its own (its own context, nothing from the others), but the
shared prefix — the system prompt and the instructions — is laid out *before* each input's
image, so the local engine's KV cache keeps it from one input to the next and reads only the
new image and a few tokens per item. (Pixtral's template moves a lone trailing image in front
of the text; a short line naming the input after the image keeps the instructions first.)

Lines are written and flushed one at a time, so a run that is stopped, killed or crashes keeps
what it answered, and ``--resume`` reads the output file back to skip those inputs. A bad file
gets its own line with an error and the run goes on; the exit code says some failed.
Ctrl-C asks to stop after the current input (a second one stops it at once).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any

from app.commands.batch_inputs import BatchItem, ItemReader, expand_items
from app.commands.exit_codes import EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_SOME_FAILED
from app.commands.inputs import PageMode, add_page_flags, page_mode, read_prompt, read_schema
from app.commands.progress import Progress
from app.commands.turn import FATAL_KINDS, TurnResult, parsed_json, run_turn
from app.core.conversation import ImagePart, Message, Part, Role, TextPart
from app.core.errors import UserFacingError
from app.core.images import Detail
from app.core.prompt import SystemPlacement
from app.engine.base import Backend, GenerationRequest, Sampling
from app.workflows.presets import load_presets_or_builtins


@dataclass(frozen=True)
class BatchPlan:
    """What every input is asked, decided once before the first one."""

    prompt: str
    system: str
    sampling: Sampling
    detail: Detail
    mode: PageMode
    pages: str | None


def add_batch_command(
    commands: argparse._SubParsersAction,
    add_setting_flags: Callable[[argparse.ArgumentParser], None],
) -> argparse.ArgumentParser:
    batch = commands.add_parser(
        "batch", help="answer one prompt for each image or PDF page, one JSON line each"
    )
    batch.add_argument(
        "--each", nargs="+", required=True, metavar="FILE",
        help="images and PDFs (each page is one input); quoted globs are expanded",
    )  # fmt: skip
    batch.add_argument(
        "--prompt", default=None, help="the question, or a preset's id (- reads standard input)"
    )
    batch.add_argument("--prompt-file", type=Path, default=None, help="read the question here")
    batch.add_argument("--system", default="", help="system prompt")
    add_page_flags(batch, "all")
    batch.add_argument("--json-schema", type=Path, default=None, help="answers follow this schema")
    batch.add_argument("-o", "--output", type=Path, default=None, help="write the lines here")
    batch.add_argument(
        "--resume", action="store_true", help="skip inputs already answered in --output"
    )
    add_setting_flags(batch)
    return batch


def plan_batch(args: argparse.Namespace, values: dict[str, Any], presets_file: Path) -> BatchPlan:
    """The prompt (a preset's, when ``--prompt`` names one), schema, detail and sampling."""
    prompt_arg = args.prompt
    detail = values["detail"]
    schema = read_schema(args.json_schema) if args.json_schema else ""
    presets, _problem = load_presets_or_builtins(presets_file)
    preset = next((p for p in presets if p.id == prompt_arg), None)
    if preset is not None:
        prompt_arg = preset.prompt
        if args.detail is None and preset.detail:
            detail = preset.detail
        schema = schema or (preset.json_schema or "")
    prompt = read_prompt(prompt_arg, args.prompt_file)
    sampling = Sampling(
        values["temperature"], values["top_p"], values["max_tokens"], values["seed"]
    ).with_fixed_seed()
    return BatchPlan(
        prompt=prompt,
        system=args.system,
        sampling=replace(sampling, json_schema=schema),
        detail=Detail.parse(detail),
        mode=page_mode(args),
        pages=args.pages,
    )


def item_message(prompt: str, parts: list[Part], name: str) -> Message:
    """The shared instructions first, then the input; a line naming the input closes a message
    that would otherwise end with its image (which the template would move to the front)."""
    closing = [TextPart(f"Input: {name}")] if parts and isinstance(parts[-1], ImagePart) else []
    return Message(Role.USER, [TextPart(prompt), *parts, *closing])


def answered_inputs(path: Path) -> set[str]:
    """Inputs with an answer line (no error) in an earlier run's output; torn lines ignored."""
    done: set[str] = set()
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            for line in handle:
                with contextlib.suppress(ValueError, RecursionError):
                    record = json.loads(line)
                    if isinstance(record, dict) and record.get("error") is None:
                        name = record.get("input")
                        if isinstance(name, str):
                            done.add(name)
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise UserFacingError(f"'{path}' cannot be read ({exc.strerror}).") from None
    return done


def open_output(path: Path | None, resume: bool) -> IO[str]:
    """Where the lines go: stdout, or the file (appended to with ``--resume``, and a file that
    holds answers is never overwritten without it)."""
    if path is None:
        if resume:
            raise UserFacingError(
                "--resume needs --output FILE: the answers to skip are read there."
            )
        return sys.stdout
    if path.is_dir():
        raise UserFacingError(f"'{path}' is a folder; --output names the file for the lines.")
    if not resume and path.exists() and path.stat().st_size > 0:
        raise UserFacingError(
            f"'{path}' already holds answers; add --resume to skip them, or remove the file."
        )
    try:
        handle = path.open("a", encoding="utf-8")
    except OSError as exc:
        raise UserFacingError(f"'{path}' cannot be written ({exc.strerror}).") from None
    if handle.tell() > 0:  # a killed run may have left half a line: start on a fresh one
        with path.open("rb") as check:
            check.seek(-1, os.SEEK_END)
            if check.read(1) != b"\n":
                handle.write("\n")
    return handle


class BatchRun:
    """The loop over the inputs, its Ctrl-C handling and its summary."""

    def __init__(
        self,
        plan: BatchPlan,
        backend: Backend,
        items: list[BatchItem],
        out: IO[str],
        progress: Progress,
        skipped: int = 0,
    ) -> None:
        self.plan = plan
        self.backend = backend
        self.items = items
        self.out = out
        self.progress = progress
        self.skipped = skipped
        self.answered = self.failed = 0
        self.stop_requested = threading.Event()
        self.fatal: str = ""

    def run(self) -> int:
        previous = signal.signal(signal.SIGINT, self._on_interrupt)
        reader = ItemReader(self.plan.detail, self.plan.mode)
        try:
            for index, item in enumerate(self.items):
                if self.stop_requested.is_set():
                    break
                self.progress.start(index, item.name)
                record = self._answer(item, reader)
                if record is None:  # cancelled by a second Ctrl-C: no line, resume redoes it
                    break
                self._write(record)
                self.progress.done(index + 1, self.answered, self.failed)
                if self.fatal:
                    break
        finally:
            signal.signal(signal.SIGINT, previous)
            reader.close()
            self.progress.end()
        return self._summary()

    def _answer(self, item: BatchItem, reader: ItemReader) -> dict[str, Any] | None:
        record: dict[str, Any] = {"input": item.name, "answer": None}
        try:
            parts = reader.parts(item)
        except UserFacingError as exc:
            return self._failed(record, "bad_input", str(exc))
        request = GenerationRequest(
            messages=[item_message(self.plan.prompt, parts, item.name)],
            system_prompt=self.plan.system,
            placement=SystemPlacement.PIXTRAL,
            sampling=self.plan.sampling,
        )
        result = run_turn(self.backend.generate(request))
        if result.cancelled:
            return None
        record.update(answer=result.text, tokens=result.tokens(), timings=result.timings())
        if result.finished is not None:
            record["finish_reason"] = result.finished.reason.value
        if result.error is not None:
            if result.error.kind in FATAL_KINDS:
                self.fatal = result.error.message
            return self._failed(record, result.error.kind.value, result.error.message)
        if self.plan.sampling.json_schema:
            return self._with_json(record, result)
        record["error"] = None
        self.answered += 1
        return record

    def _with_json(self, record: dict[str, Any], result: TurnResult) -> dict[str, Any]:
        value, problem = parsed_json(result.text)
        if problem:
            cut = (
                " It was cut at the answer limit; raise --max-tokens."
                if (record.get("finish_reason") == "length")
                else ""
            )
            return self._failed(record, "invalid_json", problem + cut)
        record["answer"] = value
        record["error"] = None
        self.answered += 1
        return record

    def _failed(self, record: dict[str, Any], kind: str, message: str) -> dict[str, Any]:
        self.failed += 1
        record["error"] = {"kind": kind, "message": message}
        self.progress.note(f"{record['input']}: {message}")
        return record

    def _write(self, record: dict[str, Any]) -> None:
        self.out.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.out.flush()
        if self.out is not sys.stdout:
            with contextlib.suppress(OSError, ValueError):
                os.fsync(self.out.fileno())

    def _on_interrupt(self, _signum: int, _frame: object) -> None:
        if self.stop_requested.is_set():
            self.backend.cancel()  # the second Ctrl-C: stop the current input too
            return
        self.stop_requested.set()
        self.progress.note("stopping after this input (Ctrl-C again to stop now)")

    def _summary(self) -> int:
        left = len(self.items) - self.answered - self.failed
        words = [f"{self.answered} answered", f"{self.failed} failed"]
        if self.skipped:
            words.append(f"{self.skipped} skipped (already answered)")
        if left:
            words.append(f"{left} not done")
        print(f"pixtral-desk batch: {', '.join(words)}.", file=sys.stderr)
        if self.fatal:
            print(f"pixtral-desk: stopped: {self.fatal}", file=sys.stderr)
            return EXIT_BAD_INPUT
        if self.stop_requested.is_set() and left:
            print("pixtral-desk: stopped; run again with --resume to do the rest.", file=sys.stderr)
            return EXIT_INTERRUPTED
        return EXIT_SOME_FAILED if self.failed else 0


def run_batch(
    args: argparse.Namespace,
    values: dict[str, Any],
    presets_file: Path,
    backend_for: Callable[[], Backend],
    check_local: Callable[[], None],
) -> int:
    plan = plan_batch(args, values, presets_file)
    items = expand_items(args.each, plan.pages)
    if any(item.page is not None for item in items):
        check_local()  # documents never leave the computer: refused before a page is read
    skip = answered_inputs(args.output) if args.resume and args.output else set()
    todo = [item for item in items if item.name not in skip]
    backend = backend_for()  # a missing model is said before the output file is touched
    try:
        out = open_output(args.output, args.resume)
    except BaseException:
        backend.close()
        raise
    to_terminal = out is sys.stdout and sys.stdout.isatty()
    progress = Progress(len(todo), sys.stderr, enabled=not to_terminal)
    try:
        return BatchRun(plan, backend, todo, out, progress, len(items) - len(todo)).run()
    finally:
        backend.close()
        if out is not sys.stdout:
            out.close()
