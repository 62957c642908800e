"""Benchmark of ``pixtral-desk batch``: items per minute, and what the shared prefix saves.

On the random-weight mid-size Pixtral pair of ``engine_bench`` (real llama.cpp and mtmd code
paths, real tensor shapes, gibberish answers), N images are each answered with the same long
preset prompt (~300 tokens with its system prompt), two ways, each on a fresh engine:

a. **batch layout** — ``app.commands.batch.item_message``, what ``pixtral-desk batch`` sends:
   system prompt and instructions first, then the image, so the KV cache keeps the shared text
   from one input to the next and each item evaluates only its image and a closing line;
b. **fresh prompt per item** — ``Message.user(prompt, [image])``, what a loop of
   ``pixtral-desk ask --image`` sends: the template puts a lone image first, so nothing after
   ``[INST]`` is shared and every item evaluates the whole prompt again.

Both run the same engine calls (``run_turn`` over ``LocalBackend.generate``); the report gives
items per minute (load excluded, said apart), the engine's evaluated and cached tokens per
item, and how much CPU other processes used meanwhile (timings on a shared machine are only
as good as its quiet).

Usage::

    python tests/bench/batch_bench.py [--count 50] [--detail low] [--max-tokens 16]
        [--dtype q4_k] [--threads N] [--out FILE.md]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from app.commands.batch import item_message  # noqa: E402
from app.commands.turn import run_turn  # noqa: E402
from app.core.conversation import ImagePart, Message  # noqa: E402
from app.core.images import Detail, PreparedImage, prepare_image  # noqa: E402
from app.engine.base import GenerationRequest, Sampling  # noqa: E402
from app.engine.local.backend import LocalBackend  # noqa: E402
from app.engine.local.protocol import LocalEngineConfig  # noqa: E402
from app.models.cpu_threads import thread_counts  # noqa: E402
from app.workflows.presets import builtin_presets  # noqa: E402
from tests.bench.engine_bench import (  # noqa: E402
    OtherLoad,
    describe_machine,
    md_table,
    model_pair,
)

SYSTEM = (
    "You are a careful bookkeeping assistant. You read scanned receipts and invoices for a "
    "small business and answer only with the data asked for. Never invent a value: when a "
    "field is not printed on the document, say null. Amounts are in the document's currency."
)


@dataclass
class ModeResult:
    name: str
    load_s: float
    run_s: float
    evaluated: list[int]
    cached: list[int]
    prompt: list[int]
    other_share: float
    prefill_s: list[float]
    item_s: list[float]

    @property
    def items_per_min(self) -> float:
        return len(self.evaluated) / self.run_s * 60 if self.run_s > 0 else 0.0


def receipt_images(count: int, detail: Detail) -> list[PreparedImage]:
    """Seeded noise "scans" (what a page costs does not depend on what it shows)."""
    images = []
    for index in range(count):
        rng = np.random.default_rng(index)
        pixels = rng.integers(0, 256, size=(640, 480, 3), dtype=np.uint8)
        out = io.BytesIO()
        Image.fromarray(pixels, "RGB").save(out, format="PNG")
        images.append(prepare_image(out.getvalue(), detail, name=f"receipt-{index:03}.png"))
    return images


def run_mode(
    name: str,
    config: LocalEngineConfig,
    layout: Callable[[str, PreparedImage], Message],
    prompt: str,
    images: list[PreparedImage],
    sampling: Sampling,
    log: Path,
) -> ModeResult:
    evaluated: list[int] = []
    cached: list[int] = []
    prompts: list[int] = []
    prefill_s: list[float] = []
    item_s: list[float] = []
    with OtherLoad() as load:
        backend = LocalBackend(config, log_path=log)
        started = time.perf_counter()
        for _event in backend.load():
            pass
        loaded = time.perf_counter()
        for index, image in enumerate(images):
            request = GenerationRequest([layout(prompt, image)], SYSTEM, sampling=sampling)
            result = run_turn(backend.generate(request))
            if result.error is not None or result.usage is None:
                raise SystemExit(f"{name}, item {index}: {result.error}")
            evaluated.append(result.usage.evaluated_tokens)
            cached.append(result.usage.cached_tokens)
            prompts.append(result.usage.prompt_tokens)
            prefill_s.append(result.usage.prefill_s)
            item_s.append(result.wall_s)
            print(f"  {name} {index + 1}/{len(images)}: {result.usage.evaluated_tokens} evaluated, "
                  f"prefill {result.usage.prefill_s:.2f} s, item {result.wall_s:.2f} s",
                  flush=True)  # fmt: skip
        done = time.perf_counter()
        backend.close()
    return ModeResult(
        name, loaded - started, done - loaded, evaluated, cached, prompts, load.share,
        prefill_s, item_s,
    )  # fmt: skip


def batch_layout(prompt: str, image: PreparedImage) -> Message:
    return item_message(prompt, [ImagePart(image)], image.name)


def fresh_layout(prompt: str, image: PreparedImage) -> Message:
    return Message.user(prompt, [image])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=50, help="images (the target is 50)")
    parser.add_argument("--detail", choices=[d.value for d in Detail], default="low")
    parser.add_argument("--max-tokens", type=int, default=16, help="answer length per item")
    parser.add_argument("--dtype", choices=["f16", "q8_0", "q4_k"], default="q4_k")
    parser.add_argument(
        "--threads", type=int, default=0, help="0: the app's automatic choice (as the CLI)"
    )
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "pixtral-desk-bench"
    )
    args = parser.parse_args(argv)
    machine = describe_machine()
    pair = model_pair(args.workdir, "mid", args.dtype)
    preset = next(p for p in builtin_presets() if p.id == "receipt_json")
    images = receipt_images(args.count, Detail.parse(args.detail))
    threads = thread_counts(args.threads)
    config = LocalEngineConfig(
        str(pair.model), str(pair.mmproj), n_ctx=4096, n_gpu_layers=0,
        n_threads=threads.decode, n_threads_batch=threads.batch,
    )  # fmt: skip
    args.threads = f"{threads.decode} decode / {threads.batch} prompt"
    sampling = Sampling(temperature=0, max_tokens=args.max_tokens, seed=1)
    log = args.workdir / "batch-engine.log"
    results = [
        run_mode(name, config, layout, preset.prompt, images, sampling, log)
        for name, layout in (("batch layout", batch_layout), ("fresh prompt", fresh_layout))
    ]
    report = render(args, machine, results, images)
    print(report)
    if args.out:
        args.out.write_text(report + "\n", encoding="utf-8")
    return 0


def render(args: argparse.Namespace, machine: list, results: list[ModeResult], images) -> str:
    rows = []
    for r in results:
        later = r.evaluated[1:] or r.evaluated
        rows.append([
            r.name, f"{len(r.evaluated)}", f"{r.items_per_min:.1f}", f"{r.load_s:.1f}",
            f"{r.prompt[0]}", f"{r.evaluated[0]}", f"{statistics.mean(later):.1f}",
            f"{statistics.mean(r.cached[1:] or r.cached):.1f}",
            f"{statistics.median(r.prefill_s[1:] or r.prefill_s):.2f}",
            f"{statistics.median(r.item_s[1:] or r.item_s):.2f}", f"{r.other_share:.0%}",
        ])  # fmt: skip
    batch, fresh = results
    saved = 1 - sum(batch.evaluated) / sum(fresh.evaluated)
    speedup = batch.items_per_min / fresh.items_per_min if fresh.items_per_min else 0.0
    header = ["layout", "items", "items/min", "load s", "prompt tokens (item 1)",
              "evaluated (item 1)", "evaluated / item (items 2+)", "cached / item (items 2+)",
              "prefill s (median, 2+)", "item s (median, 2+)", "other processes' CPU"]  # fmt: skip
    lines = [
        f"Mid-size random-weight pair ({args.dtype}), {args.count} images at detail "
        f"{args.detail} ({images[0].tokens} image tokens each), the receipt_json preset and a "
        f"system prompt, {args.max_tokens}-token answers, {args.threads} threads, n_ctx 4096.",
        "",
        md_table(header, rows),
        "",
        f"Evaluated tokens, whole run: {sum(batch.evaluated):,} (batch) vs "
        f"{sum(fresh.evaluated):,} (fresh): {saved:.0%} fewer; items/min {speedup:.2f}×.",
        "",
        "| machine | |",
        "|---|---|",
        *[f"| {key} | {value} |" for key, value in machine],
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
