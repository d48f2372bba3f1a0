"""``summarize bench``: the benchmark commands (``rouge``, ``results``).

Registered with the main command line lazily: ``summarize brief`` and ``summarize digest``
never import the benchmark harness.
"""

from __future__ import annotations

import time
from pathlib import Path

import click

from summarize.bench.datasets import load_dataset
from summarize.bench.report import write_result, write_results_md
from summarize.bench.rouge import RougeOptions
from summarize.bench.runner import iter_benchmarks, systems
from summarize.errors import ResourceMissingError, SummarizeError


def _fail(exc: Exception) -> click.ClickException:
    error = click.ClickException(" ".join(str(exc).split()))
    error.exit_code = getattr(exc, "exit_code", 1)
    return error


@click.group()
def bench() -> None:
    """Benchmark summarizers against human references (ROUGE)."""


@bench.command("rouge")
@click.option("--data", "data", required=True, type=click.Path(path_type=Path),
              help="Cluster file (.jsonl), seeds folder, or DUC documents folder.")
@click.option("--models", type=click.Path(path_type=Path), default=None,
              help="DUC model-summaries folder (with a DUC documents folder as --data).")
@click.option("--system", "systems", multiple=True, required=True,
              type=click.Choice(list(systems())), help="System to run; repeat for several.")
@click.option("--out", required=True, type=click.Path(path_type=Path),
              help="Output folder; each system writes OUT/<system>/.")
@click.option("--words", default=250, show_default=True, type=click.IntRange(min=1),
              help="Word budget given to the systems.")
@click.option("--truncate", default=None, type=click.IntRange(min=1),
              help="Score only the first N words of system and references (ROUGE-1.5.5 -l N).")
@click.option("--seed", default=0, show_default=True, help="Bootstrap seed.")
@click.option("--resamples", default=1000, show_default=True, type=click.IntRange(min=1),
              help="Bootstrap resamples (ROUGE-1.5.5 -r).")
@click.option("--no-stem", is_flag=True, help="Turn the Porter stemmer off (drop -m).")
@click.option("--no-speed-reference", is_flag=True,
              help="Do not time LexRank on the same clusters for the speed ratio.")
@click.option("--keep-summaries", is_flag=True,
              help="Also write the system summaries (they quote the licensed data).")
def rouge_command(data, models, systems, out, words, truncate, seed, resamples, no_stem,
                  no_speed_reference, keep_summaries) -> None:
    """Run SYSTEMs over the clusters in --data and write ROUGE results to --out."""
    unavailable: list[ResourceMissingError] = []

    def report(name: str, exc: ResourceMissingError) -> None:
        click.echo(f"{name}: not run: {' '.join(str(exc).split())}", err=True)
        unavailable.append(exc)

    try:
        start = time.perf_counter()
        dataset = load_dataset(data, models)
        load_seconds = time.perf_counter() - start
        options = RougeOptions(stemming=not no_stem, word_limit=truncate, seed=seed,
                               n_resamples=resamples)
        for result in iter_benchmarks(dataset, systems, words=words, options=options,
                                      load_seconds=load_seconds, on_unavailable=report,
                                      speed_reference=not no_speed_reference):
            folder = write_result(result, out, keep_summaries=keep_summaries)
            c = result.corpus
            click.echo(
                f"{result.system}: R-1 {100 * c.get('rouge1').mid:.2f} "
                f"R-2 {100 * c.get('rouge2').mid:.2f} R-Lsum {100 * c.get('rougeLsum').mid:.2f} "
                f"(F1), failed {len(result.failures)}/{len(result.outputs)} -> {folder}"
            )
    except SummarizeError as exc:
        raise _fail(exc) from exc
    if unavailable:
        click.get_current_context().exit(unavailable[0].exit_code)


@bench.command("results")
@click.option("--root", default=Path("benchmarks/results"), show_default=True,
              type=click.Path(path_type=Path), help="Folder of <dataset>/<system>/run.json.")
@click.option("--out", default=Path("benchmarks/RESULTS.md"), show_default=True,
              type=click.Path(path_type=Path), help="Markdown file to (re)write.")
def results_command(root: Path, out: Path) -> None:
    """Regenerate RESULTS.md from benchmark result folders."""
    try:
        click.echo(f"wrote {write_results_md(root, out)}")
    except SummarizeError as exc:
        raise _fail(exc) from exc
