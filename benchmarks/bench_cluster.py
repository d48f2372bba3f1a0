"""Benchmark of event clustering: quality on pooled gold clusters, and scaling.

Run from the repository root::

    .venv/bin/python benchmarks/bench_cluster.py            # quality + scaling
    .venv/bin/python benchmarks/bench_cluster.py --quality  # quality only
    .venv/bin/python benchmarks/bench_cluster.py --scaling  # scaling only

Quality: all documents of each evaluation set are pooled and clustered (then both sets
together: 110 events in one pool); the clusters are scored against the gold ``cluster``
field with B-cubed precision / recall / F1 (Bagga & Baldwin, 1998), pairwise F1 and the
adjusted Rand index (Hubert & Arabie, 1985). The five
seed articles should split into the November 2023 trip (000-003) and the February 2024 one
(004); they are clustered from their text alone and again with their publication dates.
The data is read from ``../shared/data`` (or ``$SUMMARIZE_DATA``), never copied.

Scaling: wall time and peak memory of the clustering step (candidate graph + average
linkage) on synthetic unit vectors with a realistic cluster structure, for 1k, 10k and 50k
articles; the whole text path of ``cluster()`` except the model (cleaning, hashed TF-IDF,
graph, linkage) on 1k and 10k perturbed copies of the evaluation documents with a hashing
stand-in embedder; and the MiniLM embedding time of real article leads, measured on 1k
texts and extrapolated linearly. Peak memory is ``tracemalloc``'s peak of Python allocations (numpy
buffers included) during the step, not the process RSS.

MiniLM embeddings of the evaluation sets are cached in the system temp directory
(``summarize-bench-cache``), keyed by a hash of the texts, so re-runs skip the model.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
import time
import tracemalloc
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from summarize.events.cluster import ClusterOptions, cluster, cluster_vectors  # noqa: E402
from summarize.records import Article  # noqa: E402

DATA = Path(os.environ.get("SUMMARIZE_DATA", ROOT.parent / "shared" / "data"))
CACHE = Path(tempfile.gettempdir()) / "summarize-bench-cache"
SETS = {
    "MultiLing 2011 (en)": "multiling2011_en.jsonl",
    "Multi-News val100": "multinews_val100.jsonl",
}


class CachedEmbedder:
    """Wraps an embedder; stores each call's vectors on disk under a hash of its texts."""

    def __init__(self, inner=None) -> None:
        self._inner = inner
        self.name = "cached"

    def encode(self, texts):
        key = hashlib.sha1("\x00".join(texts).encode("utf-8")).hexdigest()
        path = CACHE / f"{key}.npy"
        if path.exists():
            return np.load(path)
        if self._inner is None:
            from summarize.nlp.embed import default_embedder

            self._inner = default_embedder()
        vectors = self._inner.encode(texts)
        CACHE.mkdir(parents=True, exist_ok=True)
        np.save(path, vectors)
        return vectors


