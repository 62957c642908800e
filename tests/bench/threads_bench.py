"""Decode speed with all logical cores versus the automatic thread count, idle and under load.

Why: llama.cpp's CPU threads meet at a barrier after every operation of a decode step, and
wait there (spinning) for the slowest. With one thread per logical core, another busy process
takes a core from one of them and every step waits for it; on this project's 2-core machine
decode fell from ~160 to 3–6 tokens/s with ~45 % load from other work. The app's automatic
count (``app.models.cpu_threads.default_threads``: physical cores, one left free on machines
with ≤ 4) is meant to hold up; this measures whether it does.

For each thread setting (every logical core for both decode and batch, as the app used to do;
and the automatic counts) and each load (none; one ``python -c "while True: pass"`` child free
to move; the same child pinned to the last CPU) it times, on a fresh load each:

* **ours**: ``LocalBackend`` (the worker process, the app's decode loop): prefill tokens/s of a
  ~300-token prompt and decode tokens/s (``Usage``), decode stopped after ``--seconds`` or
  ``--tokens``;
* **bare**: a plain low-level llama-cpp-python loop in a fresh interpreter with the same
  threads, context and greedy sampler, timed the same way.

The model is the mid-size random-weight Pixtral-shaped pair of ``tests/fixtures/pixtral_gguf.py``
(answers are gibberish; speed is real). *Other load* is the share of all cores that processes
other than this benchmark and its children used meanwhile (a shared machine is never idle).

Usage::

    python tests/bench/threads_bench.py [--dtype q8_0] [--seconds 4] [--tokens 256]
        [--rounds 2] [--workdir DIR] [--out FILE.md]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from app.core.conversation import Message  # noqa: E402
from app.engine.base import EngineError, GenerationRequest, Sampling, Token, Usage  # noqa: E402
from app.engine.local.backend import LocalBackend  # noqa: E402
from app.engine.local.protocol import LocalEngineConfig  # noqa: E402
from app.models.cpu_threads import ThreadCounts, default_threads, read_topology  # noqa: E402
from tests.bench.engine_bench import (  # noqa: E402
    DECODE_PROMPT,
    FILLER_SENTENCE,
    OtherLoad,
    describe_machine,
    model_pair,
)

N_CTX = 4096
N_BATCH = 512
PROMPT = FILLER_SENTENCE * 3 + "\n\n" + DECODE_PROMPT
LOADS = ("none added", "1 busy process", "1 busy process, pinned")

# The bare loop runs in a fresh interpreter (as the engine's worker does), reads its arguments
# as JSON and prints one JSON line: prefill and decode tokens/s.
BARE_LOOP = r"""
import json, sys, time
import llama_cpp.llama_cpp as llama
a = json.loads(sys.argv[1])
llama.llama_backend_init()
mparams = llama.llama_model_default_params()
mparams.n_gpu_layers = 0
model = llama.llama_model_load_from_file(a["model"].encode(), mparams)
cparams = llama.llama_context_default_params()
cparams.n_ctx, cparams.n_batch, cparams.n_ubatch = a["n_ctx"], a["n_batch"], a["n_batch"]
cparams.n_threads, cparams.n_threads_batch = a["decode"], a["batch"]
cparams.type_k = cparams.type_v = 1
cparams.flash_attn_type = llama.LLAMA_FLASH_ATTN_TYPE_AUTO
ctx = llama.llama_init_from_model(model, cparams)
vocab = llama.llama_model_get_vocab(model)
text = ("[INST]" + a["prompt"] + "[/INST]").encode()
buf = (llama.llama_token * (len(text) + 8))()
n = llama.llama_tokenize(vocab, text, len(text), buf, len(buf), True, True)
start = time.perf_counter()
for at in range(0, n, a["n_batch"]):
    size = min(a["n_batch"], n - at)
    chunk = (llama.llama_token * size)(*buf[at : at + size])
    if llama.llama_decode(ctx, llama.llama_batch_get_one(chunk, size)) != 0:
        raise SystemExit("prefill failed")
