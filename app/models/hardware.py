"""What this machine has, read without loading a model.

The default context size depends on it: Pixtral's KV cache costs 160 KiB per token at f16, so a
128K context does not fit most machines and must not be assumed.
"""

from __future__ import annotations

import os
from pathlib import Path

from app.core.budget import MAX_CONTEXT, KvType, default_context
from app.core.errors import UserFacingError
from app.core.model_files import TextModelInfo


def available_memory_bytes() -> int:
    """Memory the OS can hand out now (Linux ``MemAvailable``; elsewhere free pages)."""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 8 * 1024**3


def pick_context(requested: int, model: TextModelInfo, kv_type: KvType) -> int:
    """``requested`` when set, else the largest context the memory allows (capped by training)."""
    if requested > MAX_CONTEXT:
        raise UserFacingError(
            f"A context of {requested:,} tokens is more than Pixtral Desk supports "
            f"({MAX_CONTEXT:,}); use --n-ctx {MAX_CONTEXT} or less."
        )
    if requested > 0:
        return max(requested, 256)
    chosen = default_context(available_memory_bytes(), model.file_size, model.kv_shape, kv_type)
    if model.n_ctx_train:
        chosen = min(chosen, model.n_ctx_train)
    return chosen
