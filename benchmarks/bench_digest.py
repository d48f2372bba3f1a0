"""Benchmark of the nightly digest end to end: a first run, then an unchanged re-run.

Run from the repository root::

    .venv/bin/python benchmarks/bench_digest.py                       # 200 and 1,000 articles
    .venv/bin/python benchmarks/bench_digest.py --sizes 200           # one size
    .venv/bin/python benchmarks/bench_digest.py --embedder hashing    # no model: plumbing cost only
    .venv/bin/python benchmarks/bench_digest.py --model default       # abstractive briefs (slow)
    .venv/bin/python benchmarks/bench_digest.py --model default --width 4   # 4 stories side by side

With a model, ``--width`` stories are written side by side and their claim prompts decoded
together (``summarize.digest.engine.write_briefs``; default: the local engine's, 1); width 1
writes each brief in turn. Compare the two for the batching speedup.

Articles are the documents of ``../shared/data/*.jsonl`` (or ``$SUMMARIZE_DATA``), read at
run time and written to a temporary JSONL file, never into the repository. Each document
gets an outlet (``Outlet <k>``, k cycling over 7 so stories have several outlets) and the
digest day as its date. Sizes above the 422 available documents add copies that carry one
extra closing line (``Filed by desk <k>.``): near-duplicates, as wire copies are.

Each size runs in a fresh child process: the first run (empty store: read, clean, store,
assign stories, brief every story, render) and then the same command again (every article
known, every brief cached). Peak RSS is the child's ``ru_maxrss`` after the first run.
Target: the re-run takes under 10% of the first run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = Path(os.environ.get("SUMMARIZE_DATA", ROOT.parent / "shared" / "data"))
DAY = "2026-11-23"


def documents() -> list[dict[str, str]]:
    docs = []
    for path in sorted(DATA.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                docs.extend(json.loads(line)["docs"])
    if not docs:
        raise SystemExit(f"no documents in {DATA}/*.jsonl; set SUMMARIZE_DATA")
    return docs


def articles(n: int) -> list[dict[str, str]]:
    docs = documents()
    out = []
    for i in range(n):
        doc, copy = docs[i % len(docs)], i // len(docs)
        text = doc["text"] if copy == 0 else f"{doc['text']}\n\nFiled by desk {copy}."
        out.append({"id": f"{doc['id']}-c{copy}", "text": text, "outlet": f"Outlet {i % 7}",
                    "published": DAY})
    return out


def child(n: int, embedder_name: str, model: str, width: int) -> dict:
    from summarize.digest import job as digest
    from summarize.digest.engine import LocalEngine
    from summarize.options import Options

    if embedder_name == "hashing":
        sys.path.insert(0, str(ROOT / "tests"))
        from conftest import HashingEmbedder

        embedder = HashingEmbedder()
    else:
        from summarize.nlp.embed import default_embedder

        embedder = default_embedder()
    with tempfile.TemporaryDirectory(prefix="bench-digest-") as tmp:
        source = Path(tmp) / "articles.jsonl"
        source.write_text("".join(json.dumps(a) + "\n" for a in articles(n)), encoding="utf-8")
        kwargs = dict(date=DAY, out_dir=Path(tmp) / "out", store=Path(tmp) / "state.sqlite",
                      options=Options(model=model), embedder=embedder, engine=LocalEngine(width=width))
        t0 = time.perf_counter()
        first = digest.run([str(source)], **kwargs)
        t1 = time.perf_counter()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB -> MiB on Linux
        again = digest.run([str(source)], **kwargs)
        t2 = time.perf_counter()
    return {
        "articles": n, "embedder": embedder_name, "model": model, "width": width,
        "stories": first.counts["stories"], "first_s": round(t1 - t0, 2), "peak_rss_mib": round(peak),
        "rerun_s": round(t2 - t1, 2), "rerun_share": round((t2 - t1) / (t1 - t0), 4),
        "rerun_cached": again.counts["briefs_cached"], "rerun_written": again.counts["briefs_written"],
    }


def main() -> None:
    from summarize.digest.engine import BATCH_WIDTH

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--embedder", choices=["minilm", "hashing"], default="minilm")
    parser.add_argument("--model", default="extractive", help="extractive (default) | default | fast | ...")
    parser.add_argument("--width", type=int, default=BATCH_WIDTH,
                        help=f"stories written side by side with a model (default {BATCH_WIDTH}; 1: one at a time)")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.embedder, args.model, args.width)))
        return
    print(f"CPU: {_cpu()}; load average at start {os.getloadavg()[0]:.2f}", flush=True)
    print("| articles | stories | embedder | model | width | first run s | peak RSS MiB | re-run s | re-run / first "
          "| load after |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for n in args.sizes:
        proc = subprocess.run(
            [sys.executable, __file__, "--child", str(n), "--embedder", args.embedder, "--model", args.model,
             "--width", str(args.width)],
            capture_output=True, text=True, check=False,
        )
        if proc.returncode:
            sys.exit(f"size {n} failed:\n{proc.stderr[-2000:]}")
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"| {n} | {r['stories']} | {r['embedder']} | {r['model']} | {r['width']} | {r['first_s']} | "
              f"{r['peak_rss_mib']} | {r['rerun_s']} | {r['rerun_share']:.1%} | {os.getloadavg()[0]:.2f} |",
              flush=True)


def _cpu() -> str:
    """The CPU's model name and whether it has AVX512-BF16 (``$SUMMARIZE_CPU_FLAGS`` simulates another)."""
    from summarize.models.cpu_linear import cpu_flags

    name = "unknown"
    try:
        with open("/proc/cpuinfo") as info:
            name = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{name}, {'avx512_bf16' if 'avx512_bf16' in cpu_flags() else 'no avx512_bf16'}"


if __name__ == "__main__":
    main()
