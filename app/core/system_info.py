"""Reading llama.cpp's one-line build description.

``llama_print_system_info()`` lists the compiled ggml backends as ``"CUDA : ARCHS = 900 | …
| CPU : SSE3 = 1 | …"``. Both the engine (which device it runs on) and the hardware probe
(what this installation can do) need the backend names from it.
"""

from __future__ import annotations


def parse_system_info(info: str) -> tuple[str, ...]:
    """Backend names in the order llama.cpp lists them; ``("CPU",)`` when none is found."""
    names: list[str] = []
    for segment in info.split("|"):
        if " : " in segment:
            name = segment.split(" : ")[0].strip()
            if name and name not in names:
                names.append(name)
    return tuple(names) or ("CPU",)
