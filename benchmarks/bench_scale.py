"""Benchmark of the nightly digest at aggregator scale: the local engine against Ray, stage by stage.

Run from the repository root. The Ray runs need a cluster, started beforehand (``docs/scale.md``);
this one is two nodes of one CPU on this machine, on loopback addresses. ``--embedder hashing``
(the fake of ``tests/conftest.py``: the plumbing without the model) needs ``tests/`` on the
nodes' ``PYTHONPATH``::

    export RAY_USAGE_STATS_ENABLED=0 PYTHONPATH=$PWD:$PWD/tests
    ray start --head --node-ip-address 127.0.0.2 --port 6391 --num-cpus 1 --include-dashboard=false --disable-usage-stats
    ray start --address 127.0.0.2:6391 --node-ip-address 127.0.0.3 --num-cpus 1     # a second node
    .venv/bin/python benchmarks/bench_scale.py --sizes 10000 --engines local ray --ray-address 127.0.0.2:6391 --embedder hashing
    .venv/bin/python benchmarks/bench_scale.py --sizes 1000 --stop-after stories --ray-address 127.0.0.2:6391   # MiniLM
    .venv/bin/python benchmarks/bench_scale.py --sizes 50000 --stop-after articles --ray-address 127.0.0.2:6391  # ingest only
    ray stop

Articles are perturbed copies of the AllSides documents of ``../shared/data/allsides2021_dev.jsonl``
(or ``$SUMMARIZE_DATA``), read at run time and written to temporary JSONL files of 10,000
articles (under the reader's 20 MiB file limit), never into the repository. Copy ``k`` of a document gets the id ``<id>-k<k>``, its sentences rotated by ``k``,
a closing line ``Copy <k>.`` (so no two copies share a content hash) and its date moved ``k``
times 120 days back (further than the three months the data spans, so copies of one event
are separate stories, as an aggregator's night holds many separate stories rather than a few
giant ones). The digest day is the latest date.

Each (size, engine) runs in a fresh child process. Stages, timed from the run's own
``progress``/``checkpoint`` calls and a timing wrapper around the engine:

* ingest: read the JSONL, clean (the engine's part: ``clean s``), date, store;
* embed: every text the store did not hold, through the engine (clustering leads and the
  sentences of "what is new"; the briefs' own sentence vectors are counted in the brief stage);
* cluster: story assignment on the driver, its embedding excluded;
* brief: every story's extractive brief (the default ``--model extractive``), with its evidence.

The store's size (with its WAL) is taken at the end. Per-worker throughput is the stage's items per second divided by the workers that did it (1 for
the local engine and for clustering). Peak memory: ``ru_maxrss`` of the driver, and the largest
of the workers' (asked from each actor at the end).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = Path(os.environ.get("SUMMARIZE_DATA", ROOT.parent / "shared" / "data"))
SHIFT_DAYS = 120
FILE_ARTICLES = 10_000
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'])")


def documents() -> list[dict[str, str]]:
    path = DATA / "allsides2021_dev.jsonl"
    if not path.is_file():
        raise SystemExit(f"no {path}; set SUMMARIZE_DATA to the shared data folder")
    return [doc for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
            for doc in json.loads(line)["docs"]]


def articles(n: int) -> tuple[list[dict[str, str]], str]:
    """``n`` perturbed copies of the documents, and the digest day (the latest date)."""
    docs = documents()
    out = []
    for i in range(n):
        doc, k = docs[i % len(docs)], i // len(docs)
        sentences = _SENTENCE_END.split(doc["text"].strip())
        turn = k % len(sentences)
        text = " ".join(sentences[turn:] + sentences[:turn]) + (f"\n\nCopy {k}." if k else "")
        day = date.fromisoformat(doc["published"]) - timedelta(days=SHIFT_DAYS * k)
        out.append({"id": f"{doc['id']}-k{k}", "text": text, "outlet": doc.get("outlet", ""),
                    "title": doc.get("title", ""), "url": f"{doc.get('url', '')}#k{k}", "published": day.isoformat()})
    return out, max(d["published"] for d in docs)


class _Stop(Exception):
    """Raised by the checkpoint to end a run after the last stage asked for."""


class Timed:
    """An engine with a stopwatch: how long its cleaning, embedding and briefs took."""

    def __init__(self, inner):
        self.inner, self.name = inner, inner.name
        self.clean_s = 0.0
        self.encodes: list[tuple[float, float, int]] = []  # (start, end, texts)

    def __enter__(self):
        self.inner.__enter__()
        return self

    def __exit__(self, *exc):
        return self.inner.__exit__(*exc)

    def clean(self, raw, skipped):
        t = time.perf_counter()
        pairs = self.inner.clean(raw, skipped)
        self.clean_s += time.perf_counter() - t
        return pairs

    def embedder(self, embedder):
        inner, encodes = self.inner.embedder(embedder), self.encodes

        class Stopwatch:
            name = inner.name

            def encode(self, texts):
                t = time.perf_counter()
                vectors = inner.encode(texts)
                encodes.append((t, time.perf_counter(), len(texts)))
                return vectors

        return Stopwatch()

    def briefs(self, jobs, options, embedder):
        return self.inner.briefs(jobs, options, embedder)


def _embedder(name: str):
    if name == "hashing":
        sys.path.insert(0, str(ROOT / "tests"))
        from conftest import HashingEmbedder

        return HashingEmbedder
    from summarize.nlp.embed import default_embedder

    return default_embedder


def child(n: int, engine_name: str, address: str, workers: int | None, stop_after: str, embedder: str) -> dict:
    from summarize.digest import job as digest
    from summarize.digest.engine import LocalEngine

    make = _embedder(embedder)
    if engine_name == "ray":
        from summarize.digest.engine_ray import RayEngine

        engine = Timed(RayEngine(address=address, workers=workers, embedder_factory=make))
    else:
        engine = Timed(LocalEngine())
    marks: dict[str, float] = {}
    briefs_total = [0]

    def checkpoint(stage: str) -> None:
        marks.setdefault(stage, time.perf_counter())
        if stage == stop_after:
            raise _Stop

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "brief" and total and done == total:
            marks["briefed"], briefs_total[0] = time.perf_counter(), total

    rows, day = articles(n)
    worker_rss = []
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        # Files of FILE_ARTICLES articles (~9 MB), under the reader's file limit
        # (limits.max_file_bytes, 20 MiB), as a night's feeds arrive in several files.
        sources = []
        for start in range(0, len(rows), FILE_ARTICLES):
            sources.append(Path(tmp) / f"articles-{start // FILE_ARTICLES:03d}.jsonl")
            sources[-1].write_text("".join(json.dumps(a) + "\n" for a in rows[start:start + FILE_ARTICLES]),
                                   encoding="utf-8")
        del rows
        result = None
        with engine:
            t0 = time.perf_counter()
            try:
                result = digest.run([str(p) for p in sources], date=day, out_dir=Path(tmp) / "out", store=Path(tmp) / "s.sqlite",
                                    embedder=make(), engine=engine, checkpoint=checkpoint, progress=progress)
            except _Stop:
                pass
            end = time.perf_counter()
            store_mib = sum(p.stat().st_size for p in Path(tmp).glob("s.sqlite*")) / 2**20
            count = 1
            if engine_name == "ray":
                import ray

                count = len(engine.inner.workers)
                worker_rss = ray.get([w.peak_rss_mib.remote() for w in engine.inner.workers])
    articles_at, stories_at = marks.get("articles"), marks.get("stories")
    window = [e for e in engine.encodes if articles_at and e[0] >= articles_at and (not stories_at or e[1] <= stories_at)]
    embed_s = sum(e[1] - e[0] for e in window)
    texts = sum(e[2] for e in window)
    out = {
        "articles": n, "engine": engine_name, "workers": count, "embedder": embedder, "stop_after": stop_after,
        "total_s": round(end - t0, 1),
        "ingest_s": round(articles_at - t0, 1) if articles_at else None, "clean_s": round(engine.clean_s, 1),
        "embed_s": round(embed_s, 1) if stories_at else None, "embed_texts": texts,
        "cluster_s": round(stories_at - articles_at - embed_s, 1) if stories_at else None,
        "brief_s": round(marks["briefed"] - stories_at, 1) if "briefed" in marks else None,
        "stories": result.counts["stories"] if result else None, "briefs": briefs_total[0],
        "driver_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "worker_rss_mib": max(worker_rss) if worker_rss else None, "store_mib": round(store_mib, 1),
    }
    return out


def _rate(items: int | None, seconds: float | None, workers: int) -> str:
    if not items or not seconds:
        return "-"
    return f"{items / seconds / workers:.1f}"


def overhead(local: dict, ray: dict) -> str:
    """Ray against local for one size: wall time, and each stage's per-worker rate."""
    def ratio(key: str, items: str | int, per_worker: bool) -> str:
        rates = []
        for r in (ray, local):
            n = r[items] if isinstance(items, str) else items
            if not r.get(key) or not n:
                return "-"
            rates.append(n / r[key] / (r["workers"] if per_worker else 1))
        return f"{rates[0] / rates[1]:.2f}"

    n = local["articles"]
    return (f"{n} articles, Ray / local: wall time {ray['total_s'] / local['total_s']:.2f}; per-worker rate "
            f"clean {ratio('clean_s', n, True)}, embed {ratio('embed_s', 'embed_texts', True)}, "
            f"briefs {ratio('brief_s', 'briefs', True)}; driver's cluster rate {ratio('cluster_s', n, False)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000])
    parser.add_argument("--engines", nargs="+", choices=["local", "ray"], default=["local", "ray"])
    parser.add_argument("--ray-address", default="auto")
    parser.add_argument("--ray-workers", type=int, default=None)
    parser.add_argument("--stop-after", choices=["articles", "stories", "all"], default="all",
                        help="end each run after this stage (articles: ingest only; stories: + embed, cluster)")
    parser.add_argument("--embedder", choices=["minilm", "hashing"], default="minilm")
    parser.add_argument("--child", nargs=2, metavar=("N", "ENGINE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(int(args.child[0]), args.child[1], args.ray_address, args.ray_workers,
                               args.stop_after, args.embedder)))
        return
    print("| articles | engine | workers | ran | total s | ingest s (clean s) | embed s (texts) | cluster s "
          "| brief s (stories) | ingest art/s | clean art/s/worker | embed texts/s/worker | cluster art/s | briefs/s/worker "
          "| driver MiB | worker MiB | store MiB |")
    print("|" + "---|" * 17)
    notes = []
    for n in args.sizes:
        ran = {}
        for engine in args.engines:
            cmd = [sys.executable, __file__, "--child", str(n), engine, "--ray-address", args.ray_address,
                   "--stop-after", args.stop_after, "--embedder", args.embedder]
            if args.ray_workers:
                cmd += ["--ray-workers", str(args.ray_workers)]
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if proc.returncode:
                sys.exit(f"{n} articles, {engine}: failed\n{proc.stderr[-3000:]}")
            r = ran[engine] = json.loads(proc.stdout.strip().splitlines()[-1])
            w = r["workers"]
            print(f"| {n} | {engine} | {w} | {r['stop_after']} | {r['total_s']} | {r['ingest_s']} ({r['clean_s']}) "
                  f"| {r['embed_s']} ({r['embed_texts']}) | {r['cluster_s']} | {r['brief_s']} ({r['briefs']}) "
                  f"| {_rate(n, r['ingest_s'], 1)} | {_rate(n, r['clean_s'], w)} "
                  f"| {_rate(r['embed_texts'], r['embed_s'], w)} "
                  f"| {_rate(n, r['cluster_s'], 1)} | {_rate(r['briefs'], r['brief_s'], w)} "
                  f"| {r['driver_rss_mib']} | {r['worker_rss_mib'] or '-'} | {r['store_mib']} |", flush=True)
        if len(ran) == 2:
            notes.append(overhead(ran["local"], ran["ray"]))
    for note in notes:
        print(f"\n{note}")


if __name__ == "__main__":
    main()
