"""Quality of generated briefs against the extractive mode, on a fixed sample of clusters.

For each system (``extractive`` and the generative models asked for) on the first N
clusters of each evaluation set (default 10 + 10 = 20), with the product's brief length:

* ROUGE-1/2/L F1 (rouge-score, stemming, mean over references, no truncation);
* faithfulness: share of brief sentences whose numbers and names all appear in their cited
  source sentences and whose support passes the check (generated sentences need a best
  support of at least ``summarize.briefing.attribute.MIN_SUPPORT``; copied ones are sources);
* abstractiveness: share of the brief's word bigrams not found in the story's sources;
* kept / repaired / dropped / extracted counts and seconds per brief.

    .venv/bin/python benchmarks/bench_quality.py                     # extractive + default
    .venv/bin/python benchmarks/bench_quality.py --systems extractive fast default --per-set 10

Prints a Markdown table and writes ``benchmarks/results/quality.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from summarize import brief  # noqa: E402
from summarize.bench.datasets import load_jsonl  # noqa: E402
from summarize.bench.rouge import RougeOptions, RougeScorer  # noqa: E402
from summarize.briefing.attribute import MIN_SUPPORT, unsupported  # noqa: E402

SETS = ("multiling2011_en.jsonl", "multinews_val100.jsonl")
_TOKEN = re.compile(r"[a-z0-9]+")


def bigrams(text: str) -> set[tuple[str, str]]:
    tokens = _TOKEN.findall(text.lower())
    return set(zip(tokens, tokens[1:]))


def faithful(sentence) -> bool:
    if unsupported(sentence.text, [sp.text for sp in sentence.support]):
        return False
    if sentence.status == "kept":
        return max((sp.similarity for sp in sentence.support), default=0.0) >= MIN_SUPPORT
    return bool(sentence.support)


def run(system: str, clusters, words: int, scorer: RougeScorer) -> dict:
    totals = {"rouge1": 0.0, "rouge2": 0.0, "rougeL": 0.0}
    sentences = faithful_count = 0
    new_bigrams = all_bigrams = 0
    counts = {"kept": 0, "repaired": 0, "dropped": 0, "extracted": 0}
    seconds = 0.0
    for cluster in clusters:
        docs = [{"id": d.id, "text": d.text} for d in cluster.docs]
        start = time.perf_counter()
        b = brief(docs, model=system, words=words)
        seconds += time.perf_counter() - start
        score = scorer.score(b.plain_text, cluster.refs, cluster.id)
        for metric in totals:
            totals[metric] += score.get(metric)
        sentences += len(b.sentences)
        faithful_count += sum(faithful(s) for s in b.sentences)
        source = set().union(*(bigrams(d.text) for d in cluster.docs))
        own = bigrams(b.plain_text)
        new_bigrams += len(own - source)
        all_bigrams += len(own)
        for key in counts:
            counts[key] += int(b.metadata["counts"].get(key, 0))
    n = len(clusters)
    return {
        "system": system,
        "clusters": n,
        **{k: round(100 * v / n, 2) for k, v in totals.items()},
        "faithfulness": round(100 * faithful_count / max(1, sentences), 2),
        "abstractiveness": round(100 * new_bigrams / max(1, all_bigrams), 2),
        "sentences": sentences,
        **counts,
        "s_per_brief": round(seconds / n, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--systems", nargs="+", default=["extractive", "default"])
    parser.add_argument("--per-set", type=int, default=10, help="first N clusters of each set")
    parser.add_argument("--words", type=int, default=120)
    parser.add_argument("--data-dir", default=os.environ.get("SUMMARIZE_EVAL_DATA",
                                                             str(REPO.parent / "shared" / "data")))
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "results" / "quality.json"))
    args = parser.parse_args(argv)
    clusters = []
    for name in SETS:
        clusters += list(load_jsonl(Path(args.data_dir) / name).clusters[: args.per_set])
    scorer = RougeScorer(RougeOptions(metrics=("rouge1", "rouge2", "rougeL"), word_limit=None))
    rows = []
    for system in args.systems:
        rows.append(run(system, clusters, args.words, scorer))
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    header = ["system", "clusters", "rouge1", "rouge2", "rougeL", "faithfulness", "abstractiveness",
              "kept", "repaired", "dropped", "extracted", "s_per_brief"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(str(row[h]) for h in header) + " |")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"words": args.words, "per_set": args.per_set, "rows": rows},
                                         indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