prefill_s = time.perf_counter() - start
sampler = llama.llama_sampler_chain_init(llama.llama_sampler_chain_default_params())
llama.llama_sampler_chain_add(sampler, llama.llama_sampler_init_greedy())
one = (llama.llama_token * 1)()
token = llama.llama_sampler_sample(sampler, ctx, -1)
first = time.perf_counter()
produced = 1
while produced < a["tokens"] and time.perf_counter() - first < a["seconds"]:
    one[0] = token
    if llama.llama_decode(ctx, llama.llama_batch_get_one(one, 1)) != 0:
        raise SystemExit("decode failed")
    token = llama.llama_sampler_sample(sampler, ctx, -1)
    produced += 1
decode_s = time.perf_counter() - first
print(json.dumps({"prompt": n, "prefill": n / prefill_s, "decode": (produced - 1) / decode_s,
                  "tokens": produced}))
"""


@dataclass
class Row:
    setting: str
    threads: ThreadCounts
    load: str
    engine: str
    prompt_tokens: int
    prefill_tps: float
    decode_tps: float
    tokens: int
    other_load: float


@contextmanager
def busy_process(load: str) -> Iterator[None]:
    """One child spinning on a CPU for the block (pinned to the last allowed CPU if asked)."""
    if load == "none added":
        yield
        return
    child = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        if "pinned" in load and hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(child.pid, {max(os.sched_getaffinity(0))})
        time.sleep(0.3)  # let it start spinning
        yield
    finally:
        child.kill()
        child.wait()  # reaped inside the block: its CPU time counts as ours, not as other load


def run_ours(pair_model: Path, pair_mmproj: Path, threads: ThreadCounts, args: argparse.Namespace):
    config = LocalEngineConfig(
        model_path=str(pair_model),
        mmproj_path=str(pair_mmproj),
        n_ctx=N_CTX,
        n_batch=N_BATCH,
        n_gpu_layers=0,
        n_threads=threads.decode,
        n_threads_batch=threads.batch,
    )
    backend = LocalBackend(config, log_path=args.workdir / "engine.log")
    try:
        for event in backend.load():
            if isinstance(event, EngineError):
                raise RuntimeError(f"engine failed to load: {event.message}")
        sampling = Sampling(temperature=0.0, max_tokens=args.tokens, seed=1)
        request = GenerationRequest(messages=[Message.user(PROMPT)], sampling=sampling)
        usage: Usage | None = None
        first: float | None = None
        for event in backend.generate(request):
            if isinstance(event, Token):
                now = time.perf_counter()
                first = first or now
                if now - first >= args.seconds:
                    backend.cancel()  # the worker still reports Usage for what it decoded
            elif isinstance(event, Usage):
                usage = event
            elif isinstance(event, EngineError):
                raise RuntimeError(f"engine error: {event.message}")
        if usage is None:
            raise RuntimeError("no Usage event")
        prefill = usage.evaluated_tokens / usage.prefill_s if usage.prefill_s else 0.0
        return usage.prompt_tokens, prefill, usage.tokens_per_s, usage.generated_tokens
    finally:
        backend.close()


def run_bare(model: Path, threads: ThreadCounts, args: argparse.Namespace):
    payload = {
        "model": str(model),
        "n_ctx": N_CTX,
        "n_batch": N_BATCH,
        "decode": threads.decode,
        "batch": threads.batch,
        "prompt": PROMPT,
        "tokens": args.tokens,
        "seconds": args.seconds,
    }
    with open(args.workdir / "bare.log", "ab") as log:
        done = subprocess.run(
            [sys.executable, "-c", BARE_LOOP, json.dumps(payload)],
            stdout=subprocess.PIPE,
            stderr=log,
            check=True,
        )
    out = json.loads(done.stdout.decode().strip().splitlines()[-1])
    return out["prompt"], out["prefill"], out["decode"], out["tokens"]


def measure(pair, settings: dict[str, ThreadCounts], args: argparse.Namespace) -> list[Row]:
    rows: list[Row] = []
    for _round in range(args.rounds):
        for load in LOADS:
            for name, threads in settings.items():
                for engine in ("ours", "bare"):
                    with OtherLoad() as other, busy_process(load):
                        if engine == "ours":
                            result = run_ours(pair.model, pair.mmproj, threads, args)
                        else:
                            result = run_bare(pair.model, threads, args)
                    row = Row(name, threads, load, engine, *result, other_load=other.share)
                    rows.append(row)
                    print(
                        f"{load:<24} {name:<28} {engine:<5} prefill {row.prefill_tps:7.1f} "
                        f"decode {row.decode_tps:7.1f} tok/s ({row.tokens} tokens), "
                        f"other load {row.other_load:.0%}",
                        flush=True,
                    )
    return rows


def table(rows: list[Row]) -> str:
    """One Markdown row per (load, setting, engine); each cell lists its rounds in order.

    Rounds are not averaged: on a shared machine the other load differs between them, and a
    median would hide which numbers came from a quiet moment.
    """
    groups: dict[tuple[str, str, str], list[Row]] = {}
    for row in rows:
        groups.setdefault((row.load, row.setting, row.engine), []).append(row)
    lines = [
        "| competing load | threads (decode / batch) | engine | prefill tok/s | decode tok/s "
        "| tokens decoded | other load |",
        "|---|---|---|---|---|---|---|",
    ]
    for (load, setting, engine), group in groups.items():
        t = group[0].threads

        def cells(values: list[str]) -> str:
            return " / ".join(values)

        lines.append(
            f"| {load} | {setting}: {t.decode} / {t.batch} | {engine} "
            f"| {cells([f'{r.prefill_tps:.0f}' for r in group])} "
            f"| {cells([f'{r.decode_tps:.1f}' for r in group])} "
            f"| {cells([str(r.tokens) for r in group])} "
            f"| {cells([f'{r.other_load:.0%}' for r in group])} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dtype", default="q8_0", choices=("f16", "q8_0", "q4_k"))
    parser.add_argument("--seconds", type=float, default=4.0, help="decode time per run, at most")
    parser.add_argument("--tokens", type=int, default=256, help="decoded tokens per run, at most")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None, help="write the Markdown report here")
    args = parser.parse_args(argv)
    args.workdir = args.workdir or Path(tempfile.mkdtemp(prefix="threads-bench-"))
    args.workdir.mkdir(parents=True, exist_ok=True)

    started = time.perf_counter()
    pair = model_pair(args.workdir, "mid", args.dtype)
    topology = read_topology()
    logical = ThreadCounts(topology.logical, topology.logical)
    settings = {"all logical (before)": logical, "automatic (now)": default_threads(topology)}
    machine = describe_machine()
    rows = measure(pair, settings, args)
    elapsed = time.perf_counter() - started

    report = [
        f"# CPU threads under competing load (tests/bench/threads_bench.py --dtype {args.dtype})",
        "",
        f"Mid-size random-weight Pixtral-shaped pair ({args.dtype} text model), n_ctx {N_CTX}, "
        f"f16 KV, greedy; decode stopped after {args.seconds:g} s or {args.tokens} tokens; "
        f"{args.rounds} round(s), fresh load per run; CPU topology read by the app: "
        f"{topology.logical} logical CPUs, {topology.physical} physical cores. "
        f"Whole run {elapsed:.0f} s.",
        "",
        "| machine | |",
        "|---|---|",
        *("| " + key + " | " + value.replace("|", "\\|") + " |" for key, value in machine),
        "",
        table(rows),
    ]
    text = "\n".join(report) + "\n"
    print()
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
