"""Benchmark: a long chat answers its next question at once after a switch or a restart.

On the random-weight Pixtral-shaped pair (``engine_bench.model_pair``: real llama.cpp and mtmd
code paths and tensor shapes, gibberish answers), a chat of ``--tokens`` prompt positions with
``--images`` images (two turns, each with half the text and half the images) is read once.
Then the time to first token of its next question is measured after:

a. **staying** in the chat (the KV sequence still holds it);
b. **switching** to another chat for one turn and back (the state comes back from RAM);
c. **restarting** the engine (the worker writes the state at shutdown; a new worker, its model
   preloaded as the app does at start, restores it from the cache folder);
d. **a full re-prefill**: a fresh engine with no saved state reads the whole chat.

Per KV type (``--kv f16,q8_0``) it reports the state's size per token on disk, the time to
write it (in the worker, while idle), to switch (keep one chat's state, restore the other's),
and to restore from disk, and whether (b) and (c) are within 10 % of (d). The disk budget's
effect is shown from the measured size: how many such chats the default 4 GiB holds, here and
at Pixtral 12B's shapes (the state is the KV cache: 2 × layers × KV heads × head size × bytes
per value, per position). ``--budget-check`` also runs (c) with a disk budget below the state's
size, to show the fallback to a full read.

The file just written is read back from the page cache, not the disk; on a busy shared machine
timings are noisy: the report lists how much CPU other processes used.

Usage::

    python tests/bench/resume_bench.py [--tokens 16000] [--images 4] [--kv f16,q8_0]
        [--dtype f16] [--workdir DIR] [--out FILE.md] [--budget-check]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from app.core.budget import KvType  # noqa: E402
from app.core.conversation import Message  # noqa: E402
from app.engine.base import EngineError, Finished, GenerationRequest, Sampling, Usage  # noqa: E402
from app.engine.local.backend import LocalBackend  # noqa: E402
from app.engine.local.prefix_cache import count_positions  # noqa: E402
from app.engine.local.protocol import CacheStats, Counted, LocalEngineConfig  # noqa: E402
from app.engine.local.state_files import chat_file_name, read_header  # noqa: E402
from app.engine.local.state_folder import used_bytes  # noqa: E402
from tests.bench.engine_bench import (  # noqa: E402
    IMAGE_SIZES,
    OtherLoad,
    describe_machine,
    fmt_s,
    md_table,
    model_pair,
    noise_image,
    verdict,
)

TARGET = 0.10
ANSWER = Sampling(temperature=0.0, max_tokens=16, seed=1)
CHAT = "bench-long-chat"
OTHER = "bench-other-chat"
THIRD = "bench-third-chat"
PARAGRAPH = (
    "The quarterly report describes revenue by region, the cost of each product line, the "
    "staff in every office and the plans for the next year, with tables and remarks. "
)
QUESTIONS = (
    "What does the first image show?",
    "Summarise the report in three lines.",
    "Which region grew fastest?",
    "List the offices by staff.",
)
PIXTRAL_12B_KV = {"f16": 2 * 40 * 8 * 128 * 2, "q8_0": 2 * 40 * 8 * 128 * 34 // 32}
"""Bytes per position of Pixtral 12B's KV cache (40 layers, 8 KV heads of 128)."""


@dataclass
class Phase:
    name: str
    ttft_s: float
    wall_s: float
    cached: int
    evaluated: int
    resume: str
    other_load: float


@dataclass
class KvResult:
    kv: str
    prompt_tokens: int
    setup_s: float
    phases: list[Phase]
    state_bytes: int
    state_positions: int
    save_s: float
    switch_s: float
    restore_s: float
    close_s: float
    budget_phase: Phase | None = None

    def phase(self, name: str) -> Phase:
        return next(p for p in self.phases if p.name == name)


def _backend(config: LocalEngineConfig, log: Path) -> LocalBackend:
    return LocalBackend(config, log_path=log)


def _turn(engine: LocalBackend, messages: list[Message], chat: str) -> tuple[str, Usage, float]:
    started = time.perf_counter()
    first: float | None = None
    usage: Usage | None = None
    text = ""
    for event in engine.generate(GenerationRequest(messages, sampling=ANSWER, chat=chat)):
        if first is None and type(event).__name__ == "Token":
            first = time.perf_counter()
        if isinstance(event, Usage):
            usage = event
        elif isinstance(event, Finished):
            text = event.text
        elif isinstance(event, EngineError):
            raise RuntimeError(event.message)
    assert usage is not None
    return text, usage, (first or time.perf_counter()) - started


def _stats(engine: LocalBackend) -> CacheStats:
    stats = engine.stats()
    assert isinstance(stats, CacheStats), stats
    return stats


