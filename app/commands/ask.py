"""``pixtral-desk ask``: one question — typed, piped or from a file, with images and PDF
pages — streamed to stdout or printed as one JSON object, and kept in the history on request.

The question is built as the window builds it (``Composition``: images, then the document's
pages, then the text), so a saved turn looks in the window as if it had been typed there.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from app.commands.backend_use import check_local, checked_schema, notice, target_of_values
from app.commands.chat_link import (
    ChatContext,
    flags_given,
    load_chat,
    open_history,
    save_turn,
)
from app.commands.exit_codes import EXIT_BAD_INPUT, EXIT_ENGINE, EXIT_INTERRUPTED
from app.commands.inputs import expand_paths, page_mode, pdf_parts, read_prompt, typed
from app.commands.turn import TurnResult, parsed_json, run_turn
from app.core.composition import Composition
from app.core.conversation import Message, Role
from app.core.errors import UserFacingError
from app.core.images import Detail, prepare_image
from app.core.prompt import SystemPlacement
from app.engine.base import Backend, Finished, FinishReason, GenerationRequest, Sampling, Usage
from app.workflows.documents import DOCUMENT_ANSWER_TOKENS, MAX_IMAGE_PAGES

DOCUMENT_BUDGET_TOKENS = 16384
"""The context a PDF's default page choice fills 60 % of when ``--n-ctx`` is 0 (automatic):
the size is only known once the model is loaded, after the pages are chosen."""
MAX_QUESTION_IMAGES = MAX_IMAGE_PAGES
"""Images one question may carry, counted before any is decoded: the cap a document's drawn
pages have, for the same reason (a 128K context holds ~585 page-sized images at low detail),
so a glob over a photo library is refused at once, not after decoding every photo in it."""


def run_ask(
    args: argparse.Namespace,
    values: dict[str, Any],
    data_dir: Path | None,
    backend_for: Callable[[], Backend],
) -> int:
    detail = Detail.parse(values["detail"])
    if args.pages is not None and args.pdf is None:
        raise UserFacingError("--pages chooses pages of a PDF; name the PDF with --pdf.")
    if typed(args, "page_mode") and args.pdf is None:
        raise UserFacingError("--as says how a PDF's pages are sent; name the PDF with --pdf.")
    prompt = read_prompt(args.prompt, args.prompt_file)
    target = target_of_values(values)
    if args.pdf is not None:
        check_local(values)
    schema = checked_schema(args.json_schema, values)
    image_paths = expand_paths(args.image)
    if len(image_paths) > MAX_QUESTION_IMAGES:
        raise UserFacingError(
            f"{len(image_paths):,} images for one question; one takes at most "
            f"{MAX_QUESTION_IMAGES:,} (pixtral-desk batch answers each image on its own)."
        )
    images = [prepare_image(path, detail) for path in image_paths]
    document = (
        pdf_parts(
            args.pdf, args.pages, page_mode(args), detail,
            values["n_ctx"] or DOCUMENT_BUDGET_TOKENS, notice,
        )
        if args.pdf is not None
        else []
    )  # fmt: skip
    question = Composition(prompt, images, document).parts()
    store = open_history(data_dir) if args.save or args.chat is not None else None
    try:
        chat = (
            load_chat(store, args.chat, target)
            if store and args.chat is not None
            else ChatContext()
        )
        if args.system is not None:
            chat.system_prompt = args.system
        # As the window: the chat's own settings over the saved ones (a flag given wins), and a
        # document question, or a chat that had one, gets room for a cited answer, as far as
        # the context has room (unless --max-tokens says otherwise).
        answer_limit = DOCUMENT_ANSWER_TOKENS if document else 0
        sampling = chat.asked_with(
            Sampling(
                values["temperature"], values["top_p"], values["max_tokens"], values["seed"],
                json_schema=schema,
            ),
            flags_given(args),
            answer_limit,
        ).with_fixed_seed()  # fmt: skip
        request = GenerationRequest(
            messages=[*chat.messages, Message(Role.USER, question)],
            system_prompt=chat.system_prompt,
            placement=SystemPlacement(values["system_placement"]),
            sampling=sampling,
        )
        result = _answer(backend_for(), request, args.json)
        code = _report(result, args.json, images, request.sampling.seed, bool(schema))
        if store is not None and result.finished is not None:
            cid = save_turn(
                store, chat, question, result, backend=values["backend"],
                seed=sampling.seed, private=bool(document) or chat.private,
                answer_limit=answer_limit,
            )  # fmt: skip
            print(f"pixtral-desk: saved in chat {cid}", file=sys.stderr)
        return code
    finally:
        if store is not None:
            store.close()


def _answer(backend: Backend, request: GenerationRequest, as_json: bool) -> TurnResult:
    """Stream the answer (unless ``--json``); Ctrl-C stops it and keeps what was written."""
    interrupted = threading.Event()

    def on_interrupt(_signum: int, _frame: object) -> None:
        interrupted.set()
        backend.cancel()

    def write(text: str) -> None:
        sys.stdout.write(text)
        sys.stdout.flush()

    previous = signal.signal(signal.SIGINT, on_interrupt)
    try:
        return run_turn(backend.generate(request), None if as_json else write)
    finally:
        signal.signal(signal.SIGINT, previous)
        backend.close()


def _report(result: TurnResult, as_json: bool, images: list, seed: int, schema: bool) -> int:
    error = result.error
    if error is not None:
        if error.text and not as_json:
            print()
        print(f"pixtral-desk: {error.message}", file=sys.stderr)
        if as_json:
            print(
                json.dumps(
                    {"error": error.kind.value, "message": error.message, "text": error.text}
                )
            )
        return (
            EXIT_BAD_INPUT
            if error.kind.value
            in ("bad_input", "model_file", "context_overflow", "auth", "privacy")
            else EXIT_ENGINE
        )
    finished = result.finished
    if finished is None:
        return EXIT_ENGINE
    if as_json:
        summary = _summary(finished, result.usage, images, seed)
        if schema:  # the answer as the object it is, or why it is not one
            summary["json"], problem = parsed_json(result.text)
            if problem:
                summary["json_error"] = problem
        print(json.dumps(summary))
    else:
        print()
        if finished.reason is FinishReason.CANCELLED:
            print("[stopped]", file=sys.stderr)
    return EXIT_INTERRUPTED if finished.reason is FinishReason.CANCELLED else 0


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
