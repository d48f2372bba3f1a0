"""Fit and held-out figures of the concept-ILP selection against the MMR it replaced.

Reads the 100-word runs written by ``summarize bench rouge ... --out
benchmarks/results/<dataset>_100w`` (systems ``extractive`` and ``extractive-mmr``) and
prints ROUGE-1 and ROUGE-2 recall ×100 (mean over references, first 100 words: the DUC 2004
way) on each split, with 95% bootstrap intervals over clusters for each system and for the
per-cluster difference (paired: both systems resampled on the same clusters)::

    .venv/bin/python benchmarks/selection_splits.py
    .venv/bin/python benchmarks/selection_splits.py --old-rev f2ba88f   # gain over a commit

The ILP's constants were fitted on the "fit" parts only: all of MultiLing 2011, Multi-News
val100 clusters 1-50 and AllSides events of April-May 2021. Held out: Multi-News clusters
51-100 and AllSides June-July 2021 (``docs/selection.md``).

With ``--old-rev REV`` the "old" system's scores are read from that git revision's result
folders (``git show REV:benchmarks/results/...``) instead of this checkout's, so the gain
is measured against the figures a commit published; the last lines then give the mean
gain over MultiLing and Multi-News (the issue's target), with a paired bootstrap interval
that resamples clusters within each set. With ``--old-results DIR`` they are read from
another checkout's result folders instead (the same commands run there), so two versions
are compared on the same embedder::

    .venv/bin/python benchmarks/selection_splits.py --old extractive --old-results /tmp/base/benchmarks/results
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from summarize.bench.rouge import bootstrap  # noqa: E402

DATASETS = ("multiling2011_en", "multinews_val100", "allsides2021_dev")
METRICS = ("rouge1_recall_mean", "rouge2_recall_mean")


def data_dir() -> Path:
    return Path(os.environ.get("SUMMARIZE_EVAL_DATA") or REPO.parent / "shared" / "data")


def read_scores(folder: Path, rev: str = "") -> dict[str, dict[str, float]]:
    """Per-cluster recall of one run, from this checkout or (``rev``) a git revision."""
    if rev:
        path = (folder / "scores.csv").resolve().relative_to(REPO).as_posix()
        text = subprocess.run(["git", "-C", str(REPO), "show", f"{rev}:{path}"], check=True,
                              capture_output=True, text=True).stdout
        rows = csv.DictReader(io.StringIO(text))
    else:
        rows = csv.DictReader((folder / "scores.csv").open(encoding="utf-8"))
    return {row["cluster"]: {m: float(row[m]) for m in METRICS} for row in rows}


def splits(dataset: str, clusters: list[str]) -> dict[str, list[str]]:
    """Fit and held-out cluster ids of a dataset (file order; AllSides by event date)."""
    if dataset == "multinews_val100":
        return {"fit": clusters[:50], "held out": clusters[50:]}
    if dataset == "allsides2021_dev":
        with (data_dir() / f"{dataset}.jsonl").open(encoding="utf-8") as f:
            dates = {row["cluster"]: row.get("date", "") for row in map(json.loads, f)}
        fit = [c for c in clusters if dates[c] < "2021-06-01"]
        return {"fit": fit, "held out": [c for c in clusters if dates[c] >= "2021-06-01"]}
    return {"fit": clusters}


def fmt(values: list[float], signed: bool = False) -> str:
    iv = bootstrap(values, n_resamples=1000, seed=0)
    if signed:
        return f"{100 * iv.mid:+.2f} ({100 * iv.low:+.2f}..{100 * iv.high:+.2f})"
    return f"{100 * iv.mid:.2f} ({100 * iv.low:.2f}-{100 * iv.high:.2f})"


def mean_gain(diffs: list[list[float]], n_resamples: int = 1000, seed: int = 0) -> str:
    """Mean over sets of each set's mean difference, with a 95% bootstrap interval that
    resamples the clusters of each set on its own (paired: one difference per cluster)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    arrays = [np.asarray(d, dtype=float) for d in diffs]
    mid = float(np.mean([a.mean() for a in arrays]))
    samples = [np.mean([a[rng.integers(0, a.size, a.size)].mean() for a in arrays])
               for _ in range(n_resamples)]
    low, high = np.percentile(samples, [2.5, 97.5])
    return f"{100 * mid:+.2f} ({100 * low:+.2f}..{100 * high:+.2f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", type=Path, default=REPO / "benchmarks" / "results")
    parser.add_argument("--new", default="extractive")
    parser.add_argument("--old", default="extractive-mmr")
    parser.add_argument("--old-rev", default="", help="read the old system's scores from this git revision")
    parser.add_argument("--old-results", type=Path, default=None,
                        help="read the old system's scores from this results folder (another checkout's runs)")
    args = parser.parse_args(argv)
    target: dict[str, list[list[float]]] = {m: [] for m in METRICS}
    print(f"| set | split | clusters | metric | {args.old} | {args.new} | difference |")
    print("|---|---|---|---|---|---|---|")
    for dataset in DATASETS:
        folder = args.results / f"{dataset}_100w"
        if not (folder / args.new / "scores.csv").is_file():
            print(f"{dataset}: no 100-word run under {folder}", file=sys.stderr)
            continue
        try:
            old_folder = (args.old_results / folder.name) if args.old_results else folder
            new, old = read_scores(folder / args.new), read_scores(old_folder / args.old, args.old_rev)
        except (subprocess.CalledProcessError, FileNotFoundError):
            print(f"{dataset}: no {args.old} run at {args.old_rev}", file=sys.stderr)
            continue
        if dataset != "allsides2021_dev":
            for metric in METRICS:
                target[metric].append([new[c][metric] - old[c][metric] for c in new])
        for split, ids in splits(dataset, list(new)).items():
            for metric in METRICS:
                a = [old[c][metric] for c in ids]
                b = [new[c][metric] for c in ids]
                diff = [y - x for x, y in zip(a, b)]
                print(f"| {dataset} | {split} | {len(ids)} | {metric.split('_')[0]} R "
                      f"| {fmt(a)} | {fmt(b)} | {fmt(diff, signed=True)} |")
    if all(len(v) == 2 for v in target.values()):
        print(f"\nMean gain of {args.new} over {args.old}{' at ' + args.old_rev if args.old_rev else ''}, "
              "MultiLing and Multi-News (each set weighs half):")
        for metric in METRICS:
            print(f"- {metric.split('_')[0]} R: {mean_gain(target[metric])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
