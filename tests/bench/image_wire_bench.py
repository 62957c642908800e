"""What the app sends down the pipe to the llama.cpp worker per turn of an image-heavy chat.

Mid-size random-weight model, on CPU, screenshots of 1024×1024 (3 MB of RGB, 4,160 tokens each).
Two phases, each on its own worker:

- **meter**: a chat gathers 20 screenshots, 4 per turn over 5 turns, then 2 text-only turns;
  on each turn the context meter asks for an exact count of the next prompt (``count_tokens``,
  as ``app/ui/composer/meter_feed.py`` does after every pause in typing). No answers are generated
  (earlier answers are a fixed "OK."), so it needs no prefill of 83,000 image tokens and
  takes seconds.
- **answers**: 4 screenshots in the first turn, then 3 text-only follow-ups; each turn is a
  count then an answer, timed to the first token (the first turn reads 16,640 image tokens).

For each call it records:

- **bytes sent**: the pickled command as it goes into the pipe (every ``send``/``send_bytes``
  on the backend's connection, wrapped after the model is loaded, so old and new code are
  measured the same way) and how many images went with their pixels;
- **send s**: parent-side time to pickle and write it (the worker reads concurrently, so this
  is the transfer; unpickling in the worker comes on top and shows in the wall time);
- **wall TTFT**: from calling ``generate`` to the first ``Token`` event, and the worker's own
  ``Usage.ttft_s`` (from the command's arrival), whose difference is the transport overhead.

Why: every turn used to carry every image's raw RGB however many times the worker had seen
it. Usage::

    python tests/bench/image_wire_bench.py [--meter-images 20] [--answer-images 4]
        [--out FILE.md] [--label before]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from multiprocessing.reduction import ForkingPickler
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from app.core.conversation import Message  # noqa: E402
from app.core.images import PreparedImage  # noqa: E402
from app.engine.base import (  # noqa: E402
    EngineError,
    Finished,
    GenerationRequest,
    Sampling,
    Token,
    Usage,
)
from app.engine.local.backend import LocalBackend  # noqa: E402
from tests.bench.engine_bench import (  # noqa: E402
    Options,
    OtherLoad,
    describe_machine,
    md_table,
    model_pair,
    new_backend,
    noise_image,
)


class CountingConnection:
    """The backend's pipe end, counting what is written to it and how long writing takes.

    ``send`` is done as ``multiprocessing.connection.Connection.send`` does it (pickle, then
    ``send_bytes``), so the worker receives exactly what it would have.
    """

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self.bytes_sent = 0
        self.send_s = 0.0

    def send(self, obj: object) -> None:
        started = time.perf_counter()
        data = ForkingPickler.dumps(obj)
        self._conn.send_bytes(data)
        self.send_s += time.perf_counter() - started
        self.bytes_sent += len(data)

    def send_bytes(self, data: Any, *args: Any) -> None:
        started = time.perf_counter()
        self._conn.send_bytes(data, *args)
        self.send_s += time.perf_counter() - started
        self.bytes_sent += len(memoryview(data).cast("B")) if not args else args[-1]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


@dataclass
class Call:
    turn: int
    kind: str
    images_in_prompt: int
    bytes_sent: int
    send_s: float
    wall_ttft_s: float | None = None
    worker_ttft_s: float | None = None
    wall_s: float = 0.0
    images_with_pixels: int | None = None


def _wire_images(backend: LocalBackend) -> int | None:
    """Images sent with their pixels so far, where the backend counts them (new code only)."""
    wire = getattr(backend, "wire", None)
    return None if wire is None else wire.images_sent


def _measured(backend: LocalBackend, conn: CountingConnection, call: Call, run: Any) -> Call:
    if backend._conn is not conn:
        raise RuntimeError("the worker restarted during the benchmark; numbers would be wrong")
    bytes0, send0, images0 = conn.bytes_sent, conn.send_s, _wire_images(backend)
    started = time.perf_counter()
    run(call)
    call.wall_s = time.perf_counter() - started
    call.bytes_sent = conn.bytes_sent - bytes0
    call.send_s = conn.send_s - send0
    images1 = _wire_images(backend)
    if images0 is not None and images1 is not None:
        call.images_with_pixels = images1 - images0
    return call


def run_conversation(
    backend: LocalBackend,
    turns: list[tuple[str, list[PreparedImage]]],
    max_tokens: int,
    answer: bool,
) -> list[Call]:
    """Each turn: the meter's count, then (with ``answer``) the answer, timed."""
    conn = CountingConnection(backend._conn)
    backend._conn = conn
    greedy = Sampling(temperature=0.0, max_tokens=max_tokens, seed=1)
    messages: list[Message] = []
    calls: list[Call] = []
    for index, (question, images) in enumerate(turns, start=1):
        messages.append(Message.user(question, images))
        request = GenerationRequest(list(messages), sampling=greedy)
        n_images = sum(len(m.images) for m in messages)

        def count(call: Call, request: GenerationRequest = request) -> None:
            result = backend.count_tokens(request)
            if isinstance(result, EngineError):
                raise RuntimeError(f"count failed: {result.message}\n{result.detail}")

        calls.append(_measured(backend, conn, Call(index, "count", n_images, 0, 0.0), count))
        if not answer:
            messages.append(Message.assistant("OK."))
            print(
                f"  turn {index} ({n_images} images): count {calls[-1].bytes_sent / 1e6:.2f} MB "
                f"in {calls[-1].send_s:.3f} s, call {calls[-1].wall_s:.3f} s",
                flush=True,
            )
            continue
        text = [""]

        def generate(
            call: Call, request: GenerationRequest = request, text: list[str] = text
        ) -> None:
            started = time.perf_counter()
            for event in backend.generate(request):
                if isinstance(event, Token) and call.wall_ttft_s is None:
                    call.wall_ttft_s = time.perf_counter() - started
                elif isinstance(event, Usage):
                    call.worker_ttft_s = event.ttft_s
                elif isinstance(event, Finished):
                    text[0] = event.text
                elif isinstance(event, EngineError):
                    raise RuntimeError(f"engine error: {event.message}\n{event.detail}")

        call = _measured(backend, conn, Call(index, "generate", n_images, 0, 0.0), generate)
        calls.append(call)
        messages.append(Message.assistant(text[0]))
        print(
            f"  turn {index} ({n_images} images): count {calls[-2].bytes_sent / 1e6:.2f} MB "
            f"in {calls[-2].send_s:.3f} s; generate {call.bytes_sent / 1e6:.2f} MB in "
            f"{call.send_s:.3f} s, wall TTFT {call.wall_ttft_s or 0:.3f} s, worker TTFT "
            f"{call.worker_ttft_s or 0:.3f} s",
            flush=True,
        )
    return calls


