"""Benchmark of event clustering: stories, threads and scaling.

Run from the repository root::

    .venv/bin/python benchmarks/bench_cluster.py            # quality + threads + scaling
    .venv/bin/python benchmarks/bench_cluster.py --quality  # stories only
    .venv/bin/python benchmarks/bench_cluster.py --threads  # threads only
    .venv/bin/python benchmarks/bench_cluster.py --threads --thread-option thread_threshold=0.23
                                                            # one row of the thread sweep
    .venv/bin/python benchmarks/bench_cluster.py --scaling  # scaling only
    .venv/bin/python benchmarks/bench_cluster.py --quality --pair-weight 0.2 --threshold 0.1
                                                            # with the learned pair model

Stories: all documents of each evaluation set are pooled and clustered with no number of
clusters given, and scored against the gold ``cluster`` field with B-cubed precision /
recall / F1 (Bagga & Baldwin, 1998), pairwise F1 and the adjusted Rand index (Hubert &
Arabie, 1985). AllSides dev (three months of US political news, 252 events) is read
through ``summarize.load`` with its titles, outlets and dates, and again without dates;
its time split is scored on the settings chosen on April-May (the tuning slice, with
MultiLing and Multi-News) and reported on June-July, never tuned on. MultiLing 2011 and
Multi-News val100 are pooled as raw ``Article(id, text)`` (then both together: 110 events
in one pool), and again through ``summarize.load``. The five seed articles should split
into the November 2023 trip (000-003) and the February 2024 one (004); they are clustered
from their text alone and again with their publication dates. A short ablation turns the
new rules off one at a time. The data is read from ``../shared/data`` (or
``$SUMMARIZE_DATA``), never copied.

Threads: ``benchmarks/thread_pairs.jsonl`` holds 100 AllSides event pairs at most 10 days
apart, hand-labelled same-thread or not (guide in ``docs/clustering.md``). Each event's
thread is the thread of most of its articles; printed are the share of same-thread pairs
that end up in one thread (recall) and the share of pairs put in one thread that are
labelled same-thread (precision), for the April-May pairs (where the thread settings were
chosen), the June-July pairs and all, for one batch and for the articles fed night by
night to a ``StoryIndex`` saved and reloaded every night (also with the thread-level local
scaling off, and with the distinctive-terms rule off at its earlier threshold). MultiLing with the dates its
texts carry ("Saturday, January 8, 2005") shows the other side: topics followed for months
or years split into events, and how many of them threads link again.

Scaling: wall time and peak memory of the clustering step (candidate graph + average
linkage) on synthetic unit vectors with a realistic cluster structure, for 1k, 10k and 50k
articles; the whole text path of ``cluster()`` except the model (cleaning, hashed TF-IDF,
graph, linkage) on 1k and 10k perturbed copies of the evaluation documents with a hashing
stand-in embedder; and the MiniLM embedding time of real article leads, measured on 1k
texts and extrapolated linearly. Peak memory is ``tracemalloc``'s peak of Python allocations (numpy
buffers included) during the step, not the process RSS.

MiniLM embeddings of the evaluation sets are cached in the system temp directory
(``summarize-bench-cache``), keyed by a hash of the embedder's name and the texts, so re-runs
skip the model and a changed embedder (backend, token cut) is never read from stale vectors.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import os
import re
import sys
import tempfile
import time
import tracemalloc
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from summarize.events.cluster import (  # noqa: E402
    ClusterOptions,
    StoryIndex,
    cluster,
    cluster_report,
    cluster_vectors,
)
from summarize.records import Article  # noqa: E402

DATA = Path(os.environ.get("SUMMARIZE_DATA", ROOT.parent / "shared" / "data"))
CACHE = Path(tempfile.gettempdir()) / "summarize-bench-cache"
SETS = {
    "MultiLing 2011 (en)": "multiling2011_en.jsonl",
    "Multi-News val100": "multinews_val100.jsonl",
}
ALLSIDES = "allsides2021_dev.jsonl"
THREAD_PAIRS = ROOT / "benchmarks" / "thread_pairs.jsonl"
TUNING_MONTHS = ("2021-04", "2021-05")  # settings were chosen here; June-July is held out


class CachedEmbedder:
    """Wraps an embedder; stores each call's vectors on disk under a hash of the embedder's
    name and the texts (the name changes with the backend and the token cut, so a figure is
    never made from another embedder's cached vectors)."""

    def __init__(self, inner=None) -> None:
        if inner is None:
            from summarize.nlp.embed import default_embedder

            inner = default_embedder()  # builds only; the weights load on the first miss
        self._inner = inner
        self.name = f"cached:{inner.name}"

    def encode(self, texts):
        key = hashlib.sha1("\x00".join([self._inner.name, *texts]).encode("utf-8")).hexdigest()
        path = CACHE / f"{key}.npy"
        if path.exists():
            return np.load(path)
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


def load_loaded(filename: str, dated: bool = True,
                months: tuple[str, ...] | None = None) -> tuple[list[Article], dict[str, str]]:
    """Documents read through ``summarize.load`` with the fields the file gives (title,
    outlet, URL, date), optionally without dates or only for the rows of some months."""
    from summarize import load

    rows, gold = [], {}
    with open(DATA / filename, encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            if months and row.get("date", "")[:7] not in months:
                continue
            for doc in row["docs"]:
                fields = {k: doc[k] for k in ("id", "text", "title", "outlet", "url") if doc.get(k)}
                if dated and doc.get("published"):
                    fields["published"] = doc["published"]
                rows.append(fields)
                gold[doc["id"]] = row["cluster"]
    return load(rows), gold


_TEXT_DATE = re.compile(r"(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day, (\w+ \d{1,2}, \d{4})")


def multiling_dated() -> tuple[list[Article], dict[str, str]]:
    """MultiLing documents with the publication date their text carries as ``published``."""
    from datetime import datetime

    articles, gold = load_pool(SETS["MultiLing 2011 (en)"])
    dated = []
    for a in articles:
        found = _TEXT_DATE.search(a.text[:400])
        day = datetime.strptime(found.group(1), "%B %d, %Y").date().isoformat() if found else ""
        dated.append(Article(id=a.id, text=a.text, published=day, origin=a.origin))
    return dated, gold


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
    pools = {
        "AllSides dev, with dates": load_loaded(ALLSIDES),
        "AllSides dev, without dates": load_loaded(ALLSIDES, dated=False),
        "AllSides Apr-May (tuning), with dates": load_loaded(ALLSIDES, months=TUNING_MONTHS),
        "AllSides Jun-Jul (held out), with dates": load_loaded(ALLSIDES, months=("2021-06", "2021-07")),
        "AllSides Apr-May (tuning), without dates": load_loaded(ALLSIDES, False, TUNING_MONTHS),
        "AllSides Jun-Jul (held out), without dates": load_loaded(ALLSIDES, False, ("2021-06", "2021-07")),
    }
    raw = {label: load_pool(filename) for label, filename in SETS.items()}
    pools.update(raw)
    pools["MultiLing + Multi-News pooled"] = (
        [a for articles, _ in raw.values() for a in articles],
        {k: v for _, gold in raw.values() for k, v in gold.items()},
    )
    for label, filename in SETS.items():
        pools[f"{label}, through summarize.load"] = load_loaded(filename)
    rows = []
    for label, (articles, gold) in pools.items():
        t0 = time.perf_counter()
        stories = cluster(articles, embedder=embedder, options=options)
        rows.append({"set": label, **score(articles, gold, stories),
                     "seconds": time.perf_counter() - t0})
    return rows


ABLATIONS = {
    "defaults": {},
    "no local density": {"density_neighbors": 0},
    "no lone-report rules (pair margin, one-sided relative closeness)": {
        "pair_margin": -1.0, "single_relative": 0.0},
    "no time decay (7-day block only)": {"decay_per_day": 0.0, "max_gap_days": 7.0},
    "no crowded-story split (split_weight 0)": {"split_weight": 0.0},
    "before (decay off, density off, 7-day block)": {
        "decay_per_day": 0.0, "density_neighbors": 0, "max_gap_days": 7.0, "single_relative": 0.0},
}


def ablation(options: ClusterOptions) -> list[dict]:
    """B-cubed F1 with each new rule turned off."""
    embedder = CachedEmbedder()
    pools = {"AllSides, dates": load_loaded(ALLSIDES),
             "AllSides, no dates": load_loaded(ALLSIDES, dated=False),
             "MultiLing": load_pool(SETS["MultiLing 2011 (en)"]),
             "Multi-News": load_pool(SETS["Multi-News val100"])}
    rows = []
    for label, change in ABLATIONS.items():
        opts = replace(options, **change)
        row = {"settings": label}
        for name, (articles, gold) in pools.items():
            row[name] = score(articles, gold, cluster(articles, embedder=embedder, options=opts))["B3 F1"]
        rows.append(row)
    return rows


def thread_pairs() -> list[dict]:
    with open(THREAD_PAIRS, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def pair_scores(thread_of_event: dict[str, str], pairs: list[dict]) -> dict:
    """Recall and precision of same-thread links over labelled event pairs, by period."""
    out = {}
    parts = {"Apr-May pairs (tuning)": lambda p: p["a_date"][:7] in TUNING_MONTHS,
             "Jun-Jul pairs (held out)": lambda p: p["a_date"][:7] not in TUNING_MONTHS,
             "all pairs": lambda p: True}
    for label, chosen in parts.items():
        tp = fp = fn = 0
        for p in filter(chosen, pairs):
            same = thread_of_event[p["a"]] == thread_of_event[p["b"]]
            tp += same and p["same_thread"]
            fp += same and not p["same_thread"]
            fn += (not same) and p["same_thread"]
        out[label] = f"R {tp / max(1, tp + fn):.3f} P {tp / max(1, tp + fp):.3f} ({tp}/{fp}/{fn})"
    return out


def majority(article_thread: dict[str, str], gold: dict[str, str]) -> dict[str, str]:
    votes: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for article_id, thread in article_thread.items():
        votes[gold[article_id]][thread] += 1
    return {event: counter.most_common(1)[0][0] for event, counter in votes.items()}


def night_by_night(articles, options: ClusterOptions, embedder):
    """Articles fed to a ``StoryIndex`` one publication day at a time, the index saved and
    reloaded every night (what the digest store does): (article -> story, article -> thread)."""
    nights: dict[str, list[Article]] = collections.defaultdict(list)
    for a in articles:
        nights[a.published].append(a)
    index, story_of = StoryIndex(options), {}
    for night in sorted(nights):
        index = StoryIndex.from_dict(index.to_dict())
        story_of.update(index.assign(nights[night], embedder=embedder).assignments)
    return story_of, {a: index.thread_of(s) for a, s in story_of.items()}


def threads(options: ClusterOptions) -> tuple[list[dict], list[dict]]:
    """(labelled AllSides pairs, batch and night by night; MultiLing dated, stories vs threads)."""
    embedder = CachedEmbedder()
    pairs = thread_pairs()
    articles, gold = load_loaded(ALLSIDES)
    rows = []
    t0 = time.perf_counter()
    report = cluster_report(articles, embedder=embedder, options=options)
    batch = {a.id: s.thread_id for s in report.stories for a in s.articles}
    rows.append({"run": "one batch", "stories": len(report.stories),
                 "threads": len(set(batch.values())), **pair_scores(majority(batch, gold), pairs),
                 "seconds": time.perf_counter() - t0})
    before = replace(options, thread_distinct_weight=0.0, thread_threshold=0.2)
    for label, opts in (("", options),
                        (", thread local scaling off", replace(options, thread_density_neighbors=0)),
                        (", distinctive terms off (threshold 0.2, as before)", before)):
        t0 = time.perf_counter()
        story_of, streamed = night_by_night(articles, opts, embedder)
        b_p, b_r, b_f = bcubed([gold[a] for a in story_of], list(story_of.values()))
        rows.append({"run": f"night by night{label}, stories B3 F1 {b_f:.3f}",
                     "stories": len(set(story_of.values())), "threads": len(set(streamed.values())),
                     **pair_scores(majority(streamed, gold), pairs),
                     "seconds": time.perf_counter() - t0})
    ml, ml_gold = multiling_dated()
    report = cluster_report(ml, embedder=embedder, options=options)
    ids = [a.id for a in ml]
    story = {a.id: s.id for s in report.stories for a in s.articles}
    thread = {a.id: s.thread_id for s in report.stories for a in s.articles}
    g = [ml_gold[i] for i in ids]
    ml_rows = [{"MultiLing with dates from its text": level, "groups": len(set(m.values())),
                "B3 P": bcubed(g, [m[i] for i in ids])[0], "B3 R": bcubed(g, [m[i] for i in ids])[1],
                "B3 F1": bcubed(g, [m[i] for i in ids])[2]}
               for level, m in (("stories", story), ("threads", thread))]
    return rows, ml_rows


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


def max_rss_mib() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quality", action="store_true", help="only the story tables")
    parser.add_argument("--threads", action="store_true", help="only the thread tables")
    parser.add_argument("--scaling", action="store_true", help="only the scaling tables")
    parser.add_argument("--threshold", type=float, help="override ClusterOptions.threshold")
    parser.add_argument("--pair-weight", type=float,
                        help="override ClusterOptions.pair_weight (the learned pair model)")
    parser.add_argument("--thread-option", action="append", default=[], metavar="NAME=VALUE",
                        help="override a ClusterOptions thread_* field, e.g. "
                             "thread_distinct_weight=0.25 (repeatable; the thread sweep)")
    args = parser.parse_args(argv)
    options = ClusterOptions()
    for item in args.thread_option:
        name, _, value = item.partition("=")
        if not name.startswith("thread_") or not hasattr(options, name) or not value:
            parser.error(f"--thread-option {item!r}: expected thread_<field>=<number>")
        options = replace(options, **{name: type(getattr(options, name))(float(value))})
    if args.threshold is not None:
        options = replace(options, threshold=args.threshold)
    if args.pair_weight is not None:
        options = replace(options, pair_weight=args.pair_weight)
    every = not (args.quality or args.threads or args.scaling)
    if args.quality or every:
        print(f"## Stories (threshold {options.threshold}, no number of clusters given)\n")
        print(table(quality(options)))
        print("\n| seeds (expected {000,001,002,003} {004}) | stories |\n|---|---|")
        print(f"| text only | {seeds_result(options)} |")
        print(f"| with publication dates | {seeds_result(options, dated=True)} |\n")
        print("## Ablation (B3 F1)\n")
        print(table(ablation(options)))
        print()
    if args.threads or every:
        pairs, multiling = threads(options)
        print("## Threads: labelled AllSides event pairs (recall, precision (tp/fp/fn))\n")
        print(table(pairs))
        print()
        print(table(multiling))
        print()
    if args.scaling or every:
        print("## Clustering step on synthetic vectors (tracemalloc peak)\n")
        print(table(scaling()))
        print("\n## cluster() text path after embedding (tracemalloc peak)\n")
        print(table(text_path()))
        print(f"\nPeak resident memory of the whole run so far: {max_rss_mib():.0f} MiB")
        rate = embedding_rate()
        print("\n## MiniLM embedding of leads (measured on 1k, linear beyond)\n")
        print(table([{"articles": n, "embed s": n / rate, "measured": n == 1000}
                     for n in (1_000, 10_000, 50_000)]))


if __name__ == "__main__":
    main()
