"""Benchmark of the sentence-embedding backends: speed per article lead, agreement, stories.

Run from the repository root::

    .venv/bin/python benchmarks/bench_embed.py                 # speed + cosine + stories
    .venv/bin/python benchmarks/bench_embed.py --speed         # speed and cosine only
    .venv/bin/python benchmarks/bench_embed.py --backends torch,onnx
    .venv/bin/python benchmarks/bench_embed.py --speed --threads 1,2   # thread counts too
    .venv/bin/python benchmarks/bench_embed.py --lengths 128,160,full  # other cuts

Every backend runs at each of ``--lengths`` (word pieces read per text: the opt-in cut
``SPEED_CUT``, 160, and ``full``, the model's own 256 and the library's default), and the baseline of every
ratio is **torch at full length**, the embedder before issue 17 ("today" in the issue).

Speed: a fixed set of real article leads (title + the first 8 content sentences, the text
clustering embeds, cut at a word boundary near 1,000 characters; the first ``--leads``
AllSides, MultiLing and Multi-News documents whose lead reaches 900 characters) is encoded
in one ``encode`` call, as the digest hands its uncached leads over, by a fresh
``MiniLMEmbedder`` per backend after one warm-up call (so model loading and the one-time
ONNX export are not timed; they are printed apart). The backends take turns for
``--rounds`` rounds and the median is printed, because the machine may be shared.

Agreement: cosine between each variant's vector and the full-length torch vector of the same
lead (min / mean).

Stories: B-cubed F1 (Bagga & Baldwin, 1998) of ``cluster()`` with each variant's vectors
on the sets of ``bench_cluster.py`` (AllSides with and without dates, MultiLing, Multi-News,
and the last two again through ``summarize.load`` with their titles),
and the difference to full-length torch.

Last, the default embedder (the backend ``auto`` picks on this CPU, ``$SUMMARIZE_CPU_FLAGS``
simulates another, at the default cut): its speed ratio to full-length torch and its B-cubed
differences, against the targets of issue 17 (>= 3x, |difference| <= 0.005 on every set).

The model cache is ``$SUMMARIZE_CACHE_DIR`` (or the user cache dir); run once to export.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_cluster import ALLSIDES, SETS, load_loaded, load_pool, score, table  # noqa: E402

from summarize.events.cluster import ClusterOptions, cluster, lead_and_text  # noqa: E402
from summarize.nlp.embed import MAX_TOKENS, SPEED_CUT, MiniLMEmbedder, choose_backend  # noqa: E402

BACKENDS = ("torch", "onnx", "onnx-int8")
BASELINE = "torch, full"  # the embedder before issue 17: torch, texts read up to 256 tokens


def label(backend: str, tokens: int | None, threads: int | None = None) -> str:
    out = f"{backend}, {'full' if tokens is None else tokens}"
    return out if threads is None else f"{out}, {threads} thread(s)"


def fixed_leads(count: int, chars: int = 1000) -> list[str]:
    """``count`` real leads of about ``chars`` characters, always the same ones."""
    articles = load_pool(ALLSIDES)[0] + [a for f in SETS.values() for a in load_pool(f)[0]]
    leads = []
    for article in articles:
        lead = lead_and_text(article, 8)[0]
        if len(lead) >= 0.9 * chars:
            leads.append(lead[:chars].rsplit(" ", 1)[0])
        if len(leads) == count:
            break
    return leads


class Memo:
    """One backend's vectors, each text encoded once (the story sets share many leads)."""

    def __init__(self, inner: MiniLMEmbedder) -> None:
        self.inner, self.name, self.vectors = inner, inner.name, {}

    def encode(self, texts):
        todo = list(dict.fromkeys(t for t in texts if t not in self.vectors))
        if todo:
            self.vectors.update(zip(todo, self.inner.encode(todo)))
        return np.stack([self.vectors[t] for t in texts]) if texts else self.inner.encode([])


def speed(backends, lengths, leads, rounds: int, threads=()) -> tuple[list[dict], dict]:
    """Rows per backend and length (and per ONNX backend at each of ``threads``, first
    length), and the embedders; the full-length torch baseline is always included."""
    embedders, rows, vectors = {}, [], {}
    variants = [("torch", None, None)]
    variants += [(b, n, None) for n in lengths for b in backends if (b, n) != ("torch", None)]
    variants += [(b, lengths[0], t) for t in threads for b in backends if b.startswith("onnx")]
    for b, n, t in variants:
        name = label(b, n, t)
        saved = os.environ.get("SUMMARIZE_EMBED_THREADS")
        if t is not None:
            os.environ["SUMMARIZE_EMBED_THREADS"] = str(t)  # read when the session is made
        t0 = time.perf_counter()
        embedders[name] = MiniLMEmbedder(backend=b, max_tokens=n)
        embedders[name].encode(leads[:4])  # load (and export, the first time) outside the timing
        rows.append({"backend, tokens": name, "load s": time.perf_counter() - t0})
        if t is not None:
            os.environ.pop("SUMMARIZE_EMBED_THREADS")
            if saved is not None:
                os.environ["SUMMARIZE_EMBED_THREADS"] = saved
    times = {b: [] for b in embedders}
    for _ in range(rounds):
        for b in embedders:
            t0 = time.perf_counter()
            vectors[b] = embedders[b].encode(leads)
            times[b].append(time.perf_counter() - t0)
    base = statistics.median(times[BASELINE])
    for row in rows:
        b = row["backend, tokens"]
        ms = 1000 * statistics.median(times[b]) / len(leads)
        row.update({"ms per lead (median)": ms, "min ms": 1000 * min(times[b]) / len(leads),
                    "x torch full": base / statistics.median(times[b])})
        cos = (vectors[b] * vectors[BASELINE]).sum(axis=1)
        row.update({"cos min": float(cos.min()), "cos mean": float(cos.mean())})
        row["name"] = embedders[b].name
    return rows, embedders


