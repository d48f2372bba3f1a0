"""Long fuzzing profile: at least 10,000 examples per target, any exception but a
SummarizeError a failure, any example over 10 s a hang.

Run from the repository root::

    .venv/bin/python benchmarks/fuzz.py                 # 10,000 examples per target
    .venv/bin/python benchmarks/fuzz.py --examples 500  # a quicker look

It runs ``tests/fuzz/test_fuzz.py`` with the ``long`` hypothesis profile (random seeds:
each run explores new inputs) and prints, per target, the examples run, the failures and
the typical time per example, from hypothesis' own statistics (an example over 10 s fails
as a hang: the profile's deadline).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def cpu_flags() -> str:
    try:
        flags = next(line for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("flags"))
    except (OSError, StopIteration):
        return "unknown"
    wanted = ("avx2", "avx512f", "avx512_bf16", "amx_bf16")
    return " ".join(f for f in wanted if f" {f}" in flags) or "no avx2"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=10_000, help="examples per target [10000]")
    parser.add_argument("--only", default="", help="a pytest -k expression to run some targets only")
    args = parser.parse_args()
    env = dict(os.environ, SUMMARIZE_FUZZ_PROFILE="long", SUMMARIZE_FUZZ_EXAMPLES=str(args.examples))
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/fuzz/test_fuzz.py",
         "--hypothesis-show-statistics", *(["-k", args.only] if args.only else [])],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )
    seconds = time.perf_counter() - started
    out = proc.stdout
    print(f"fuzz, long profile: {args.examples} examples per target; {platform.processor() or platform.machine()}, "
          f"CPU flags: {cpu_flags()}; {seconds:.0f} s wall")
    print("| target | examples | failing (incl. > 10 s) | typical time per example |")
    print("|---|---|---|---|")
    for block in re.split(r"\n(?=tests/fuzz/test_fuzz.py::\w+:\n)", out):
        name = re.match(r"tests/fuzz/test_fuzz.py::(\w+):\n", block)
        if not name:
            continue
        counts = re.findall(r"(\d+) passing, (\d+) failing", block)
        passing = sum(int(p) for p, _ in counts)
        failing = sum(int(f) for _, f in counts)
        slow = re.findall(r"Typical runtimes: ~?\s*([^\n]+)", block)
        print(f"| {name.group(1)} | {passing + failing} | {failing} | {slow[-1] if slow else '?'} |")
    failed = re.findall(r"^FAILED (\S+)", out, flags=re.M)
    print(f"\n{len(failed)} target(s) failed" + (": " + ", ".join(failed) if failed else ""))
    if failed:
        print(out[-6000:])
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
