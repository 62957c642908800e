"""Benchmark of the local engine against llama-cpp-python's own multimodal path.

What it measures, on a random-weight Pixtral-shaped GGUF pair written by
``tests/fixtures/pixtral_gguf.py`` (so it runs anywhere, with the real llama.cpp and mtmd code
paths and real tensor shapes, but gibberish answers):

a. **This engine** (``LocalBackend``: one KV sequence kept across turns, prefix reuse, image
   embeddings cached by hash) over a multi-turn conversation with several images: time to first
   token per turn (``Usage.ttft_s`` measured in the worker, and the wall time from calling
   ``generate`` to the first ``Token`` event) with the engine's own prompt/cached/evaluated token
   counts and the number of images it encoded.
b. **llama-cpp-python's ``MTMDChatHandler``** on the same prompts and the same prepared pixels
   (PNG data URIs of ``PreparedImage.to_png()``): time to the first streamed chunk. It clears the
   KV cache and re-encodes every image on every call, which is what (a) is meant to avoid.
c. **Decode throughput**: ``Usage.tokens_per_s`` of a 128-token generation versus a bare
   low-level ``llama_cpp`` decode loop (same model, prompt tokens, threads, context parameters
   and sampler), 3 interleaved rounds on fresh loads, median; both counted the same way (tokens
   after the first one, timed from the first sampled token). After a one-line prompt (the
   target) and, for information, after a ~4,000-token prompt (``--decode-depths``), where
   per-token costs that grow with the context show up.
d. **Full re-prefill**: each follow-up turn's whole prompt on a fresh engine (no KV cache, no
   embedding cache), the baseline for "follow-up TTFT as a fraction of a full re-prefill".

With ``--gpu`` it also times one turn with a single 1024×1024 image (4,160 image tokens) and
records the peak GPU memory of each phase (``nvidia-smi`` polled every 100 ms, minus the reading
before loading). Why: the targets are follow-up TTFT ≤ 10 % of a full re-prefill (the prefix
cache must pay for itself) and decode throughput ≥ 97 % of bare llama.cpp (the worker process
must cost nothing); this script produces the numbers and says PASS or FAIL for each, and
prints a missed target as missed.

Usage::

    python tests/bench/engine_bench.py [--shape mid|12b] [--dtype f16|q8_0|q4_k] [--gpu]
        [--out FILE.md] [--workdir DIR] [--turns 6] [--images 4] [--skip-handler]
        [--max-tokens 32] [--decode-depths 0,4000] [--big-image]

Timings on a shared machine are only as good as its quiet: the report lists how much CPU other
processes used during each phase.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import inspect
import io
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from app.core.conversation import Message  # noqa: E402
from app.core.images import Detail, PreparedImage, prepare_image  # noqa: E402
from app.engine.base import (  # noqa: E402
    EngineError,
    Finished,
    GenerationRequest,
    Sampling,
    Token,
    Usage,
)
from app.engine.local.backend import LocalBackend  # noqa: E402
from app.engine.local.protocol import LocalEngineConfig  # noqa: E402
from tests.bench.machine import cpu_model  # noqa: E402

# On the GPU machine, llama.cpp died with SIGSEGV in ``init_tokenizer`` whenever this process
# loaded a model (also vocab_only), with or without ``gguf``/sentencepiece imported (faulthandler
# listed numpy, PIL and markupsafe as the only extension modules); the engine's worker, which
# imports less, loads fine. Cause not established. So this process never loads a model: pairs
# are written by a child (``_write_pair``), and the bare loop and the decode prompt's token
# count run in fresh interpreters (``_call_in_child``; see also app/engine/local/backend.py,
# _main_script_hidden).


@dataclass(frozen=True)
class GgufPair:
    """The two files of a generated pair (mirrors tests.fixtures.pixtral_gguf.GgufPair)."""

    model: Path
    mmproj: Path


IMAGE_SIZES: tuple[tuple[int, int], ...] = ((512, 384), (384, 512), (640, 256), (448, 448))
BIG_IMAGE_SIZE = (1024, 1024)
QUESTIONS: tuple[str, ...] = (
    "Compare these two images: how do their colours and layout differ?",
    "Which of the two has more fine detail, and why do you think so?",
    "Here are two more images. How do they relate to the first two?",
    "Rank all the images so far by apparent brightness.",
    "Describe the third image in one short paragraph.",
    "Summarise everything we discussed in three bullet points.",
)
DECODE_PROMPT = (
    "Write a long, detailed story about a lighthouse keeper who finds a message in a bottle, "
    "with many characters, places and events."
)
TTFT_RATIO_TARGET = 0.10
DECODE_RATIO_TARGET = 0.97
GPU_POLL_S = 0.1


# ------------------------------------------------------------------------------- machine
def _run_text(command: list[str]) -> str | None:
    """stdout of ``command``, or None when it is missing or fails (never raises)."""
    if shutil.which(command[0]) is None:
        return None
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def describe_machine() -> list[tuple[str, str]]:
    import llama_cpp
    import llama_cpp.llama_cpp as llama

    cpu = cpu_model()
    ram = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = f"{int(line.split()[1]) / 1024**2:.1f} GiB"
                break
    except OSError:
        pass
    gpu = _run_text(["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader"])
    system_info = llama.llama_print_system_info().decode(errors="replace").strip(" |")
    return [
        ("CPU", cpu),
        ("Cores (nproc)", str(os.cpu_count())),
        ("RAM", ram),
        ("GPU", gpu.replace("\n", "; ") if gpu else "none (nvidia-smi not found)"),
        ("OS", platform.platform()),
        ("Python", platform.python_version()),
        ("llama-cpp-python", llama_cpp.__version__),
        ("llama.cpp system info", system_info),
        ("Load average at start (1/5/15 min)", _loadavg()),
    ]


def _loadavg() -> str:
    try:
        return " / ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "unknown"


class GpuMemoryMonitor:
    """Peak GPU memory used during a ``with`` block, above the reading taken on entry.

    Polls ``nvidia-smi`` in a background thread; without ``nvidia-smi`` (or when it fails) every
    reading is None and nothing raises.
    """

    def __init__(self, interval_s: float = GPU_POLL_S) -> None:
        self.interval_s = interval_s
        self.available = shutil.which("nvidia-smi") is not None
        self.baseline: int | None = None
        self.peak: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @staticmethod
    def read_mib() -> int | None:
        text = _run_text(["nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits"])
        if not text:
            return None
        try:
            return sum(int(line.strip()) for line in text.splitlines() if line.strip())
        except ValueError:
            return None

    def __enter__(self) -> GpuMemoryMonitor:
        if self.available:
            self.baseline = self.read_mib()
            self.peak = self.baseline
            self._thread = threading.Thread(target=self._poll, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5.0)

    def _poll(self) -> None:
        while not self._stop.is_set():
            value = self.read_mib()
            if value is not None:
                self.peak = value if self.peak is None else max(self.peak, value)
            self._stop.wait(self.interval_s)

    @property
    def peak_above_baseline_mib(self) -> int | None:
        if self.peak is None or self.baseline is None:
            return None
        return self.peak - self.baseline


class OtherLoad:
    """CPU time other processes used during a ``with`` block (from ``/proc/stat``).

    Machine-wide busy time minus this process's and its reaped children's (the engine
    workers are joined on close, so their time counts as ours). Reads 0 where ``/proc/stat``
    is missing.
    """

    def __init__(self) -> None:
        self.wall_s = 0.0
        self.other_cpu_s = 0.0

    @staticmethod
    def _machine_busy_s() -> float:
        try:
            with open("/proc/stat") as handle:
                fields = [int(v) for v in handle.readline().split()[1:]]
        except (OSError, ValueError):
            return 0.0
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
        return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")

    @staticmethod
    def _own_cpu_s() -> float:
        t = os.times()
        return t.user + t.system + t.children_user + t.children_system

    def __enter__(self) -> OtherLoad:
        self._start = (time.perf_counter(), self._machine_busy_s(), self._own_cpu_s())
        return self

    def __exit__(self, *_exc: object) -> None:
        wall, busy, own = self._start
        self.wall_s = time.perf_counter() - wall
        machine = self._machine_busy_s() - busy
        self.other_cpu_s = max(machine - (self._own_cpu_s() - own), 0.0) if machine else 0.0

    @property
    def share(self) -> float:
        """Average fraction of all cores other processes kept busy."""
        cores = os.cpu_count() or 1
        return self.other_cpu_s / (self.wall_s * cores) if self.wall_s > 0 else 0.0


# -------------------------------------------------------------------------------- inputs
def _write_pair(folder: Path, shape: str, dtype: str) -> GgufPair:
    """Write the pair in a child process, so ``gguf`` never loads into this one."""
    subprocess.run(
        [sys.executable, "-m", "tests.fixtures.pixtral_gguf", str(folder), "--shape", shape,
         "--dtype", dtype],
        cwd=REPO,
        check=True,
    )  # fmt: skip
    return GgufPair(model=folder / "model.gguf", mmproj=folder / "mmproj.gguf")


def model_pair(workdir: Path, shape: str, dtype: str) -> GgufPair:
    """The random-weight pair for ``shape``/``dtype``, written once and then reused."""
    folder = workdir / f"{shape}-{dtype}"
    marker = folder / "complete"
    pair = GgufPair(model=folder / "model.gguf", mmproj=folder / "mmproj.gguf")
    if marker.exists() and pair.model.exists() and pair.mmproj.exists():
        print(f"reusing {folder}", flush=True)
        return pair
    print(f"writing the {shape} {dtype} pair into {folder} …", flush=True)
    start = time.perf_counter()
    pair = _write_pair(folder, shape, dtype)
    marker.write_text(f"{shape} {dtype}\n")
    print(f"written in {time.perf_counter() - start:.1f} s", flush=True)
    return pair


def noise_image(width: int, height: int, seed: int) -> PreparedImage:
    """A seeded random-noise PNG of ``width``×``height``, prepared at native detail."""
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(out, format="PNG")
    return prepare_image(out.getvalue(), Detail.NATIVE, name=f"noise-{width}x{height}.png")


@dataclass
class Turn:
    question: str
    images: list[PreparedImage]


def conversation_plan(n_turns: int, n_images: int) -> list[Turn]:
    """Half the images (rounded up) with turn 1, the rest with turn 3; text-only otherwise."""
    sizes = [IMAGE_SIZES[i % len(IMAGE_SIZES)] for i in range(n_images)]
    images = [noise_image(w, h, seed=100 + i) for i, (w, h) in enumerate(sizes)]
    first = math.ceil(n_images / 2) if n_turns >= 3 else n_images
    turns = []
    for index in range(n_turns):
        question = QUESTIONS[index % len(QUESTIONS)]
        if index >= len(QUESTIONS):
            question += f" (follow-up {index + 1})"
        batch = images[:first] if index == 0 else images[first:] if index == 2 else []
        turns.append(Turn(question, batch))
    return turns


def messages_for(turns: list[Turn], answers: list[str], upto: int) -> list[Message]:
    """The conversation as sent on turn ``upto`` (0-based): earlier answers included."""
    messages: list[Message] = []
    for index in range(upto + 1):
        messages.append(Message.user(turns[index].question, turns[index].images))
        if index < upto:
            messages.append(Message.assistant(answers[index]))
    return messages


def openai_messages(turns: list[Turn], answers: list[str], upto: int) -> list[dict[str, Any]]:
    """The same conversation for ``create_chat_completion`` (images as PNG data URIs)."""
    messages: list[dict[str, Any]] = []
    for index in range(upto + 1):
        content: list[dict[str, Any]] = [
            {"type": "image_url", "image_url": {"url": _data_uri(image)}}
            for image in turns[index].images
        ]
        content.append({"type": "text", "text": turns[index].question})
        messages.append({"role": "user", "content": content})
        if index < upto:
            messages.append({"role": "assistant", "content": answers[index].rstrip(" ")})
    return messages


_URIS: dict[str, str] = {}


def _data_uri(image: PreparedImage) -> str:
    uri = _URIS.get(image.sha256)
    if uri is None:
        uri = "data:image/png;base64," + base64.b64encode(image.to_png()).decode("ascii")
        _URIS[image.sha256] = uri
    return uri


# ----------------------------------------------------------------------------- our engine
@dataclass
class EngineTurn:
    usage: Usage
    wall_ttft_s: float | None
    text: str


@dataclass
class Options:
    pair: GgufPair
    n_ctx: int
    n_batch: int
    n_threads: int
    gpu: bool
    max_tokens: int
    log_path: Path

    @property
    def n_gpu_layers(self) -> int:
        return -1 if self.gpu else 0


def new_backend(opts: Options) -> LocalBackend:
    config = LocalEngineConfig(
        model_path=str(opts.pair.model),
        mmproj_path=str(opts.pair.mmproj),
        n_ctx=opts.n_ctx,
        n_batch=opts.n_batch,
        n_threads=opts.n_threads,
        n_gpu_layers=opts.n_gpu_layers,
    )
    backend = LocalBackend(config, log_path=opts.log_path)
    for event in backend.load():
        if isinstance(event, EngineError):
            backend.close()
            raise RuntimeError(f"engine failed to load: {event.message}\n{event.detail}")
    return backend


def run_turn(backend: LocalBackend, messages: list[Message], sampling: Sampling) -> EngineTurn:
    """One ``generate`` call, timed from the call to the first ``Token`` event."""
    start = time.perf_counter()
    first: float | None = None
    usage: Usage | None = None
    text = ""
    for event in backend.generate(GenerationRequest(messages=messages, sampling=sampling)):
        if isinstance(event, Token) and first is None:
            first = time.perf_counter()
        elif isinstance(event, Usage):
            usage = event
        elif isinstance(event, Finished):
            text = event.text
        elif isinstance(event, EngineError):
            raise RuntimeError(f"engine error: {event.kind.value}: {event.message}\n{event.detail}")
    if usage is None:
        raise RuntimeError("the engine finished without a Usage event")
    return EngineTurn(usage, None if first is None else first - start, text)


def bench_engine_conversation(opts: Options, turns: list[Turn]) -> list[EngineTurn]:
    greedy = Sampling(temperature=0.0, max_tokens=opts.max_tokens, seed=1)
    backend = new_backend(opts)
    results: list[EngineTurn] = []
    answers: list[str] = []
    try:
        for index in range(len(turns)):
            result = run_turn(backend, messages_for(turns, answers, index), greedy)
            results.append(result)
            answers.append(result.text)
            u = result.usage
            print(
                f"  ours turn {index + 1}: ttft {u.ttft_s:.3f} s, prompt {u.prompt_tokens}, "
                f"cached {u.cached_tokens}, evaluated {u.evaluated_tokens}, "
                f"images encoded {u.images_encoded}",
                flush=True,
            )
    finally:
        backend.close()
    return results


def bench_full_reprefill(
    opts: Options, turns: list[Turn], answers: list[str], indexes: list[int]
) -> dict[int, EngineTurn]:
    """Each listed turn's whole prompt on a fresh engine (new worker: empty caches)."""
    greedy = Sampling(temperature=0.0, max_tokens=opts.max_tokens, seed=1)
    results: dict[int, EngineTurn] = {}
    for index in indexes:
        backend = new_backend(opts)
        try:
            results[index] = run_turn(backend, messages_for(turns, answers, index), greedy)
        finally:
            backend.close()
        u = results[index].usage
        print(
            f"  fresh turn {index + 1}: ttft {u.ttft_s:.3f} s, prompt {u.prompt_tokens}, "
            f"images encoded {u.images_encoded}",
            flush=True,
        )
    return results