def load_pool(filename: str) -> tuple[list[Article], dict[str, str]]:
    """All documents of an evaluation file, and the gold cluster of each document id."""
    articles, gold = [], {}
    with open(DATA / filename, encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            for doc in row["docs"]:
                articles.append(Article(id=doc["id"], text=doc["text"], origin=filename))
                gold[doc["id"]] = row["cluster"]
    return articles, gold


def load_seeds(dated: bool = False) -> list[Article]:
    """The seeds as the product loads them: cleaned, dates from seeds/metadata.jsonl."""
    from dataclasses import replace

    from summarize import load

    return [replace(a, id=a.id[:3], published=a.published if dated else "") for a in load(ROOT / "seeds")]


def bcubed(gold: list[str], pred: list[str]) -> tuple[float, float, float]:
    """B-cubed precision, recall and F1 (Bagga & Baldwin, 1998), items weighted equally."""
    by_gold, by_pred = defaultdict(set), defaultdict(set)
    for i, (g, p) in enumerate(zip(gold, pred)):
        by_gold[g].add(i)
        by_pred[p].add(i)
    precision = recall = 0.0
    for i, (g, p) in enumerate(zip(gold, pred)):
        common = len(by_gold[g] & by_pred[p])
        precision += common / len(by_pred[p])
        recall += common / len(by_gold[g])
    precision, recall = precision / len(gold), recall / len(gold)
    return precision, recall, 2 * precision * recall / (precision + recall)


def pairwise_f1(gold: list[str], pred: list[str]) -> float:
    """F1 over item pairs put in the same cluster."""
    from sklearn.metrics.cluster import pair_confusion_matrix

    (_, fp), (fn, tp) = pair_confusion_matrix(gold, pred)
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def score(articles, gold, stories) -> dict:
    from sklearn.metrics import adjusted_rand_score

    story_of = {a.id: s.id for s in stories for a in s.articles}
    ids = [a.id for a in articles]
    g = [gold[i] for i in ids]
    p = [story_of.get(i, f"skipped:{i}") for i in ids]
    b_p, b_r, b_f = bcubed(g, p)
    return {"docs": len(ids), "gold": len(set(g)), "stories": len(set(p)), "B3 P": b_p,
            "B3 R": b_r, "B3 F1": b_f, "pair F1": pairwise_f1(g, p),
            "ARI": adjusted_rand_score(g, p)}


def table(rows: list[dict]) -> str:
    heads = list(rows[0])
    cell = lambda v: f"{v:.3f}" if isinstance(v, float) else str(v)  # noqa: E731
    lines = ["| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
    lines += ["| " + " | ".join(cell(r[h]) for h in heads) + " |" for r in rows]
    return "\n".join(lines)


def quality(options: ClusterOptions) -> list[dict]:
    embedder = CachedEmbedder()
    pools = {label: load_pool(filename) for label, filename in SETS.items()}
    pools["both sets pooled"] = (
        [a for articles, _ in pools.values() for a in articles],
        {k: v for _, gold in pools.values() for k, v in gold.items()},
    )
    rows = []
    for label, (articles, gold) in pools.items():
        t0 = time.perf_counter()
        stories = cluster(articles, embedder=embedder, options=options)
        rows.append({"set": label, **score(articles, gold, stories),
                     "seconds": time.perf_counter() - t0})
    return rows


def seeds_result(options: ClusterOptions, dated: bool = False) -> str:
    stories = cluster(load_seeds(dated), embedder=CachedEmbedder(), options=options)
    groups = sorted(tuple(sorted(a.id for a in s.articles)) for s in stories)
    return " ".join("{" + ",".join(g) + "}" for g in groups)


def synthetic(n: int, dim: int = 384, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors in events of 1-12 articles: an event direction plus per-article noise.

    The noise level gives within-event cosines of about 0.5-0.8 and between-event cosines
    near 0 +- 0.05, like MiniLM leads of news articles.
    """
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 13, size=n)
    labels = np.repeat(np.arange(n), sizes)[:n]
    centres = rng.standard_normal((labels.max() + 1, dim)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    noise = rng.standard_normal((n, dim)).astype(np.float32) * (0.9 / np.sqrt(dim))
    x = centres[labels] + noise
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    order = rng.permutation(n)
    return x[order], labels[order]


def measure(fn):
    """(result, wall seconds, peak MiB): timed in one run, memory traced in a second one
    (tracemalloc slows Python allocations, so it would inflate the time)."""
    t0 = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - t0
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return out, seconds, peak / 2**20


def scaling(sizes=(1_000, 10_000, 50_000)) -> list[dict]:
    options = ClusterOptions(threshold=0.45)  # a cosine threshold for the synthetic vectors
    rows = []
    for n in sizes:
        x, gold = synthetic(n)
        labels, seconds, peak = measure(lambda: cluster_vectors(x, options=options))
        b = bcubed([str(g) for g in gold], [str(p) for p in labels])
        rows.append({"articles": n, "cluster s": seconds, "s per 1k": 1000 * seconds / n,
                     "peak MiB": peak,
                     "neighbour search": "exact" if n <= options.exact_limit else "IVF",
                     "B3 F1 (synthetic)": b[2]})
    return rows


class HashingEmbedder:
    """Stand-in for MiniLM in the text-path timing: hashed bag of words, L2-normalised."""

    name = "hashing"

    def encode(self, texts):
        from sklearn.feature_extraction.text import HashingVectorizer

        x = HashingVectorizer(n_features=384, alternate_sign=False).transform(texts)
        return x.toarray().astype(np.float32)


def perturbed_copies(n: int, seed: int = 0) -> list[Article]:
    """``n`` articles: evaluation documents with a random 70% of their lines, reshuffled."""
    rng = np.random.default_rng(seed)
    base = [a for filename in SETS.values() for a in load_pool(filename)[0]]
    out = []
    for i in range(n):
        lines = base[i % len(base)].text.split("\n")
        kept = [ln for ln in lines if rng.random() < 0.7] or lines
        order = rng.permutation(len(kept))
        out.append(Article(id=f"{base[i % len(base)].id}#{i}",
                           text="\n".join(kept[j] for j in order)))
    return out


class Precomputed:
    """An embedder that looks vectors up (like the digest's stored embeddings): computed
    once outside the timing, so the timing is of clustering only."""

    name = "precomputed"

    def __init__(self, texts, inner) -> None:
        self.vectors = dict(zip(texts, inner.encode(list(texts))))

    def encode(self, texts):
        return np.stack([self.vectors[t] for t in texts])


def text_path(sizes=(1_000, 10_000)) -> list[dict]:
    from summarize.events.cluster import lead_and_text

    lead_and_text(Article(id="warm-up", text="Load the sentence splitter first."), 8)
    rows = []
    for n in sizes:
        articles = perturbed_copies(n)
        leads = [lead_and_text(a, ClusterOptions().lead_sentences)[0] for a in articles]
        embedder = Precomputed(leads, HashingEmbedder())
        _, seconds, peak = measure(lambda: cluster(articles, embedder=embedder))
        rows.append({"articles": n, "cluster() s after embedding": seconds, "peak MiB": peak})
    return rows


def embedding_rate(n: int = 1000) -> float:
    """Leads embedded per second by MiniLM (texts repeated from the evaluation sets)."""
    from summarize.events.cluster import lead_and_text
    from summarize.nlp.embed import default_embedder

    articles = []
    for filename in SETS.values():
        articles += load_pool(filename)[0]
    leads = [lead_and_text(articles[i % len(articles)], 8)[0] + f" ({i})" for i in range(n)]
    embedder = default_embedder()
    embedder.encode(leads[:8])  # load the model outside the timing
    t0 = time.perf_counter()
    embedder.encode(leads)
    return n / (time.perf_counter() - t0)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quality", action="store_true", help="only the quality tables")
    parser.add_argument("--scaling", action="store_true", help="only the scaling tables")
    parser.add_argument("--threshold", type=float, help="override ClusterOptions.threshold")
    args = parser.parse_args(argv)
    options = ClusterOptions()
    if args.threshold is not None:
        options = ClusterOptions(threshold=args.threshold)
    both = not (args.quality or args.scaling)
    if args.quality or both:
        print(f"## Quality (threshold {options.threshold})\n")
        print(table(quality(options)))
        print("\n| seeds (expected {000,001,002,003} {004}) | stories |\n|---|---|")
        print(f"| text only | {seeds_result(options)} |")
        print(f"| with publication dates | {seeds_result(options, dated=True)} |\n")
    if args.scaling or both:
        print("## Clustering step on synthetic vectors (tracemalloc peak)\n")
        print(table(scaling()))
        print("\n## cluster() text path without the model (tracemalloc peak)\n")
        print(table(text_path()))
        rate = embedding_rate()
        print("\n## MiniLM embedding of leads (measured on 1k, linear beyond)\n")
        print(table([{"articles": n, "embed s": n / rate, "measured": n == 1000}
                     for n in (1_000, 10_000, 50_000)]))


if __name__ == "__main__":
    main()