def plan(
    images: list[PreparedImage], images_per_turn: int, text_turns: int
) -> list[tuple[str, list[PreparedImage]]]:
    turns: list[tuple[str, list[PreparedImage]]] = []
    for index, start in enumerate(range(0, len(images), images_per_turn)):
        batch = images[start : start + images_per_turn]
        turns.append((f"Here are {images_per_turn} more screenshots (set {index + 1}).", batch))
    for index in range(text_turns):
        turns.append((f"Which screenshot is the brightest? (follow-up {index + 1})", []))
    return turns


def _size(n: int) -> str:
    return f"{n / 1e6:,.2f} MB" if n >= 100_000 else f"{n / 1e3:,.1f} kB"


def table(calls: list[Call]) -> str:
    rows = []
    for c in calls:
        rows.append(
            [
                str(c.turn),
                c.kind,
                str(c.images_in_prompt),
                "—" if c.images_with_pixels is None else str(c.images_with_pixels),
                _size(c.bytes_sent),
                f"{c.send_s * 1000:,.1f}",
                "—" if c.wall_ttft_s is None else f"{c.wall_ttft_s:.3f}",
                "—" if c.worker_ttft_s is None else f"{c.worker_ttft_s:.3f}",
                "—"
                if c.wall_ttft_s is None or c.worker_ttft_s is None
                else f"{(c.wall_ttft_s - c.worker_ttft_s) * 1000:,.0f}",
                f"{c.wall_s:.3f}",
            ]
        )
    header = [
        "turn", "call", "images in prompt", "sent with pixels", "bytes sent", "send ms",
        "wall TTFT s", "worker TTFT s", "wall − worker ms", "call wall s",
    ]  # fmt: skip
    return md_table(header, rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meter-images", type=int, default=20)
    parser.add_argument("--answer-images", type=int, default=4)
    parser.add_argument("--max-tokens", type=int, default=4)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--n-batch", type=int, default=2048)
    parser.add_argument("--label", default="")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "pixtral-desk-wire-bench"
    )
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    machine = describe_machine()
    pair = model_pair(args.workdir, "mid", "f16")
    screenshots = [noise_image(1024, 1024, 500 + i) for i in range(args.meter_images)]
    phases = [
        ("meter", plan(screenshots, 4, 2), False),
        ("answers", plan(screenshots[: args.answer_images], args.answer_images, 3), True),
    ]
    out = [f"### {args.label or 'run'}", ""]
    for name, turns, answer in phases:
        n_images = sum(len(images) for _question, images in turns)
        opts = Options(
            pair=pair,
            n_ctx=(n_images * 4160 + 2048 + 255) // 256 * 256,
            n_batch=args.n_batch,
            n_threads=args.threads,
            gpu=False,
            max_tokens=args.max_tokens,
            log_path=args.workdir / "engine.log",
        )
        print(f"{name}: {n_images} images over {len(turns)} turns", flush=True)
        backend = new_backend(opts)
        try:
            with OtherLoad() as load:
                calls = run_conversation(backend, turns, args.max_tokens, answer)
        finally:
            backend.close()
        total = sum(c.bytes_sent for c in calls)
        out += [
            f"**{name}**: {n_images} images of 1024×1024 over {len(turns)} turns; n_ctx "
            f"{opts.n_ctx}, n_batch {args.n_batch}, n_threads {args.threads}"
            + (f", greedy {args.max_tokens} tokens" if answer else "")
            + f". Sent in all: {total / 1e6:,.1f} MB. Other processes used {load.share:.0%} of "
            "all cores meanwhile.",
            "",
            table(calls),
            "",
        ]
    out += [
        f"Benchmark wall {time.perf_counter() - started:.0f} s.",
        "",
        md_table(["", ""], [[k, v] for k, v in machine]),
        "",
    ]
    text = "\n".join(out)
    print(text)
    if args.out:
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