def stories(embedders) -> list[dict]:
    pools = {
        "AllSides dev, with dates": load_loaded(ALLSIDES),
        "AllSides dev, without dates": load_loaded(ALLSIDES, dated=False),
        **{label: load_pool(filename) for label, filename in SETS.items()},
        # With their titles (leads get longer): where the 160-token cut cost a MultiLing story.
        **{f"{label}, through summarize.load": load_loaded(filename) for label, filename in SETS.items()},
    }
    rows = []
    for label, (articles, gold) in pools.items():
        row = {"set": label}
        for b in embedders:
            found = cluster(articles, embedder=embedders[b], options=ClusterOptions())
            row[f"B3 F1 {b}"] = score(articles, gold, found)["B3 F1"]
        for b in embedders:
            if b != BASELINE:
                row[f"diff {b}"] = row[f"B3 F1 {b}"] - row[f"B3 F1 {BASELINE}"]
        rows.append(row)
    return rows


def cpu_line() -> str:
    flags = os.environ.get("SUMMARIZE_CPU_FLAGS")
    try:
        info = Path("/proc/cpuinfo").read_text()
        model = next(ln.split(":", 1)[1].strip() for ln in info.splitlines() if ln.startswith("model name"))
        real = set(next(ln for ln in info.splitlines() if ln.startswith("flags")).split(":", 1)[1].split())
    except (OSError, StopIteration):
        model, real = platform.processor(), set()
    kind = ("simulated AVX2-only (torch capped; ONNX Runtime picks its kernels from cpuid)"
            if flags else "avx512_bf16" if "avx512_bf16" in real else "avx2" if "avx2" in real else "?")
    return f"{model}, {os.cpu_count()} cores, {kind}, load average {os.getloadavg()[0]:.2f}"


def auto_summary(chosen: str, rows: list[dict], story_rows: list[dict] | None) -> str:
    """One paragraph: the default embedder's speed ratio and B-cubed differences to
    full-length torch; ``chosen`` is its row label."""
    speed_row = next((r for r in rows if r["backend, tokens"] == chosen), None)
    if speed_row is None or chosen == BASELINE:
        return f"the default is {chosen!r} (not compared: add it to --backends / --lengths)"
    ratio = speed_row["x torch full"]
    out = [f"the default is {chosen!r} ({speed_row['name']}): {ratio:.2f}x full-length torch per lead "
           f"({'meets' if ratio >= 3 else 'misses'} >= 3x); cosine with torch min "
           f"{speed_row.get('cos min', float('nan')):.4f}, mean {speed_row.get('cos mean', float('nan')):.4f}"]
    if story_rows:
        diffs = {r["set"]: r.get(f"diff {chosen}", 0.0) for r in story_rows}
        worst = max(abs(d) for d in diffs.values())
        out.append("B3 F1 minus full-length torch: " + ", ".join(f"{k} {d:+.4f}" for k, d in diffs.items())
                   + f" ({'within' if worst <= 0.005 else 'outside'} 0.005)")
    return "\n".join(out)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speed", action="store_true", help="speed and cosine only")
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--lengths", default=f"{SPEED_CUT},full",
                        help="word pieces read per text, comma-separated; 'full' = the model's own "
                        f"limit, the default (default: {SPEED_CUT},full)")
    parser.add_argument("--leads", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", default="", help="also time the ONNX backends with these "
                        "thread counts, e.g. 1,2 (default: the cores available)")
    args = parser.parse_args(argv)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    leads = fixed_leads(args.leads)
    print(f"CPU: {cpu_line()}")
    print(f"## Embedding {len(leads)} leads (mean {np.mean([len(t) for t in leads]):.0f} characters), "
          f"one encode call, median of {args.rounds} rounds\n")
    threads = [int(t) for t in args.threads.split(",") if t.strip()]
    lengths = [None if n.strip() == "full" else int(n) for n in args.lengths.split(",") if n.strip()]
    rows, embedders = speed(backends, lengths, leads, args.rounds, threads)
    print(table(rows))
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")
    story_rows = None
    if not args.speed:
        memo = {b: Memo(e) for b, e in embedders.items() if "thread" not in b}
        print("\n## Story B3 F1 per backend and length (ClusterOptions defaults)\n")
        story_rows = stories(memo)
        print(table(story_rows))
    print("\n## The default embedder (auto)\n")
    print(auto_summary(label(choose_backend("auto"), MAX_TOKENS), rows, story_rows))


if __name__ == "__main__":
    main()
