"""Fit and held-out figures of the concept-ILP selection against the MMR it replaced.

Reads the 100-word runs written by ``summarize bench rouge ... --out
benchmarks/results/<dataset>_100w`` (systems ``extractive`` and ``extractive-mmr``) and
prints ROUGE-1 and ROUGE-2 recall ×100 (mean over references, first 100 words: the DUC 2004
way) on each split, with 95% bootstrap intervals over clusters for each system and for the
per-cluster difference (paired: both systems resampled on the same clusters)::

    .venv/bin/python benchmarks/selection_splits.py

The ILP's constants were fitted on the "fit" parts only: Multi-News val100 clusters 1-50
and AllSides events of April-May 2021. Everything else is held out: Multi-News clusters
51-100, all of MultiLing 2011, AllSides June-July 2021 (``docs/selection.md``).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from summarize.bench.rouge import bootstrap  # noqa: E402

DATASETS = ("multiling2011_en", "multinews_val100", "allsides2021_dev")
METRICS = ("rouge1_recall_mean", "rouge2_recall_mean")


def data_dir() -> Path:
    return Path(os.environ.get("SUMMARIZE_EVAL_DATA") or REPO.parent / "shared" / "data")


def read_scores(folder: Path) -> dict[str, dict[str, float]]:
    with (folder / "scores.csv").open(encoding="utf-8") as f:
        return {row["cluster"]: {m: float(row[m]) for m in METRICS} for row in csv.DictReader(f)}


def splits(dataset: str, clusters: list[str]) -> dict[str, list[str]]:
    """Fit and held-out cluster ids of a dataset (file order; AllSides by event date)."""
    if dataset == "multinews_val100":
        return {"fit": clusters[:50], "held out": clusters[50:]}
    if dataset == "allsides2021_dev":
        with (data_dir() / f"{dataset}.jsonl").open(encoding="utf-8") as f:
            dates = {row["cluster"]: row.get("date", "") for row in map(json.loads, f)}
        fit = [c for c in clusters if dates[c] < "2021-06-01"]
        return {"fit": fit, "held out": [c for c in clusters if dates[c] >= "2021-06-01"]}
    return {"held out": clusters}


def fmt(values: list[float], signed: bool = False) -> str:
    iv = bootstrap(values, n_resamples=1000, seed=0)
    if signed:
        return f"{100 * iv.mid:+.2f} ({100 * iv.low:+.2f}..{100 * iv.high:+.2f})"
    return f"{100 * iv.mid:.2f} ({100 * iv.low:.2f}-{100 * iv.high:.2f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", type=Path, default=REPO / "benchmarks" / "results")
    parser.add_argument("--new", default="extractive")
    parser.add_argument("--old", default="extractive-mmr")
    args = parser.parse_args(argv)
    print(f"| set | split | clusters | metric | {args.old} | {args.new} | difference |")
    print("|---|---|---|---|---|---|---|")
    for dataset in DATASETS:
        folder = args.results / f"{dataset}_100w"
        if not (folder / args.new / "scores.csv").is_file():
            print(f"{dataset}: no 100-word run under {folder}", file=sys.stderr)
            continue
        new, old = read_scores(folder / args.new), read_scores(folder / args.old)
        for split, ids in splits(dataset, list(new)).items():
            for metric in METRICS:
                a = [old[c][metric] for c in ids]
                b = [new[c][metric] for c in ids]
                diff = [y - x for x, y in zip(a, b)]
                print(f"| {dataset} | {split} | {len(ids)} | {metric.split('_')[0]} R "
                      f"| {fmt(a)} | {fmt(b)} | {fmt(diff, signed=True)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