def _measure(
    engine: LocalBackend, name: str, messages: list[Message], chat: str, switched: bool = True
) -> Phase:
    with OtherLoad() as load:
        text, usage, wall = _turn(engine, messages, chat)
    messages.append(Message.assistant(text))
    resume = _stats(engine).last_resume if switched else "(no switch)"
    return Phase(
        name, usage.ttft_s, wall, usage.cached_tokens, usage.evaluated_tokens, resume, load.share
    )


def build_chat(engine: LocalBackend, tokens: int, n_images: int) -> list[Message]:
    """Two user turns holding ``n_images`` images and text enough for ``tokens`` positions."""
    images = [
        noise_image(*IMAGE_SIZES[i % len(IMAGE_SIZES)], seed=100 + i) for i in range(n_images)
    ]
    half = n_images // 2
    probe = engine.count_tokens(GenerationRequest([Message.user("", images)]))
    assert isinstance(probe, Counted), probe
    sample = engine.count_tokens(GenerationRequest([Message.user(PARAGRAPH * 20)]))
    assert isinstance(sample, Counted), sample
    per_paragraph = max(sample.prompt_tokens / 20, 1.0)
    paragraphs = max(int((tokens - probe.prompt_tokens - 64) / per_paragraph), 2)
    first, second = paragraphs // 2, paragraphs - paragraphs // 2
    return [
        Message.user(PARAGRAPH * first, images[:half]),
        Message.user(PARAGRAPH * second, images[half:]),
    ]


