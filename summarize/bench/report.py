"""Results of the ROUGE benchmark: the records a run produces and the files it writes.

One run (:func:`summarize.bench.runner.benchmark`) is written to a folder (:func:`write_result`)::

    <out>/<system>/scores.csv   per cluster: status, error, seconds, words, every score
    <out>/<system>/summary.md   corpus means with 95% bootstrap intervals, failures, timings
    <out>/<system>/run.json     the full configuration and the corpus results

and :func:`write_results_md` turns a tree of such folders into ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import csv
import io
import json
import os
import platform
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from summarize.bench.baselines import word_count
from summarize.bench.datasets import EvalSet
from summarize.bench.rouge import (
    AGGREGATES,
    MEASURES,
    ClusterScore,
    CorpusScore,
    RougeOptions,
)
from summarize.errors import InputError, OutputError
from summarize.machine import relevant_cpu_flags


@dataclass(frozen=True)
class SystemOutput:
    """What a system produced for one cluster; ``error`` is empty when it succeeded."""

    cluster_id: str
    summary: str
    seconds: float
    error: str = ""


@dataclass(frozen=True)
class Timings:
    """Seconds per stage: loading the data, running the system, scoring, writing."""

    load: float
    system: float
    score: float
    write: float = 0.0

    @property
    def total(self) -> float:
        return self.load + self.system + self.score + self.write


@dataclass(frozen=True)
class BenchResult:
    """One system on one evaluation set, scored."""

    system: str
    dataset: EvalSet
    words: int
    options: RougeOptions
    outputs: tuple[SystemOutput, ...]
    scores: tuple[ClusterScore, ...]
    corpus: CorpusScore
    timings: Timings
    reference_seconds: float | None = None  # LexRank's system time on the same clusters
    stages: dict[str, float] | None = None  # our pipeline's own stage seconds, summed
    components: dict[str, list[str]] | None = None  # embedder / writer backend that ran (ours)

    @property
    def failures(self) -> tuple[SystemOutput, ...]:
        return tuple(o for o in self.outputs if o.error)

    def speed(self, timings: Timings | None = None) -> dict[str, float | None]:
        t = timings or self.timings
        n = self.dataset.n_docs
        return {
            "articles_per_second": n / t.total if t.total else None,
            "system_articles_per_second": n / t.system if t.system else None,
            "lexrank_system_seconds": self.reference_seconds,
            "speed_vs_lexrank": (self.reference_seconds / t.system
                                 if self.reference_seconds and t.system else None),
        }


def _score_columns(options: RougeOptions) -> list[tuple[str, str, str]]:
    return [(a, m, x) for a in AGGREGATES for m in options.metrics for x in MEASURES]


def _scores_csv(result: BenchResult) -> str:
    columns = _score_columns(result.options)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["cluster", "docs", "refs", "status", "error", "seconds", "summary_words"]
                    + [f"{m}_{x}_{a}" for a, m, x in columns])
    for cluster, out, score in zip(result.dataset.clusters, result.outputs, result.scores):
        writer.writerow(
            [cluster.id, len(cluster.docs), len(cluster.refs), "failed" if out.error else "ok",
             out.error, f"{out.seconds:.4f}", word_count(out.summary)]
            + [f"{score.get(m, a, x):.5f}" for a, m, x in columns]
        )
    return buffer.getvalue()


def _corpus_dict(corpus: CorpusScore) -> dict:
    tree: dict = {}
    for (agg, metric, measure), iv in corpus.intervals.items():
        tree.setdefault(agg, {}).setdefault(metric, {})[measure] = {
            "low": round(iv.low, 6), "mid": round(iv.mid, 6), "high": round(iv.high, 6)}
    return tree


def run_record(result: BenchResult, timings: Timings | None = None) -> dict:
    """The ``run.json`` content: full configuration, timings, failures, corpus scores."""
    from summarize import __version__

    t = timings or result.timings
    ds = result.dataset
    return {
        "system": result.system,
        "dataset": {"name": ds.name, "path": ds.source, "sha256": ds.sha256,
                    "clusters": len(ds.clusters), "docs": ds.n_docs,
                    "refs": sum(len(c.refs) for c in ds.clusters)},
        "words": result.words,
        "truncate": result.options.word_limit,
        "seed": result.options.seed,
        "rouge": result.options.to_dict(),
        "summarize_version": __version__,
        "python": platform.python_version(),
        "pythonhashseed": os.environ.get("PYTHONHASHSEED"),  # set order; None = random
        # The parts picked from the CPU (int8 or fp32 embedder, writer backend): a figure is
        # comparable only with one made by the same parts.
        "components": result.components or {},
        "cpu": relevant_cpu_flags(),
        "timings": {"load": t.load, "system": t.system, "score": t.score, "write": t.write,
                    "total": t.total,
                    "system_per_cluster_mean": t.system / max(len(result.outputs), 1),
                    # robust to one-time model loading in the first cluster
                    "system_per_cluster_median": statistics.median(
                        o.seconds for o in result.outputs) if result.outputs else 0.0},
        # inside the pipeline: load_clean, cluster, segment, embed, score, select, write,
        # attribute (our systems only; summed over clusters)
        "stages": {k: round(v, 3) for k, v in (result.stages or {}).items()},
        **result.speed(t),
        "n_failed": len(result.failures),
        "failures": [{"cluster": o.cluster_id, "error": o.error} for o in result.failures],
        "scores": _corpus_dict(result.corpus),
    }


def _pct(iv: dict) -> str:
    return f"{100 * iv['mid']:.2f} ({100 * iv['low']:.2f}–{100 * iv['high']:.2f})"


def _summary_md(record: dict) -> str:
    ds, rouge, scores = record["dataset"], record["rouge"], record["scores"]
    lines = [
        f"# {record['system']} on {ds['name']}", "",
        f"{ds['clusters']} clusters, {ds['docs']} documents, {ds['refs']} references; "
        f"data sha256 `{ds['sha256']}`.",
        f"Budget {record['words']} words; ROUGE (rouge-score {rouge['rouge_score_version']}) "
        f"≈ ROUGE-1.5.5 `{rouge['rouge155_flags']}`; bootstrap seed {record['seed']}.", "",
        "Scores ×100, mean over clusters with 95% bootstrap interval.", "",
        "| metric | F1 (mean over refs) | recall (mean over refs) | F1 (best ref) | F1 (pooled, -f A) |",
        "|---|---|---|---|---|",
    ]
    for metric in rouge["metrics"]:
        lines.append(f"| {metric} | {_pct(scores['mean'][metric]['f1'])} | "
                     f"{_pct(scores['mean'][metric]['recall'])} | "
                     f"{_pct(scores['max'][metric]['f1'])} | {_pct(scores['pooled'][metric]['f1'])} |")
    t = record["timings"]
    parts = record.get("components") or {}
    if parts:
        cpu = (record.get("cpu") or {}).get("flags")
        lines += ["", "Made with " + "; ".join(f"{k}: {', '.join(v)}" for k, v in parts.items())
                  + (f" (CPU flags: {', '.join(cpu) or 'none of note'})." if cpu is not None else ".")]
    lines += ["", f"Failed clusters (scored zero, counted): {record['n_failed']} of {ds['clusters']}."]
    lines += [f"- `{f['cluster']}`: {f['error']}" for f in record["failures"]]
    lines += ["", "| stage | seconds |", "|---|---|"]
    lines += [f"| {k} | {t[k]:.2f} |" for k in ("load", "system", "score", "write", "total")]
    if record.get("stages"):
        lines += ["", "Inside the system (our pipeline's stages, summed over clusters):", "",
                  "| pipeline stage | seconds |", "|---|---|"]
        lines += [f"| {k} | {v:.2f} |" for k, v in record["stages"].items()]
    aps, ratio = record["articles_per_second"], record["speed_vs_lexrank"]
    lines += ["", f"End to end: {aps:.1f} articles/s." if aps else "End to end: n/a."]
    if ratio:
        lines.append(f"System time vs sumy LexRank on the same clusters: {ratio:.3g}× as fast.")
    return "\n".join(lines) + "\n"


def write_result(result: BenchResult, out_dir: str | Path, keep_summaries: bool = False) -> Path:
    """Write ``scores.csv``, ``summary.md`` and ``run.json`` into ``out_dir/<system>/``.

    System summaries are written (``summaries.jsonl``) only with ``keep_summaries``: they
    quote the evaluation data, whose licenses forbid copying it into the repository.
    """
    folder = Path(out_dir) / result.system
    start = time.perf_counter()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "scores.csv").write_text(_scores_csv(result), encoding="utf-8")
        if keep_summaries:
            rows = (json.dumps({"cluster": o.cluster_id, "summary": o.summary, "error": o.error})
                    for o in result.outputs)
            (folder / "summaries.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
        t = result.timings
        timings = Timings(t.load, t.system, t.score, time.perf_counter() - start)
        record = run_record(result, timings)
        (folder / "summary.md").write_text(_summary_md(record), encoding="utf-8")
        (folder / "run.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"cannot write results to {folder}: {exc.strerror or exc}") from exc
    return folder


SYSTEM_ORDER = ("lead3", "lead3_first_doc", "lexrank", "textrank", "lsa", "luhn",
                "extractive", "fast", "default")


def _results_config(record: dict) -> tuple:
    return (record["dataset"]["sha256"], record["rouge"]["rouge155_flags"], record["words"],
            record["seed"], record["rouge"]["rouge_score_version"])


def results_markdown(root: str | Path, notes: Sequence[str] = ()) -> str:
    """The results table (Markdown) of every ``<root>/<dataset>/<system>/run.json``.

    ``notes`` are extra lines (e.g. systems that could not run) printed under the intro.
    """
    root = Path(root)
    records = []
    for path in sorted(root.glob("*/*/run.json")):
        try:
            records.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, json.JSONDecodeError) as exc:
            raise OutputError(f"{path}: cannot read run record ({exc})") from exc
    if not records:
        raise InputError(f"{root}: no <dataset>/<system>/run.json result folders found")
    rank = {name: i for i, name in enumerate(SYSTEM_ORDER)}
    lines = [
        "# ROUGE benchmark results", "",
        "Generated by `python benchmarks/run_rouge.py` (or `summarize bench results`) from the",
        "run folders under `benchmarks/results/`; do not edit by hand. Scores are ×100: the",
        "mean over clusters of the mean over references, with 95% bootstrap intervals over",
        "clusters (rouge-score, Porter stemming; ROUGE-Lsum on Punkt sentences). A failed",
        "cluster scores zero and is counted. Speed is end-to-end articles/s (load, system,",
        "score, write) and system time relative to sumy LexRank on the same clusters.",
        *(["", *notes] if notes else []),
    ]
    # One section per dataset and budget: a DUC-style 100-word run is its own table.
    budgets: dict[str, set[int]] = {}
    for record in records:
        budgets.setdefault(record["dataset"]["name"], set()).add(record["words"])
    datasets: dict[str, list[dict]] = {}
    for record in records:
        name, words = record["dataset"]["name"], record["words"]
        if words != max(budgets[name]):
            name = f"{name}, {words} words"
        datasets.setdefault(name, []).append(record)
    for name, runs in datasets.items():
        runs.sort(key=lambda r: (rank.get(r["system"], len(rank)), r["system"]))
        first = runs[0]
        ds, rouge = first["dataset"], first["rouge"]
        lines += [
            "", f"## {name}", "",
            f"`{ds['path']}`: {ds['clusters']} clusters, {ds['docs']} documents, "
            f"{ds['refs']} references; sha256 `{ds['sha256'][:16]}…`. Budget {first['words']} "
            f"words; ROUGE-1.5.5 equivalent `{rouge['rouge155_flags']}`; rouge-score "
            f"{rouge['rouge_score_version']}; seed {first['seed']}.",
        ]
        odd = [r["system"] for r in runs if _results_config(r) != _results_config(first)]
        if odd:
            lines.append(f"\n**Warning:** {', '.join(odd)} ran with a different configuration "
                         "(data hash, ROUGE flags, budget or seed); see their run.json.")
        lines += ["", "| system | R-1 F1 | R-2 F1 | R-L F1 | R-Lsum F1 | R-1 R | R-2 R "
                  "| failed | s/cluster | articles/s | × LexRank speed |",
                  "|---|---|---|---|---|---|---|---|---|---|---|"]
        short = first["words"] < 250  # DUC-style short summaries are judged on recall
        for r in runs:
            mean = r["scores"]["mean"]

            def cell(metric: str, measure: str = "f1", ci: bool = True) -> str:
                if metric not in mean:
                    return "–"
                iv = mean[metric][measure]
                return _pct(iv) if ci else f"{100 * iv['mid']:.2f}"

            aps, ratio = r["articles_per_second"], r["speed_vs_lexrank"]
            lines.append(
                f"| {r['system']} | {cell('rouge1')} | {cell('rouge2')} | {cell('rougeL', ci=False)}"
                f" | {cell('rougeLsum')} | {cell('rouge1', 'recall', short)}"
                f" | {cell('rouge2', 'recall', short)} | {r['n_failed']}/{ds['clusters']}"
                f" | {r['timings']['system_per_cluster_mean']:.3f}"
                f" | {f'{aps:.1f}' if aps else '–'} | {f'{ratio:.3g}' if ratio else '–'} |"
            )
    lines += ["", "Data sources and licenses: `../shared/data/README.md` (MultiLing 2011: CC BY 3.0,",
              "WikiNews; Multi-News: non-commercial research use). No data is stored in this repository."]
    return "\n".join(lines) + "\n"


def write_results_md(root: str | Path, path: str | Path, notes: Sequence[str] = ()) -> Path:
    """Regenerate ``RESULTS.md`` at ``path`` from the result folders under ``root``."""
    text = results_markdown(root, notes)
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from exc
    return Path(path)
