"""``pixtral-desk models …``: the model setup from a terminal.

``list`` shows the catalog (and which pairs are already in the Hugging Face cache), ``find``
reads GGUF headers on disk, ``recommend`` probes the hardware and picks a quantization, and
``download`` fetches a model *with* its projector. ``app/cli.py`` calls
``add_models_commands(subparsers)``; errors are ``UserFacingError`` subclasses, which the main
CLI prints as one line and turns into exit status 2. Progress goes to stderr and results to
stdout, so ``$(pixtral-desk models download …)`` captures just the paths.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from app.core.budget import KvType
from app.core.errors import UserFacingError
from app.models.catalog import Catalog, Quant, RemoteFile, load_catalog
from app.models.discovery import ModelPair, scan
from app.models.download import Downloader, Progress, hub_cache_dir

PROGRESS_EVERY_S = 0.25  # a redraw per chunk would flood a slow terminal


class ModelsCliError(UserFacingError):
    """Bad input to a ``models`` sub-command (a folder that does not exist, …)."""


def add_models_commands(subparsers: argparse._SubParsersAction) -> None:
    models = subparsers.add_parser(
        "models", help="list, find, recommend and download Pixtral GGUF models"
    )
    commands = models.add_subparsers(dest="models_command", required=True)

    listing = commands.add_parser("list", help="the known Pixtral releases and quantizations")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(run=_run_list)

    find = commands.add_parser(
        "find", help="model + projector pairs on disk (HF cache, LM Studio, Jan, FOLDERs)"
    )
    find.add_argument("folders", nargs="*", type=Path, metavar="FOLDER")
    find.add_argument(
        "--only", action="store_true", help="search only the FOLDERs, not the usual places"
    )
    find.add_argument("--json", action="store_true")
    find.set_defaults(run=_run_find)

    rec = commands.add_parser("recommend", help="the quantization, GPU layers and context to use")
    rec.add_argument(
        "--kv-type",
        choices=[k.value for k in KvType],
        help="plan for this KV cache type (default: the settings' choice; left at f16, "
        "q8_0 wherever f16 cannot hold the full context)",
    )
    rec.add_argument("--json", action="store_true")
    rec.set_defaults(run=_run_recommend)

    download = commands.add_parser(
        "download", help="download a model and its vision projector into the HF cache"
    )
    download.add_argument("name", help="a release (e.g. ggml-org) or release:QUANT")
    download.add_argument("--quant", help="quantization, e.g. Q4_K_M (default: Q4_K_M)")
    download.add_argument("--json", action="store_true", help="print the paths as JSON")
    download.set_defaults(run=_run_download)


def _catalog() -> Catalog:
    return load_catalog()


def cached_path(remote: RemoteFile, cache_dir: Path | None = None) -> Path | None:
    """Where a finished download of ``remote`` sits in the HF cache, if it does."""
    folder = (cache_dir or hub_cache_dir()) / ("models--" + remote.repo.replace("/", "--"))
    for path in sorted((folder / "snapshots").glob(f"*/{remote.filename}")):
        if path.exists():  # a dangling link is not a download
            return path
    return None


def _run_list(args: argparse.Namespace) -> int:
    catalog = _catalog()
    rows = []
    for release in catalog.releases:
        for q in release.quants:
            installed = all(cached_path(f) for f in q.files)
            rows.append(
                {
                    "name": q.name,
                    "release": release.label,
                    "repo": release.repo,
                    "quant": q.quant,
                    "model_file": q.model.filename,
                    "mmproj_file": q.mmproj.filename,
                    "size_bytes": q.total_bytes,
                    "reference": release.reference,
                    "downloaded": installed,
                }
            )
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
        return 0
    print(f"{'name':<24} {'size':>9}  {'':<10} repository")
    for row in rows:
        mark = "downloaded" if row["downloaded"] else ""
        print(f"{row['name']:<24} {row['size_bytes'] / 1e9:>6.1f} GB  {mark:<10} {row['repo']}")
    print("Sizes include the vision projector (mmproj), which is always downloaded with the model.")
    return 0


def _pair_row(pair: ModelPair) -> dict[str, Any]:
    return {
        "model": str(pair.model.path),
        "mmproj": str(pair.mmproj.path),
        "quant": pair.quant,
        "source": pair.source,
        "size_bytes": pair.size_bytes,
    }


def _run_find(args: argparse.Namespace) -> int:
    missing = [str(f) for f in args.folders if not Path(f).expanduser().is_dir()]
    if missing:
        raise ModelsCliError(f"No such folder: {', '.join(missing)}.")
    if args.only and not args.folders:
        raise ModelsCliError("--only needs at least one FOLDER to search.")
    result = scan([] if args.only else None, extra_folders=args.folders)
    if args.json:
        print(
            json.dumps(
                {
                    "pairs": [_pair_row(p) for p in result.pairs],
                    "unpaired_models": [str(m.path) for m in result.unpaired_models],
                    "rejected": [{"path": str(p), "reason": r} for p, r in result.rejected],
                    "lookalikes": [{"path": str(p), "reason": r} for p, r in result.lookalikes],
                    "skipped": [{"path": str(p), "reason": r} for p, r in result.skipped],
                    "skipped_summary": result.skipped_summary,
                },
                ensure_ascii=False,
            )
        )
        return 0 if result.pairs else 1
    for pair in result.pairs:
        print(
            f"{pair.quant:<8} {pair.size_bytes / 1e9:>6.2f} GB  {pair.source}\n"
            f"    model:  {pair.model.path}\n    mmproj: {pair.mmproj.path}"
        )
    for model in result.unpaired_models:
        # The newcomer's classic trap: a model without its projector cannot see images.
        print(f"pixtral-desk: {model.path} has no vision projector beside it.", file=sys.stderr)
    for path, reason in result.lookalikes:  # Mistral Small files, which look like Pixtral
        print(f"pixtral-desk: {path}: {reason}", file=sys.stderr)
    if result.skipped_summary:  # loops, FIFOs, unreadable folders: one line, not a traceback
        print(f"pixtral-desk: search {result.skipped_summary}.", file=sys.stderr)
    if not result.pairs:
        print(
            "No Pixtral model with its projector found; "
            "try `pixtral-desk models download ggml-org`.",
            file=sys.stderr,
        )
        return 1
    return 0


def _run_recommend(args: argparse.Namespace) -> int:
    from app.models.hardware import probe
    from app.models.memory_fit import recommend

    catalog = _catalog()
    report = probe(hub_cache_dir().parent if hub_cache_dir().parent.exists() else None)
    rec = recommend(catalog, report, kv_type=_chosen_kv_type(args))
    if args.json:
        out: dict[str, Any] = {"hardware": report.summary_lines(), "recommendation": None}
        if rec is not None:
            out["recommendation"] = {
                "name": rec.quant.name,
                "n_gpu_layers": rec.n_gpu_layers,
                "n_ctx": rec.n_ctx,
                "kv_type": rec.kv_type.value,
                "estimate_bytes": rec.estimate.total,
                "reason": rec.reason,
                "kv_note": rec.kv_note,
            }
        print(json.dumps(out, ensure_ascii=False))
        return 0 if rec else 1
    for line in report.summary_lines():
        print(line)
    print()
    if rec is None:
        print("Not even the smallest quantization fits with a 4,096-token context here.")
        print("Use La Plateforme or an OpenAI-compatible server instead.")
        return 1
    layers = "all" if rec.n_gpu_layers < 0 else str(rec.n_gpu_layers)
    print(f"Recommended: {rec.quant.name} ({rec.quant.total_bytes / 1e9:.1f} GB), {rec.reason}")
    print(f"  GPU layers: {layers}, context: {rec.n_ctx:,} tokens, KV cache: {rec.kv_type.value}")
    print(f"  {rec.kv_note}")
    print(f"  {rec.estimate.describe()}")
    print(f"Download it: pixtral-desk models download {rec.quant.name}")
    return 0


def _chosen_kv_type(args: argparse.Namespace) -> KvType | None:
    """The KV type the user chose: ``--kv-type``, else the saved settings' when not the default.

    Per-model overrides do not apply here: the recommendation is for a file not yet chosen.
    """
    if getattr(args, "kv_type", None):
        return KvType(args.kv_type)
    from app.models.kv_choice import explicit_kv_type
    from app.settings import Settings

    return explicit_kv_type(dict(Settings(getattr(args, "config", None)).items()))


class _ProgressLine:
    """One self-overwriting stderr line with speed and time left."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.last = 0.0
        self.width = 0
        self.shown = False

    def __call__(self, progress: Progress) -> None:
        now = time.monotonic()
        final = progress.done_bytes >= progress.total_bytes
        if not final and now - self.last < PROGRESS_EVERY_S:
            return
        self.last = now
        text = f"{progress.fraction * 100:5.1f}%  {progress.describe()}"
        pad = " " * max(0, self.width - len(text))
        self.width = len(text)
        self.stream.write(f"\r{text}{pad}")
        self.stream.flush()
        self.shown = True

    def end(self) -> None:
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()
            self.shown = False


def _run_download(args: argparse.Namespace) -> int:
    quant: Quant = _catalog().find(args.name, args.quant)
    line = _ProgressLine(sys.stderr)
    print(
        f"Downloading {quant.name}: {quant.model.filename} + {quant.mmproj.filename}",
        file=sys.stderr,
    )
    try:
        model, mmproj = Downloader().download_pair(quant, line)
    except KeyboardInterrupt:
        line.end()
        print("Paused; run the same command again to resume.", file=sys.stderr)
        raise
    finally:
        line.end()
    if args.json:
        print(json.dumps({"name": quant.name, "model": str(model), "mmproj": str(mmproj)}))
    else:
        print(model)
        print(mmproj)
    return 0