def bench_kv(pair: object, kv: str, opts: argparse.Namespace, work: Path) -> KvResult:
    states = work / f"states-{kv}"
    base = LocalEngineConfig(
        model_path=str(pair.model),  # type: ignore[attr-defined]
        mmproj_path=str(pair.mmproj),  # type: ignore[attr-defined]
        n_ctx=opts.n_ctx or (opts.tokens + 2048),
        n_gpu_layers=0,
        kv_type=KvType(kv),
        n_threads=opts.threads,
        n_threads_batch=opts.threads,
        state_dir=str(states),
    )
    log = work / f"engine-{kv}.log"
    engine = _backend(base, log)
    turns = build_chat(engine, opts.tokens, opts.images)
    messages: list[Message] = []
    started = time.perf_counter()
    for user in turns:  # reading the chat the first time (its answers are this engine's own)
        messages.append(user)
        text, _usage, _wall = _turn(engine, messages, CHAT)
        messages.append(Message.assistant(text))
    setup_s = time.perf_counter() - started
    print(f"[{kv}] chat read in {setup_s:.1f} s", flush=True)
    phases: list[Phase] = []

    messages.append(Message.user(QUESTIONS[0]))
    phases.append(_measure(engine, "a. stay in the chat", messages, CHAT, switched=False))
    prompt_tokens = phases[-1].cached + phases[-1].evaluated

    _turn(engine, [Message.user("Another chat: say hello.")], OTHER)  # chat A's state leaves
    saved = _wait_saved(engine)
    messages.append(Message.user(QUESTIONS[1]))
    phases.append(_measure(engine, "b. switch away and back (RAM)", messages, CHAT))
    switch_s = _stats(engine).switch_s
    print(f"[{kv}] (b) {phases[-1].ttft_s:.3f} s", flush=True)

    closing = time.perf_counter()
    engine.close()  # quitting: the worker writes the open chat's state, then ends
    close_s = time.perf_counter() - closing
    state_bytes = used_bytes(states)
    state_positions = count_positions(read_header(states / chat_file_name(CHAT)).units)
    engine = _backend(base, log)
    for _event in engine.load():  # the app preloads the model at start
        pass
    messages.append(Message.user(QUESTIONS[2]))
    phases.append(_measure(engine, "c. restart the app (disk)", messages, CHAT))
    restore_s = _stats(engine).switch_s
    print(f"[{kv}] (c) {phases[-1].ttft_s:.3f} s", flush=True)

    # (d) on the same worker: it knows the answers' tokens (the prompt is the same positions
    # as in (c)) but has never encoded the images (they came back with the state). Another
    # chat's turn fills the KV sequence; a turn of no chat restores nothing: all is read.
    _turn(engine, [Message.user("A third chat: say hello.")], THIRD)
    messages.append(Message.user(QUESTIONS[3]))
    phases.append(_measure(engine, "d. full re-prefill", messages, "", switched=False))
    engine.close()
    print(f"[{kv}] (d) {phases[-1].ttft_s:.3f} s", flush=True)

    budget_phase = None
    if opts.budget_check:
        # A disk budget of half the state: quitting writes nothing, so after a restart the
        # chat is read in full (what this row times: a fresh worker reading the chat).
        folder = work / f"states-small-{kv}"
        small = replace(
            base, state_dir=str(folder), state_disk_mb=max(state_bytes // 2**20 // 2, 1)
        )
        engine = _backend(small, log)
        for _event in engine.load():
            pass
        probe = messages[:-1]  # up to the (d) question
        budget_phase = _measure(engine, "c'. restart, disk budget < state", probe, CHAT)
        engine.close()
        budget_phase.resume = f"none: {used_bytes(folder):,} bytes written at quit"
    return KvResult(
        kv, prompt_tokens, setup_s, phases, state_bytes, state_positions, saved, switch_s,
        restore_s, close_s, budget_phase,
    )  # fmt: skip


def _wait_saved(engine: LocalBackend, timeout_s: float = 300.0) -> float:
    """The worker's time to write the left chat's state (it writes while idle)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        stats = _stats(engine)
        if stats.states_saved >= 1:
            return stats.save_s
        time.sleep(0.05)
    return float("nan")


def report(results: list[KvResult], opts: argparse.Namespace) -> str:
    lines = [
        f"# Resuming a long chat (tests/bench/resume_bench.py): mid model ({opts.dtype} "
        f"weights), KV {opts.kv}, CPU",
        "",
        f"A chat of {results[0].prompt_tokens:,} prompt positions with {opts.images} images "
        f"(two turns), random-weight Pixtral-shaped `mid` pair, {opts.threads} threads, "
        "n_gpu_layers 0. TTFT is `Usage.ttft_s` (in the worker, from the command to the first "
        "token, the state switch included); wall adds the pipe. Run "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        "",
        "## Machine",
        "",
        md_table(["", ""], [[k, v] for k, v in describe_machine()]),
        "",
        "## Next question's time to first token",
        "",
    ]
    rows = []
    for r in results:
        full = r.phase("d. full re-prefill").ttft_s
        shown = [*r.phases, *([r.budget_phase] if r.budget_phase else [])]
        for p in shown:
            rows.append([
                r.kv, p.name, fmt_s(p.ttft_s), fmt_s(p.wall_s), f"{p.ttft_s / full:.1%}",
                f"{p.cached:,}", f"{p.evaluated:,}", p.resume or "—", f"{p.other_load:.0%}",
            ])  # fmt: skip
    lines += [
        md_table(
            [
                "KV",
                "phase",
                "TTFT s",
                "wall s",
                "of (d)",
                "cached",
                "evaluated",
                "state restored from",
                "other CPU load",
            ],
            rows,
        ),
        "",
        "## State size, save and load",
        "",
    ]
    rows = []
    for r in results:
        per_token = r.state_bytes / max(r.state_positions, 1)
        rows.append([
            r.kv, f"{r.state_bytes / 1e6:,.1f} MB", f"{per_token:,.0f} B",
            fmt_s(r.save_s), fmt_s(r.close_s), fmt_s(r.switch_s), fmt_s(r.restore_s),
        ])  # fmt: skip
    lines += [
        md_table(
            [
                "KV",
                "state file",
                "per position",
                "write (worker, idle) s",
                "close incl. write s",
                "switch in RAM s",
                "restore from disk s",
            ],
            rows,
        ),
        "",
        "## Disk budget",
        "",
    ]
    budget = 4096 * 2**20
    rows = []
    for r in results:
        per_token = r.state_bytes / max(r.state_positions, 1)
        chat_16k = per_token * 16_000
        big = PIXTRAL_12B_KV.get(r.kv, 0) * 16_000
        rows.append([
            r.kv, f"{chat_16k / 1e6:,.0f} MB", f"{int(budget // chat_16k)}",
            f"{big / 1e9:,.2f} GB" if big else "—",
            f"{int(budget // big)}" if big else "—",
        ])  # fmt: skip
    lines += [
        md_table(
            [
                "KV",
                "16K-token chat, mid",
                "such chats in 4 GiB",
                "16K-token chat, 12B",
                "such chats in 4 GiB",
            ],
            rows,
        ),
        "",
        "A state over the disk budget is not written (logged), so that chat is read again "
        "after a restart (the `c'` row, when run); otherwise the least recently used states "
        "are deleted until the folder fits.",
        "",
        "## Targets",
        "",
    ]
    for r in results:
        full = r.phase("d. full re-prefill").ttft_s
        for name in ("b. switch away and back (RAM)", "c. restart the app (disk)"):
            ratio = r.phase(name).ttft_s / full
            lines.append(f"- {r.kv}, {name}: {ratio:.1%} of (d) — {verdict(ratio <= TARGET)}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=16_000)
    parser.add_argument("--images", type=int, default=4)
    parser.add_argument("--kv", default="f16,q8_0")
    parser.add_argument("--dtype", choices=["f16", "q8_0", "q4_k"], default="f16")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--n-ctx", type=int, default=0)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "pxd-bench")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--budget-check", action="store_true")
    opts = parser.parse_args(argv)
    opts.workdir.mkdir(parents=True, exist_ok=True)
    pair = model_pair(opts.workdir, "mid", opts.dtype)
    work = Path(tempfile.mkdtemp(prefix="resume-", dir=opts.workdir))
    results = [bench_kv(pair, kv, opts, work) for kv in opts.kv.split(",")]
    text = report(results, opts)
    print(text)
    if opts.out:
        opts.out.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
