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
