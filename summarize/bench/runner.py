"""The ROUGE benchmark runner: run a system over clusters, score it, write the results.

One run (:func:`benchmark`) becomes a :class:`~summarize.bench.report.BenchResult`, which
:mod:`summarize.bench.report` writes to a folder (``scores.csv``, ``summary.md``,
``run.json``) and gathers into ``benchmarks/RESULTS.md``.
A cluster the system fails on (an exception, or empty output) scores zero and is counted
in the mean and listed; it is never dropped. Only a missing resource (a model that is not
installed) stops the run, since it would fail every cluster the same way.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence

from summarize.bench.baselines import System
from summarize.bench.datasets import EvalCluster, EvalDoc, EvalSet
from summarize.bench.report import (
    BenchResult,
    SystemOutput,
    Timings,
)
from summarize.bench.rouge import (
    ClusterScore,
    RougeOptions,
    RougeScorer,
)
from summarize.errors import (
    InputError,
    ResourceMissingError,
)

SPEED_REFERENCE = "lexrank"


class BriefSystem:
    """Our pipeline as a benchmark system: ``summarize.brief(..., model=...).plain_text``.

    ``summarize.brief`` is imported on first call, so registering it costs nothing.
    """

    def __init__(self, model: str, **options: str) -> None:
        self.model = model
        self.options = options
        self.stage_seconds: dict[str, float] = {}
        # What produced the briefs, as their metadata says: the embedder's name (its
        # backend: int8 and fp32 vectors select slightly different sentences) and the
        # writer's backend. A figure is only comparable with one made by the same parts.
        self.components: dict[str, set[str]] = {}

    def __call__(self, docs: Sequence[EvalDoc], words: int) -> str:
        articles = [{"id": d.id, "text": d.text} for d in docs]
        try:
            from summarize import brief

            result = brief(articles, words=words, model=self.model, **self.options)
            for stage, seconds in result.metadata.get("timings_s", {}).items():
                self.stage_seconds[stage] = self.stage_seconds.get(stage, 0.0) + seconds
            self._note_components(result.metadata)
            return result.plain_text
        except ImportError as exc:  # a broken install fails every cluster alike: stop
            raise ResourceMissingError(
                f"system {self.model!r} cannot run: {type(exc).__name__}: {exc}") from exc


    def _note_components(self, metadata: dict) -> None:
        seen = {"embedder": metadata.get("embedder")}
        writer = metadata.get("writer") or {}
        runtime = writer.get("runtime") if isinstance(writer, dict) else None
        if isinstance(runtime, dict):
            seen["writer_backend"] = runtime.get("backend")
        for key, value in seen.items():
            if value:
                self.components.setdefault(key, set()).add(str(value))


def systems() -> dict[str, System]:
    """Every benchmark system by name (the ``--system`` choices): the registered baselines,
    then our pipeline with each registered writer (``extractive``, the packaged models, and
    any a plugin adds), and ``extractive-mmr``: the extractive writer over the MMR selection
    that preceded the concept ILP (``Options.selection``), kept for comparison."""
    from summarize.registry import BASELINES, WRITERS, current

    registry = current()
    found: dict[str, System] = dict(registry.items(BASELINES))
    for name in registry.names(WRITERS):
        found.setdefault(name, BriefSystem(name))
    found.setdefault("extractive-mmr", BriefSystem("extractive", selection="mmr"))
    return found


def get_system(name: str) -> System:
    known = systems()
    try:
        return known[name]
    except KeyError:
        raise InputError(f"unknown system {name!r}; choose from {', '.join(known)}") from None


def check_dataset(dataset: EvalSet) -> None:
    """Raise :class:`InputError` naming the first cluster without documents or references."""
    if not dataset.clusters:
        raise InputError(f"{dataset.source}: no clusters to benchmark")
    for c in dataset.clusters:
        if not c.docs or not any(d.text.strip() for d in c.docs):
            raise InputError(f"cluster {c.id!r} of {dataset.name} has no documents")
        if not c.refs or not all(r.strip() for r in c.refs):
            raise InputError(f"cluster {c.id!r} of {dataset.name} has a missing or empty reference")


def run_system(system: System, clusters: Sequence[EvalCluster], words: int) -> tuple[SystemOutput, ...]:
    """Run ``system`` on every cluster, timing each; failures are recorded, not raised."""
    outputs = []
    for cluster in clusters:
        start = time.perf_counter()
        try:
            summary, error = system(cluster.docs, words), ""
            if not isinstance(summary, str) or not summary.strip():
                summary, error = "", "empty output"
        except ResourceMissingError:
            raise
        except Exception as exc:  # noqa: BLE001 - any failure scores zero and is reported
            summary, error = "", " ".join(f"{type(exc).__name__}: {exc}".split())
        outputs.append(SystemOutput(cluster.id, summary, time.perf_counter() - start, error))
    return tuple(outputs)


def score_outputs(
    scorer: RougeScorer, clusters: Sequence[EvalCluster], outputs: Sequence[SystemOutput]
) -> tuple[ClusterScore, ...]:
    """Score outputs against their clusters' references; failed clusters score zero."""
    by_id = {o.cluster_id: o for o in outputs}
    missing = [c.id for c in clusters if c.id not in by_id]
    extra = sorted(set(by_id) - {c.id for c in clusters})
    if missing or extra:
        raise InputError(
            f"system outputs do not match the clusters: missing {missing[:5]}, unknown {extra[:5]}"
        )
    scores = []
    for cluster in clusters:
        out = by_id[cluster.id]
        if out.error:
            scores.append(scorer.zero(cluster.id, len(cluster.refs)))
        else:
            scores.append(scorer.score(out.summary, cluster.refs, cluster.id))
    return tuple(scores)