def bench_big_image(opts: Options) -> EngineTurn:
    image = noise_image(*BIG_IMAGE_SIZE, seed=999)
    backend = new_backend(opts)
    try:
        greedy = Sampling(temperature=0.0, max_tokens=opts.max_tokens, seed=1)
        return run_turn(backend, [Message.user("Describe this image.", [image])], greedy)
    finally:
        backend.close()


FILLER_SENTENCE = (
    "The keeper climbed the spiral stairs at dusk, trimmed the wick, wound the clockwork and "
    "wrote the weather, the ships and the height of the sea into the log. "
)


def decode_prompt(model_path: Path, depth: int, log: Path) -> str:
    """The decode prompt, preceded by filler text so it is about ``depth`` tokens long.

    The filler is measured with the model's vocabulary in a child process (see the note at
    the top)."""
    if depth <= 0:
        return DECODE_PROMPT
    return _call_in_child(
        (_decode_prompt_here,),
        "_decode_prompt_here(Path(a['model']), a['depth'])",
        {"model": str(model_path), "depth": depth},
        log,
    )


def _decode_prompt_here(model_path: Path, depth: int) -> str:
    """``decode_prompt``'s work, in the process that calls it."""
    import llama_cpp.llama_cpp as llama

    llama.llama_backend_init()
    mparams = llama.llama_model_default_params()
    mparams.vocab_only = True
    model = llama.llama_model_load_from_file(str(model_path).encode(), mparams)
    if not model:
        raise RuntimeError("could not load the vocabulary")
    try:
        vocab = llama.llama_model_get_vocab(model)

        def count(text: str) -> int:
            data = text.encode()
            buffer = (llama.llama_token * (len(data) + 8))()
            return llama.llama_tokenize(vocab, data, len(data), buffer, len(buffer), False, False)

        per_sentence = max(count(FILLER_SENTENCE), 1)
        base = count(DECODE_PROMPT) + 4
        repeats = max((depth - base) // per_sentence, 0)
        return FILLER_SENTENCE * repeats + "\n\n" + DECODE_PROMPT
    finally:
        llama.llama_model_free(model)


def engine_decode_once(opts: Options, prompt: str, sampling: Sampling) -> Usage:
    """One generation of ``sampling.max_tokens`` tokens at most, on a freshly loaded engine."""
    backend = new_backend(opts)
    try:
        return run_turn(backend, [Message.user(prompt)], sampling).usage
    finally:
        backend.close()


def bare_decode_once(opts: Options, prompt: str, sampling: Sampling) -> float:
    """The same decode with low-level ``llama_cpp`` calls only, in the calling process (the
    benchmark calls it in a fresh child, ``bare_decode_in_child``).

    Same context parameters as the engine (n_ctx, n_batch = n_ubatch, threads, f16 KV, flash
    attention auto), the same prompt tokens and the same sampler chain. Timed from the first
    sampled token to the end of the last ``llama_decode``; the rate counts the ``n_tokens - 1``
    tokens after the first, exactly like ``Usage.tokens_per_s`` (the engine also decodes its
    last sampled token, so both loops make ``n_tokens`` decode calls). EOS is not checked.
    """
    n_tokens = sampling.max_tokens
    import llama_cpp.llama_cpp as llama

    llama.llama_backend_init()
    mparams = llama.llama_model_default_params()
    mparams.n_gpu_layers = 999 if opts.gpu else 0
    model = llama.llama_model_load_from_file(str(opts.pair.model).encode(), mparams)
    if not model:
        raise RuntimeError("bare llama.cpp could not load the model")
    cparams = llama.llama_context_default_params()
    cparams.n_ctx = opts.n_ctx
    cparams.n_batch = opts.n_batch
    cparams.n_ubatch = opts.n_batch
    cparams.n_threads = opts.n_threads
    cparams.n_threads_batch = opts.n_threads
    cparams.type_k = cparams.type_v = 1  # GGML_TYPE_F16, the engine's default KV type
    cparams.flash_attn_type = llama.LLAMA_FLASH_ATTN_TYPE_AUTO
    ctx = llama.llama_init_from_model(model, cparams)
    if not ctx:
        llama.llama_model_free(model)
        raise RuntimeError("bare llama.cpp could not create a context")
    try:
        vocab = llama.llama_model_get_vocab(model)
        text = f"[INST]{prompt}[/INST]".encode()
        buffer = (llama.llama_token * (len(text) + 8))()
        n_prompt = llama.llama_tokenize(vocab, text, len(text), buffer, len(buffer), True, True)
        if n_prompt <= 0:
            raise RuntimeError("bare llama.cpp could not tokenize the prompt")
        for start in range(0, n_prompt, opts.n_batch):
            size = min(opts.n_batch, n_prompt - start)
            chunk = (llama.llama_token * size)(*buffer[start : start + size])
            if llama.llama_decode(ctx, llama.llama_batch_get_one(chunk, size)) != 0:
                raise RuntimeError("bare llama.cpp failed to evaluate the prompt")
        token_array = (llama.llama_token * 1)()
        sampler = _sampler_chain(llama, sampling)
        try:
            token = llama.llama_sampler_sample(sampler, ctx, -1)
            started = time.perf_counter()
            for produced in range(1, n_tokens + 1):
                token_array[0] = token
                status = llama.llama_decode(ctx, llama.llama_batch_get_one(token_array, 1))
                if status != 0:
                    raise RuntimeError(f"bare llama_decode failed ({status})")
                if produced < n_tokens:
                    token = llama.llama_sampler_sample(sampler, ctx, -1)
            elapsed = time.perf_counter() - started
        finally:
            llama.llama_sampler_free(sampler)
    finally:
        llama.llama_free(ctx)
        llama.llama_model_free(model)
    return (n_tokens - 1) / elapsed


def bare_decode_in_child(opts: Options, prompt: str, sampling: Sampling, log: Path) -> float:
    """``bare_decode_once`` in a fresh interpreter (see the note at the top)."""
    return _call_in_child(
        (_sampler_chain, bare_decode_once),
        "bare_decode_once(NS(pair=NS(model=a['model']), n_ctx=a['n_ctx'], n_batch=a['n_batch'], "
        "n_threads=a['n_threads'], gpu=a['gpu']), a['prompt'], NS(**a['sampling']))",
        {
            "model": str(opts.pair.model),
            "n_ctx": opts.n_ctx,
            "n_batch": opts.n_batch,
            "n_threads": opts.n_threads,
            "gpu": opts.gpu,
            "prompt": prompt,
            "sampling": {
                "max_tokens": sampling.max_tokens,
                "temperature": sampling.temperature,
                "top_p": sampling.top_p,
                "seed": sampling.seed,
            },
        },
        log,
    )


def _call_in_child(
    functions: tuple[Callable[..., Any], ...], call: str, args: dict[str, Any], log: Path
) -> Any:
    """Evaluate ``call`` in a fresh ``python -c`` that holds only the source of ``functions``
    (plus this module's text constants) and imports nothing but what they import themselves.

    ``a`` in ``call`` is ``args`` (JSON round-tripped), ``NS`` is ``SimpleNamespace`` and
    ``Path`` is ``pathlib.Path``; the result goes back as JSON on stdout, stderr (llama.cpp's
    log) is appended to ``log``.
    """
    source = "\n\n".join(inspect.getsource(f) for f in functions)
    code = (
        "from __future__ import annotations\n"
        "import json, sys, time\n"
        "from pathlib import Path\n"
        "from types import SimpleNamespace as NS\n"
        "from typing import Any\n"
        f"FILLER_SENTENCE = {FILLER_SENTENCE!r}\n"
        f"DECODE_PROMPT = {DECODE_PROMPT!r}\n"
        f"{source}\n"
        "a = json.loads(sys.argv[1])\n"
        f"print(json.dumps({call}))\n"
    )
    with open(log, "ab") as err:
        done = subprocess.run(
            [sys.executable, "-c", code, json.dumps(args)],
            stdout=subprocess.PIPE,
            stderr=err,
            check=False,
        )
    if done.returncode != 0:
        raise RuntimeError(f"a benchmark child process failed (exit {done.returncode}); see {log}")
    return json.loads(done.stdout.decode().strip().splitlines()[-1])


@dataclass
class DecodeResult:
    depth: int
    prompt_tokens: int
    ours: list[float]
    bare: list[float]
    sampling: Sampling


def bench_decode(opts: Options, n_tokens: int, runs: int, depth: int, log: Path) -> DecodeResult:
    """``runs`` rounds of (this engine, bare loop), each on a fresh load, interleaved so that
    load from other processes on the machine hits both sides alike; the prompt is about
    ``depth`` tokens long (0: a one-line prompt)."""
    prompt = decode_prompt(opts.pair.model, depth, log)
    prompt_tokens = 0
    sampling = Sampling(temperature=0.0, max_tokens=n_tokens, seed=1)
    ours: list[float] = []
    bare: list[float] = []
    attempts = 0
    while len(ours) < runs:
        attempts += 1
        if attempts > runs + 8:
            raise RuntimeError("the model keeps stopping early; cannot time decoding")
        usage = engine_decode_once(opts, prompt, sampling)
        prompt_tokens = usage.prompt_tokens
        if usage.generated_tokens < n_tokens:
            # EOS came early: sample instead (another seed each time) and start over, so every
            # timed pair uses one sampler on both sides.
            print(
                f"  ours decode stopped after {usage.generated_tokens} tokens; "
                "switching to temperature 0.8",
                flush=True,
            )
            sampling = Sampling(temperature=0.8, top_p=0.95, max_tokens=n_tokens, seed=attempts)
            ours.clear()
            bare.clear()
            continue
        ours.append(usage.tokens_per_s)
        bare.append(bare_decode_in_child(opts, prompt, sampling, log))
        print(
            f"  decode after {prompt_tokens} prompt tokens, round {len(ours)}: "
            f"ours {ours[-1]:.2f}, bare {bare[-1]:.2f} tok/s",
            flush=True,
        )
    return DecodeResult(depth, prompt_tokens, ours, bare, sampling)


@contextlib.contextmanager
def stderr_to(path: Path) -> Iterator[None]:
    """Send this process's fd 2 (where llama.cpp and mtmd log) to ``path`` for a while."""
    sys.stderr.flush()
    saved = os.dup(2)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.dup2(fd, 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(fd)


def _sampler_chain(llama: Any, sampling: Sampling) -> Any:
    chain = llama.llama_sampler_chain_init(llama.llama_sampler_chain_default_params())
    if sampling.temperature <= 0:
        llama.llama_sampler_chain_add(chain, llama.llama_sampler_init_greedy())
    else:
        llama.llama_sampler_chain_add(chain, llama.llama_sampler_init_top_p(sampling.top_p, 1))
        llama.llama_sampler_chain_add(chain, llama.llama_sampler_init_temp(sampling.temperature))
        llama.llama_sampler_chain_add(
            chain, llama.llama_sampler_init_dist(sampling.seed & 0xFFFFFFFF)
        )
    return chain


# ------------------------------------------------------------------------ MTMDChatHandler
class _CountingMtmd:
    """Stands in for ``llama_cpp.mtmd_cpp`` inside the handler to record image chunk sizes."""

    def __init__(self, module: Any) -> None:
        self._module = module
        self.image_tokens: list[int] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, name)

    def mtmd_input_chunk_get_n_tokens(self, chunk: Any) -> int:
        n = int(self._module.mtmd_input_chunk_get_n_tokens(chunk))
        self.image_tokens.append(n)
        return n


@dataclass
class HandlerTurn:
    ttft_s: float
    prompt_tokens: int
    image_tokens: list[int] = field(default_factory=list)
    text: str = ""


class HandlerBench:
    """``Llama`` + ``MTMDChatHandler`` with the engine's context settings."""

    handler_name = "llama_cpp.llama_chat_format.MTMDChatHandler"

    def __init__(self, opts: Options) -> None:
        from llama_cpp import Llama
        from llama_cpp.llama_chat_format import MTMDChatHandler

        self.handler = MTMDChatHandler(
            clip_model_path=str(opts.pair.mmproj), verbose=False, use_gpu=opts.gpu
        )
        self.counter = _CountingMtmd(self.handler._mtmd_cpp)
        self.handler._mtmd_cpp = self.counter
        self.llm: Any = Llama(
            model_path=str(opts.pair.model),
            chat_handler=self.handler,
            n_ctx=opts.n_ctx,
            n_batch=opts.n_batch,
            n_ubatch=opts.n_batch,
            n_threads=opts.n_threads,
            n_threads_batch=opts.n_threads,
            n_gpu_layers=opts.n_gpu_layers,
            # The engine's "auto" resolves to flash attention on CPU and CUDA; match it.
            flash_attn=True,
            verbose=False,
        )
        self._prompt_len = 0
        original: Callable[..., Any] = self.llm.create_completion

        def recording(*args: Any, **kwargs: Any) -> Any:
            prompt = kwargs.get("prompt", args[0] if args else [])
            self._prompt_len = len(prompt)
            return original(*args, **kwargs)

        self.llm.create_completion = recording

    def turn(self, messages: list[dict[str, Any]], max_tokens: int) -> HandlerTurn:
        self.counter.image_tokens = []
        start = time.perf_counter()
        first: float | None = None
        pieces: list[str] = []
        stream: Iterator[Any] = self.llm.create_chat_completion(
            messages=messages,
            max_tokens=max_tokens,
            temperature=0.0,
            repeat_penalty=1.0,
            stream=True,
        )
        for chunk in stream:
            if first is None:
                first = time.perf_counter()
            pieces.append(chunk["choices"][0]["delta"].get("content") or "")
        ttft = (first or time.perf_counter()) - start
        return HandlerTurn(ttft, self._prompt_len, list(self.counter.image_tokens), "".join(pieces))

    def close(self) -> None:
        self.llm.close()
        del self.llm


def bench_handler(
    opts: Options, turns: list[Turn], answers: list[str], big: PreparedImage | None
) -> tuple[list[HandlerTurn], HandlerTurn | None]:
    bench = HandlerBench(opts)
    results: list[HandlerTurn] = []
    big_result: HandlerTurn | None = None
    try:
        for index in range(len(turns)):
            result = bench.turn(openai_messages(turns, answers, index), opts.max_tokens)
            results.append(result)
            print(
                f"  handler turn {index + 1}: ttft {result.ttft_s:.3f} s, prompt "
                f"{result.prompt_tokens}, image chunks {result.image_tokens}",
                flush=True,
            )
        if big is not None:
            big_turn = Turn("Describe this image.", [big])
            big_result = bench.turn(openai_messages([big_turn], [], 0), opts.max_tokens)
            print(f"  handler 1024x1024: ttft {big_result.ttft_s:.3f} s", flush=True)
    finally:
        bench.close()
    return results, big_result


# ------------------------------------------------------------------------------- report
def md_table(header: list[str], rows: list[list[str]]) -> str:
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

    lines = [line(header), "|" + "|".join("---" for _ in header) + "|"]
    lines += [line(row) for row in rows]
    return "\n".join(lines)


def fmt_s(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def verdict(ok: bool) -> str:
    return "**PASS**" if ok else "**FAIL (missed)**"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", choices=["mid", "12b"], default="mid")
    parser.add_argument("--dtype", choices=["f16", "q8_0", "q4_k"], default="f16")
    parser.add_argument("--gpu", action="store_true", help="offload all layers (n_gpu_layers -1)")
    parser.add_argument("--out", type=Path, default=None, help="write the tables here (.md)")
    parser.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "pixtral-desk-bench"
    )
    parser.add_argument("--turns", type=int, default=6)
    parser.add_argument("--images", type=int, default=4)
    parser.add_argument("--max-tokens", type=int, default=32, help="answer length per turn")
    parser.add_argument("--decode-tokens", type=int, default=128)
    parser.add_argument("--decode-runs", type=int, default=3)
    parser.add_argument(
        "--decode-depths",
        type=lambda v: [int(x) for x in v.split(",") if x.strip()],
        default=[0, 4000],
        help="prompt lengths to time decoding after (comma-separated; 0 = a one-line prompt); "
        "the first is the target, the others are for information",
    )
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 4)
    parser.add_argument("--n-ctx", type=int, default=16384)
    parser.add_argument("--n-batch", type=int, default=512)
    parser.add_argument("--skip-handler", action="store_true", help="skip MTMDChatHandler")
    parser.add_argument(
        "--big-image",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="time a single 1024x1024 image turn (default: on with --gpu)",
    )
    args = parser.parse_args(argv)
    if args.turns < 1 or args.images < 0:
        parser.error("--turns must be ≥ 1 and --images ≥ 0")
    big_image = args.gpu if args.big_image is None else args.big_image
    run_started = time.perf_counter()

    machine = describe_machine()
    pair = model_pair(args.workdir, args.shape, args.dtype)
    opts = Options(
        pair=pair,
        n_ctx=args.n_ctx,
        n_batch=args.n_batch,
        n_threads=args.threads,
        gpu=args.gpu,
        max_tokens=args.max_tokens,
        log_path=args.workdir / "engine.log",
    )
    in_process_log = args.workdir / "in-process.log"
    turns = conversation_plan(args.turns, args.images)
    images = [image for turn in turns for image in turn.images]
    gpu_peaks: dict[str, int | None] = {}
    loads: dict[str, OtherLoad] = {}

    print("(a) this engine, one conversation", flush=True)
    with GpuMemoryMonitor() as monitor, OtherLoad() as loads["(a) this engine, conversation"]:
        ours = bench_engine_conversation(opts, turns)
    gpu_peaks["this engine, conversation"] = monitor.peak_above_baseline_mib
    answers = [turn.text for turn in ours]

    follow_ups = list(range(1, len(turns)))
    print("(d) full re-prefill on a fresh engine", flush=True)
    with OtherLoad() as loads["(d) full re-prefill, fresh engines"]:
        fresh = bench_full_reprefill(opts, turns, answers, follow_ups)

    big_ours: EngineTurn | None = None
    big_prepared: PreparedImage | None = None
    if big_image:
        print("single 1024x1024 image turn, this engine", flush=True)
        big_prepared = noise_image(*BIG_IMAGE_SIZE, seed=999)
        with GpuMemoryMonitor() as monitor, OtherLoad() as loads["1024×1024 image, this engine"]:
            big_ours = bench_big_image(opts)
        gpu_peaks["this engine, 1024×1024 image"] = monitor.peak_above_baseline_mib

    print("(c) decode throughput", flush=True)
    with OtherLoad() as loads["(c) decode, ours and bare"]:
        decodes = [
            bench_decode(opts, args.decode_tokens, args.decode_runs, depth, in_process_log)
            for depth in args.decode_depths
        ]

    handler: list[HandlerTurn] = []
    big_handler: HandlerTurn | None = None
    handler_skipped = args.skip_handler
    if not handler_skipped:
        print("(b) MTMDChatHandler", flush=True)
        with (
            GpuMemoryMonitor() as monitor,
            OtherLoad() as loads["(b) MTMDChatHandler"],
            stderr_to(in_process_log),
        ):
            handler, big_handler = bench_handler(opts, turns, answers, big_prepared)
        gpu_peaks["MTMDChatHandler"] = monitor.peak_above_baseline_mib

    # ------------------------------------------------------------------ tables
    mode = "GPU (n_gpu_layers -1)" if args.gpu else "CPU (n_gpu_layers 0)"
    out: list[str] = [
        f"# Engine benchmark: {args.shape} {args.dtype}, {mode}",
        "",
        "Random-weight Pixtral-shaped pair from `tests/fixtures/pixtral_gguf.py` "
        f"(`{pair.model.name}` {pair.model.stat().st_size / 1e6:,.0f} MB, "
        f"`{pair.mmproj.name}` {pair.mmproj.stat().st_size / 1e6:,.0f} MB). "
        f"n_ctx {args.n_ctx}, n_batch {args.n_batch}, n_threads {args.threads}, greedy, "
        f"{args.max_tokens} tokens per answer, {args.turns} turns, {args.images} images "
        "(seeded noise, detail native). "
        f"Engine device reported by `Usage.device`: {ours[0].usage.device if ours else '?'}. "
        f"Command: `python tests/bench/engine_bench.py {' '.join(argv or sys.argv[1:])}`",
    ]
    if args.gpu and ours and ours[0].usage.device == "CPU":
        out += [
            "",
            "**Warning: `--gpu` was given but the engine ran on the CPU: this llama-cpp-python "
            "build has no GPU backend (see the system info below). Install a CUDA build.**",
        ]
    out += [
        "",
        "## Machine",
        "",
        md_table(["", ""], [[k, v] for k, v in machine]),
        "",
        "## Time to first token per turn",
        "",
        "*ours* = `LocalBackend` keeping its KV cache across turns (`Usage.ttft_s`, measured "
        "in the worker; *wall* = from calling `generate` to the first `Token` event). "
        "*fresh* = the same turn's whole prompt on a new engine (no KV or embedding cache). "
        "*handler* = `MTMDChatHandler`, from `create_chat_completion` to the first streamed "
        "chunk. Times in seconds.",
        "",
        "Prompt sizes differ between the three because the earlier answers go back as *text*: "
        "ours feeds back the tokens it sampled, a fresh engine and the handler re-tokenize the "
        "text. The random-weight model mostly samples `<filler_N>` vocabulary entries whose "
        "text re-tokenizes into ~10 byte tokens each, so their prompts grow by ~200 tokens per "
        "answer (a real model's answers re-tokenize to about the same length). *adj.* scales "
        "the fresh TTFT to ours' prompt length (fresh TTFT × ours prompt / fresh prompt; "
        "linear, so it slightly under-states the fresh cost, i.e. it is conservative for ours). "
        "The handler's prompts also lack `<s>` and every `</s>` (it renders `bos_token` / "
        "`eos_token` with `llama.detokenize`, which gives empty text for control tokens), one "
        "token per turn.",
        "",
    ]
    header = [
        "turn",
        "new images",
        "prompt tok",
        "cached",
        "evaluated",
        "imgs encoded",
        "ours TTFT",
        "ours wall",
        "fresh prompt tok",
        "fresh TTFT",
        "ours / fresh",
        "ours / fresh adj.",
    ]
    if not handler_skipped:
        header += ["handler TTFT", "handler prompt tok", "handler imgs encoded", "handler / ours"]
    rows: list[list[str]] = []
    ratios: dict[int, float] = {}
    adjusted: dict[int, float] = {}
    for index, result in enumerate(ours):
        u = result.usage
        f = fresh.get(index)
        ratio = adj = None
        if f and f.usage.ttft_s > 0 and f.usage.prompt_tokens > 0:
            ratio = ratios[index] = u.ttft_s / f.usage.ttft_s
            scaled = f.usage.ttft_s * u.prompt_tokens / f.usage.prompt_tokens
            adj = adjusted[index] = u.ttft_s / scaled
        row = [
            str(index + 1),
            str(len(turns[index].images)),
            f"{u.prompt_tokens:,}",
            f"{u.cached_tokens:,}",
            f"{u.evaluated_tokens:,}",
            str(u.images_encoded),
            fmt_s(u.ttft_s),
            fmt_s(result.wall_ttft_s),
            f"{f.usage.prompt_tokens:,}" if f else "—",
            fmt_s(f.usage.ttft_s) if f else "—",
            f"{ratio:.1%}" if ratio is not None else "—",
            f"{adj:.1%}" if adj is not None else "—",
        ]
        if not handler_skipped:
            h = handler[index]
            row += [
                fmt_s(h.ttft_s),
                f"{h.prompt_tokens:,}",
                str(len(h.image_tokens)),
                f"{h.ttft_s / u.ttft_s:.1f}×" if u.ttft_s > 0 else "—",
            ]
        rows.append(row)
    out += [md_table(header, rows), ""]
    if not handler_skipped and handler:
        total_ours = sum(r.usage.ttft_s for r in ours)
        total_handler = sum(h.ttft_s for h in handler)
        out += [
            f"Sum of TTFT over the {len(ours)} turns: ours {total_ours:.2f} s, "
            f"handler {total_handler:.2f} s ({total_handler / total_ours:.1f}×).",
            "",
        ]

    # image tokens
    out += ["## Image token counts", ""]
    if images:
        per_image_ours = ours[-1].usage.image_tokens if ours else ()
        handler_first_seen: list[int] = []
        if not handler_skipped and handler:
            handler_first_seen = list(handler[-1].image_tokens)
        rows = []
        for index, image in enumerate(images):
            w, h = image.size
            row = [
                image.name,
                f"{w}×{h}",
                f"{image.grid.cols}×{image.grid.rows}",
                f"{image.tokens:,}",
                f"{per_image_ours[index]:,}" if index < len(per_image_ours) else "—",
                f"{handler_first_seen[index]:,}" if index < len(handler_first_seen) else "—",
            ]
            rows.append(row)
        out += [
            md_table(
                [
                    "image",
                    "prepared px",
                    "patches",
                    "app count (`PreparedImage.tokens`)",
                    "ours (`Usage.image_tokens`)",
                    "handler (mtmd image chunk n_tokens)",
                ],
                rows,
            ),
            "",
            "`Usage.image_tokens` counts the image block plus the text tokens mtmd puts around "
            "it; the handler column is `mtmd_input_chunk_get_n_tokens` of the image chunk "
            "(recorded by wrapping the handler's `mtmd_cpp` module), with mtmd's default "
            "`image_max_tokens`.",
            "",
        ]
    if big_ours is not None:
        u = big_ours.usage
        out += [
            "## Single 1024×1024 image turn",
            "",
            md_table(
                ["", "TTFT s", "wall s", "prompt tok", "image tokens", "imgs encoded"],
                [
                    [
                        "ours (fresh engine)",
                        fmt_s(u.ttft_s),
                        fmt_s(big_ours.wall_ttft_s),
                        f"{u.prompt_tokens:,}",
                        ", ".join(f"{t:,}" for t in u.image_tokens),
                        str(u.images_encoded),
                    ]
                ]
                + (
                    [
                        [
                            "handler",
                            fmt_s(big_handler.ttft_s),
                            "—",
                            f"{big_handler.prompt_tokens:,}",
                            ", ".join(f"{t:,}" for t in big_handler.image_tokens),
                            str(len(big_handler.image_tokens)),
                        ]
                    ]
                    if big_handler is not None
                    else []
                ),
            ),
            "",
        ]

    # decode
    decode_rows: list[list[str]] = []
    decode_ratios: list[tuple[DecodeResult, float]] = []
    for decode in decodes:
        ours_median = statistics.median(decode.ours)
        bare_median = statistics.median(decode.bare)
        ratio = ours_median / bare_median if bare_median > 0 else 0.0
        decode_ratios.append((decode, ratio))
        how = (
            "greedy"
            if decode.sampling.temperature <= 0
            else f"T {decode.sampling.temperature}, top_p {decode.sampling.top_p}, "
            f"seed {decode.sampling.seed} (greedy hit EOS)"
        )
        decode_rows.append(
            [
                f"{decode.prompt_tokens:,}",
                how,
                ", ".join(f"{r:.2f}" for r in decode.ours),
                f"{ours_median:.2f}",
                ", ".join(f"{r:.2f}" for r in decode.bare),
                f"{bare_median:.2f}",
                f"{ratio:.1%}",
            ]
        )
    out += [
        "## Decode throughput",
        "",
        f"{args.decode_tokens} tokens after a prompt of the given length; {args.decode_runs} "
        "rounds, each loading this engine, then the bare low-level `llama_cpp` loop, afresh "
        "(interleaved, so load from other processes hits both alike); median. Both count the "
        f"{args.decode_tokens - 1} tokens after the first, timed from the first sampled token, "
        "with the same prompt tokens, sampler chain and context settings. *ours* is "
        "`Usage.tokens_per_s`.",
        "",
        md_table(
            [
                "prompt tok",
                "sampler",
                "ours runs (tok/s)",
                "ours median",
                "bare runs (tok/s)",
                "bare median",
                "ours / bare",
            ],
            decode_rows,
        ),
        "",
    ]

    if args.gpu or any(v is not None for v in gpu_peaks.values()):
        out += [
            "## Peak GPU memory",
            "",
            "`nvidia-smi --query-gpu=memory.used` polled every 100 ms during each phase; the "
            "peak minus the reading taken just before the phase loaded its model.",
            "",
            md_table(
                ["phase", "peak above baseline (MiB)"],
                [
                    [k, "— (nvidia-smi unavailable)" if v is None else f"{v:,}"]
                    for k, v in gpu_peaks.items()
                ],
            ),
            "",
        ]

    out += [
        "## Other load on the machine",
        "",
        "CPU time used by *other* processes while each phase ran (machine busy time from "
        "`/proc/stat` minus this benchmark's own). With n_threads = all cores, any of it slows "
        "llama.cpp's thread pool down far more than its share, so compare phases with care.",
        "",
        md_table(
            ["phase", "wall s", "other CPU s", "share of all cores"],
            [
                [name, f"{load.wall_s:.1f}", f"{load.other_cpu_s:.1f}", f"{load.share:.0%}"]
                for name, load in loads.items()
            ],
        ),
        "",
    ]

    # targets
    def mean_of(values: dict[int, float], text_only: bool = False) -> float | None:
        picked = [
            values[i] for i in follow_ups if i in values and not (text_only and turns[i].images)
        ]
        return statistics.mean(picked) if picked else None

    span = f"turns 2–{len(turns)}"
    has_image_turn = any(turns[i].images for i in follow_ups)
    ttft_rows = [
        ("", f"follow-up TTFT / full re-prefill (length-adj.), mean of {span}", adjusted, False),
        ("(info) ", f"same, raw (unadjusted), mean of {span}", ratios, False),
    ]
    if has_image_turn:
        ttft_rows.append(("(info) ", "same, length-adj., text-only follow-ups", adjusted, True))
    target_rows = []
    for prefix, label, values, text_only in ttft_rows:
        mean = mean_of(values, text_only)
        if mean is not None:
            target_rows.append(
                [
                    prefix + label,
                    f"≤ {TTFT_RATIO_TARGET:.0%}",
                    f"{mean:.1%}",
                    verdict(mean <= TTFT_RATIO_TARGET),
                ]
            )
    for index, (decode, ratio) in enumerate(decode_ratios):
        target_rows.append(
            [
                f"{'' if index == 0 else '(info) '}decode tok/s, ours / bare llama.cpp, "
                f"after {decode.prompt_tokens:,} prompt tokens",
                f"≥ {DECODE_RATIO_TARGET:.0%}",
                f"{ratio:.1%}",
                verdict(ratio >= DECODE_RATIO_TARGET),
            ]
        )
    out += [
        "## Targets",
        "",
        md_table(["target", "goal", "measured", "result"], target_rows),
        "",
        f"Benchmark wall time: {time.perf_counter() - run_started:.0f} s; load average at the "
        f"end {_loadavg()} (other processes on the machine skew every timing above).",
        "",
    ]
    report = "\n".join(out)
    print()
    print(report)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(report)
        print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
