"""What the machine says about its CPU, read once per call and never guessed.

One rule for every room that picks a fast path from the CPU flags (the generative model's
backend, the sentence embedder's int8 export): ``$SUMMARIZE_CPU_FLAGS`` (space or comma
separated) replaces the flags when set, so tests and CI can simulate another CPU; else the
``flags`` (x86) or ``features`` (arm) line of ``/proc/cpuinfo``. A room that can probe the
CPU another way (torch) does so when neither is there.
"""

from __future__ import annotations

import os
import re

CPU_FLAGS_ENV = "SUMMARIZE_CPU_FLAGS"
# The flags a fast path is picked by (bf16 / fp16 / int8 kernels); results record these.
RELEVANT_FLAGS = ("avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512_vnni",
                  "avx512_bf16", "avx_vnni", "avx_ne_convert", "amx_tile", "amx_bf16")


def stated_cpu_flags() -> tuple[frozenset[str], str] | None:
    """The CPU flags, lower case, and where they were read (``$SUMMARIZE_CPU_FLAGS`` or
    ``/proc/cpuinfo``); ``None`` when neither states them (not Linux)."""
    given = os.environ.get(CPU_FLAGS_ENV)
    if given is not None:
        return frozenset(f.lower() for f in re.split(r"[\s,]+", given) if f), CPU_FLAGS_ENV
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as info:
            for line in info:
                key, sep, value = line.partition(":")
                if sep and key.strip().lower() in {"flags", "features"}:
                    return frozenset(value.lower().split()), "/proc/cpuinfo"
    except OSError:
        pass
    return None


def relevant_cpu_flags() -> dict[str, object]:
    """The :data:`RELEVANT_FLAGS` this CPU has and where they were read, for a result
    record (``{"flags": [...], "from": ...}``; ``flags`` is ``None`` when unknown)."""
    stated = stated_cpu_flags()
    if stated is None:
        return {"flags": None, "from": None}
    flags, origin = stated
    return {"flags": [f for f in RELEVANT_FLAGS if f in flags], "from": origin}