def time_system(system: System, clusters: Sequence[EvalCluster], words: int) -> float:
    """Seconds ``system`` takes over ``clusters`` (used for the LexRank speed reference)."""
    return sum(o.seconds for o in run_system(system, clusters, words))


def benchmark(
    dataset: EvalSet,
    system_name: str,
    *,
    words: int = 250,
    options: RougeOptions | None = None,
    system: System | None = None,
    load_seconds: float = 0.0,
    reference_seconds: float | None = None,
) -> BenchResult:
    """Run one system over a dataset and score it.

    Args:
        dataset: The clusters (see :mod:`summarize.bench.datasets`).
        system_name: A :func:`systems` name, or any label when ``system`` is given.
        words: The word budget given to the system.
        options: ROUGE options (truncation, stemming, bootstrap seed).
        system: A system object to use instead of looking ``system_name`` up.
        load_seconds: Time spent loading ``dataset``, for the stage timings.
        reference_seconds: LexRank's system time on the same clusters, for the speed
            ratio; when ``None`` and the system is not LexRank, no ratio is reported.
    """
    from summarize.nlp.segment import split

    check_dataset(dataset)
    system = system or get_system(system_name)
    scorer = RougeScorer(options)
    split("Warm up the shared Punkt splitter. Its one-time load is no system's time.")
    if hasattr(system, "stage_seconds"):
        system.stage_seconds.clear()
    if hasattr(system, "components"):
        system.components.clear()
    outputs = run_system(system, dataset.clusters, words)
    system_seconds = sum(o.seconds for o in outputs)
    start = time.perf_counter()
    scores = score_outputs(scorer, dataset.clusters, outputs)
    corpus = scorer.aggregate(scores)
    score_seconds = time.perf_counter() - start
    if system_name == SPEED_REFERENCE:
        reference_seconds = system_seconds
    timings = Timings(load_seconds, system_seconds, score_seconds)
    stages = dict(getattr(system, "stage_seconds", {})) or None
    components = {k: sorted(v) for k, v in getattr(system, "components", {}).items()} or None
    return BenchResult(system_name, dataset, words, scorer.options, outputs, scores, corpus,
                       timings, reference_seconds, stages, components)


def iter_benchmarks(
    dataset: EvalSet,
    system_names: Sequence[str],
    *,
    words: int = 250,
    options: RougeOptions | None = None,
    load_seconds: float = 0.0,
    speed_reference: bool = True,
    on_unavailable: Callable[[str, ResourceMissingError], None] | None = None,
) -> Iterator[BenchResult]:
    """:func:`benchmark` several systems on one dataset, yielding each result when done.

    LexRank runs first when listed, and its system time is every other system's speed
    reference; when it is not listed (and ``speed_reference``), it is timed, not scored,
    on the same clusters. A system whose resources are missing raises, or with
    ``on_unavailable`` is reported to it and skipped.
    """
    names = list(dict.fromkeys(system_names))
    reference = None
    if speed_reference and SPEED_REFERENCE not in names:
        try:
            reference = time_system(get_system(SPEED_REFERENCE), dataset.clusters, words)
        except ResourceMissingError:
            reference = None
    for name in sorted(names, key=lambda n: n != SPEED_REFERENCE):
        try:
            result = benchmark(dataset, name, words=words, options=options,
                               load_seconds=load_seconds, reference_seconds=reference)
        except ResourceMissingError as exc:
            if on_unavailable is None:
                raise
            on_unavailable(name, exc)
            continue
        if name == SPEED_REFERENCE and speed_reference:
            reference = result.timings.system
        yield result


def fix_hash_seed() -> None:
    """Re-run the current script with ``PYTHONHASHSEED=0`` unless it is already set so.

    Python randomises string hashes per process, and with them the iteration order of
    sets (sumy's word sets, any set inside a system), which can flip near-ties between
    sentences. A fixed seed makes a rerun reproduce the numbers; run.json records it.
    """
    if os.environ.get("PYTHONHASHSEED") != "0":
        os.execve(sys.executable, [sys.executable, *sys.argv],
                  dict(os.environ, PYTHONHASHSEED="0"))
