"""Benchmark of the approximate neighbour search behind the candidate graph, up to 1M vectors.

Run from the repository root::

    .venv/bin/python benchmarks/bench_neighbours.py                      # 100k, 300k, 1M
    .venv/bin/python benchmarks/bench_neighbours.py --sizes 100000 --methods ivf,hnsw
    .venv/bin/python benchmarks/bench_neighbours.py --real               # MiniLM vectors

The vectors are synthetic (no corpus here has a million articles): 384-d unit vectors in
three levels like news embeddings, topics of about 2,000 articles, events of 1-12 articles
inside a topic (about 0.5 cosine between two events of one topic), and articles around
their event (about 0.55 cosine within an event, 0.27 across events of a topic, 0 across
topics). Each article asks for its ``neighbors`` (15) nearest others, the self-join of
``linkage.neighbours`` for undated articles, which is the largest search it makes.

Per method and size, in a fresh process each: wall time, peak resident memory of the
process (``VmHWM``, the vectors included) and the part of it above what the process held
before the search (``VmHWM`` reset then), and recall@15: the share of each query's exact 15
nearest others that the search returns, on 1,000 seeded random queries whose exact
neighbours are computed by brute force. Then, per method, the exponent ``b`` of a
least-squares fit ``seconds ~ n ** b`` over the sizes run. ``ivf`` is the search of
``linkage.neighbours`` above ``exact_limit`` (the two-level inverted file of
:mod:`summarize.events.neighbours`, cells of 256, 8 probes); ``hnsw`` is faiss's navigable
small-world graph (Malkov & Yashunin, 2018; ``pip install faiss-cpu==1.15.1``, not a
dependency), built on one thread so that it is deterministic, M=32, efConstruction=80,
efSearch=96, tried as a replacement and not adopted (``docs/embedding.md``).

``--real`` checks recall on real MiniLM vectors instead: the title and lead (as clustering
embeds them) of every document of the three shared sets, embedded with the default
embedder, searched by the approximate search with cells of ``n / 64`` and of 32 vectors
(8 probed) against the exact search, every vector a query, with the share of the set
each query was compared with.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from summarize.events import linkage  # noqa: E402
from summarize.events import neighbours as approximate  # noqa: E402
from summarize.events.cluster import ClusterOptions  # noqa: E402

SAMPLE = 1000


def clustered(n: int, dim: int = 384, seed: int = 0) -> np.ndarray:
    """``n`` unit vectors in topics > events > articles (see the module docstring)."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 13, size=n)
    event_of = np.repeat(np.arange(n), sizes)[:n]
    n_events = int(event_of.max()) + 1
    topics = rng.standard_normal((max(1, n // 2000), dim), dtype=np.float32)
    topics /= np.linalg.norm(topics, axis=1, keepdims=True)
    events = topics[rng.integers(len(topics), size=n_events)]
    events += rng.standard_normal(events.shape, dtype=np.float32) / np.sqrt(dim)
    events /= np.linalg.norm(events, axis=1, keepdims=True)
    x = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, 100_000):  # in slices, so the noise never doubles the memory
        part = events[event_of[start:start + 100_000]]
        part += rng.standard_normal(part.shape, dtype=np.float32) * (0.9 / np.sqrt(dim))
        x[start:start + 100_000] = part / np.linalg.norm(part, axis=1, keepdims=True)
    return x[rng.permutation(n)]


def hnsw(queries: np.ndarray, cands: np.ndarray, k: int, same: bool, opts):
    """Self-join top-``k`` with faiss HNSW (``same`` only: each row's ``k`` nearest others)."""
    import faiss

    index = faiss.IndexHNSWFlat(cands.shape[1], 32, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = 80
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)  # a parallel build links nodes in a run-dependent order
    index.add(cands)
    faiss.omp_set_num_threads(threads)
    index.hnsw.efSearch = 96
    sims, found = index.search(queries, k + 1)
    rows = np.repeat(np.arange(len(queries)), k + 1).reshape(found.shape)
    keep = (found >= 0) & (found != rows)
    keep &= np.cumsum(keep, axis=1) <= k
    return rows[keep], found[keep], sims[keep]


def _rss(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1]) / 1024
    return float("nan")


def recall(x: np.ndarray, queries: np.ndarray, rows: np.ndarray, cols: np.ndarray, k: int) -> float:
    """Share of each query's exact ``k`` nearest others (brute force) that ``rows, cols`` hold."""
    exact_r, exact_c, _ = linkage.top_k(x[queries], x, k + 1, False)
    hits = total = 0
    start = np.searchsorted(rows, queries)
    stop = np.searchsorted(rows, queries, side="right")
    for i, q in enumerate(queries):
        truth = [c for c in exact_c[exact_r == i] if c != q][:k]
        hits += len(set(truth) & set(cols[start[i]:stop[i]].tolist()))
        total += len(truth)
    return hits / total


def one(method: str, n: int) -> dict:
    """Time, memory and recall of one method on ``n`` vectors (run in its own process)."""
    opts = ClusterOptions()
    x = clustered(n)
    search = hnsw if method == "hnsw" else linkage.neighbours
    base = _rss("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    rows, cols, _ = search(x, x, opts.neighbors, True, opts)
    seconds = time.perf_counter() - t0
    peak = _rss("VmHWM")
    queries = np.sort(np.random.default_rng(1).choice(n, size=min(SAMPLE, n), replace=False))
    return {"method": method, "vectors": n, "seconds": seconds, "us per vector": 1e6 * seconds / n,
            "peak RSS MiB": peak, "peak MiB above data": peak - base,
            "recall@15": recall(x, queries, rows, cols, opts.neighbors),
            "load before": load, "load after": os.getloadavg()[0]}


def real() -> list[dict]:
    """Recall of the approximate path on MiniLM vectors of the shared sets' documents."""
    from summarize.events.cluster import lead_and_text
    from summarize.nlp.embed import default_embedder
    from summarize.records import Article

    opts = ClusterOptions()
    out = []
    for name in ("allsides2021_dev", "multiling2011_en", "multinews_val100"):
        path = ROOT.parent / "shared" / "data" / f"{name}.jsonl"
        docs = [Article(id=d["id"], text=d["text"], title=d.get("title", ""))
                for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
                for d in json.loads(line)["docs"]]
        x = default_embedder().encode([lead_and_text(a, opts.lead_sentences)[0] for a in docs])
        x = np.asarray(x, dtype=np.float32)
        # These sets are small: cells of n/64 vectors (64 cells, 8 probed) and of 32 stand in
        # for the 256-vector cells of a large night; "scanned" is the share of the set a
        # query is compared with (about 0.2% for 1M vectors).
        for cell in (max(2, len(x) // 64), 32):
            tree, near = approximate.build(x, opts.seed, cell, opts.probes)
            rows, cols, _ = approximate.search(x, x, opts.neighbors, True, opts.probes, opts.seed, cell)
            scanned = np.where(near >= 0, np.diff(tree.start)[near], 0).sum(axis=1).mean() / len(x)
            out.append({"set": name, "vectors": len(x), "cell size": cell, "cells": len(tree.cells),
                        "scanned": round(float(scanned), 3),
                        "recall@15": recall(x, np.arange(len(x)), rows, cols, opts.neighbors)})
    return out


def exponent(rows: list[dict], method: str) -> float:
    """``b`` of the least-squares fit ``log seconds = a + b log n``."""
    pts = [(math.log(r["vectors"]), math.log(r["seconds"])) for r in rows if r["method"] == method]
    if len(pts) < 2:
        return float("nan")
    return float(np.polyfit(*zip(*pts), 1)[0])


def table(rows: list[dict]) -> str:
    heads = list(rows[0])
    cell = lambda v: f"{v:.3f}" if isinstance(v, float) else str(v)  # noqa: E731
    lines = ["| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
    return "\n".join(lines + ["| " + " | ".join(cell(r[h]) for h in heads) + " |" for r in rows])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,300000,1000000")
    parser.add_argument("--real", action="store_true", help="recall on MiniLM vectors of the shared sets")
    parser.add_argument("--methods", default="ivf", help="ivf and/or hnsw")
    parser.add_argument("--one", nargs=2, metavar=("METHOD", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.real:
        print(table(real()))
        return
    if args.one:
        print(json.dumps(one(args.one[0], int(args.one[1]))))
        return
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        for method in args.methods.split(","):
            done = subprocess.run([sys.executable, __file__, "--one", method, str(n)],
                                  capture_output=True, text=True, check=True)
            rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    print(f"CPU: {os.cpu_count()} cores; synthetic clustered vectors (see --help)\n")
    print(table(rows))
    for method in args.methods.split(","):
        print(f"\n{method}: seconds ~ n ** {exponent(rows, method):.2f} over {args.sizes}")


if __name__ == "__main__":
    main()
