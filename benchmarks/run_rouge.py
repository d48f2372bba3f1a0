"""Regenerate the whole ROUGE results table from scratch.

Runs the baselines (lead3, lexrank, textrank, lsa, luhn) and our extractive system on both
shared evaluation sets, writes ``benchmarks/results/<dataset>/<system>/`` (scores.csv,
summary.md, run.json) and rewrites ``benchmarks/RESULTS.md``::

    .venv/bin/python benchmarks/run_rouge.py                 # baselines + extractive
    .venv/bin/python benchmarks/run_rouge.py --generative    # also "fast" and "default" (slow)
    .venv/bin/python benchmarks/run_rouge.py --data-dir /elsewhere/data

The data folder defaults to ``../shared/data`` relative to the repository, or
``$SUMMARIZE_EVAL_DATA``. Settings: a 250-word budget, ROUGE on the first 250 words of
system and references (ROUGE-1.5.5 ``-l 250``, the MultiLing 2011 limit), Porter stemming,
1000 bootstrap resamples with seed 0. Exits non-zero if a system could not run.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from summarize.bench.datasets import load_jsonl  # noqa: E402
from summarize.bench.report import write_result, write_results_md  # noqa: E402
from summarize.bench.rouge import RougeOptions  # noqa: E402
from summarize.bench.runner import iter_benchmarks  # noqa: E402
from summarize.errors import SummarizeError  # noqa: E402

DATASETS = ("multiling2011_en.jsonl", "multinews_val100.jsonl")
SYSTEMS = ("lead3", "lexrank", "textrank", "lsa", "luhn", "extractive")
GENERATIVE = ("fast", "default")
WORDS, TRUNCATE, SEED = 250, 250, 0


def data_dir(flag: str | None) -> Path:
    if flag:
        return Path(flag)
    if os.environ.get("SUMMARIZE_EVAL_DATA"):
        return Path(os.environ["SUMMARIZE_EVAL_DATA"])
    return REPO.parent / "shared" / "data"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", help="folder of the .jsonl sets (default ../shared/data)")
    parser.add_argument("--generative", action="store_true",
                        help="also run the generative systems 'fast' and 'default' (slow)")
    parser.add_argument("--systems", nargs="+", default=None,
                        help=f"run only these systems (default: {' '.join(SYSTEMS)})")
    parser.add_argument("--keep-existing", action="store_true",
                        help="keep result folders of systems not rerun (default: start clean)")
    args = parser.parse_args(argv)

    systems = list(args.systems or SYSTEMS) + (list(GENERATIVE) if args.generative else [])
    results_root = REPO / "benchmarks" / "results"
    if results_root.exists() and not args.keep_existing:
        shutil.rmtree(results_root)
    options = RougeOptions(word_limit=TRUNCATE, seed=SEED)
    missing: list[str] = []
    for file_name in DATASETS:
        path = data_dir(args.data_dir) / file_name
        start = time.perf_counter()
        try:
            dataset = load_jsonl(path)
        except SummarizeError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return exc.exit_code
        load_seconds = time.perf_counter() - start
        # Record the path as the repository sees it, not this machine's absolute path.
        dataset = dataclasses.replace(dataset, source=os.path.relpath(path, REPO))
        out = results_root / dataset.name
        print(f"{dataset.name}: {len(dataset.clusters)} clusters, {dataset.n_docs} documents")

        def not_run(name: str, exc: Exception, where: str = dataset.name) -> None:
            print(f"  {name}: NOT RUN: {' '.join(str(exc).split())}", file=sys.stderr)
            missing.append(f"{where}/{name}")

        # LexRank runs first; its system time is each other system's speed reference.
        for result in iter_benchmarks(dataset, systems, words=WORDS, options=options,
                                      load_seconds=load_seconds, on_unavailable=not_run):
            shutil.rmtree(out / result.system, ignore_errors=True)
            write_result(result, out)
            c = result.corpus
            print(f"  {result.system:10s} R-1 {100 * c.get('rouge1').mid:5.2f}  R-2 "
                  f"{100 * c.get('rouge2').mid:5.2f}  R-Lsum {100 * c.get('rougeLsum').mid:5.2f}"
                  f"  failed {len(result.failures)}/{len(result.outputs)}"
                  f"  system {result.timings.system:6.2f}s")
    notes = [f"Not run (resources missing): {', '.join(missing)}."] if missing else []
    written = write_results_md(results_root, REPO / "benchmarks" / "RESULTS.md", notes=notes)
    print(f"wrote {written.relative_to(REPO)}")
    if missing:
        print(f"systems that could not run: {', '.join(missing)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    from summarize.bench.runner import fix_hash_seed

    fix_hash_seed()
    sys.exit(main())
