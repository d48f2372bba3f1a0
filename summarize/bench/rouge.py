"""ROUGE scoring for the benchmark: a thin, documented wrapper over ``rouge-score``.

ROUGE (Lin, 2004, "ROUGE: A Package for Automatic Evaluation of Summaries", ACL Workshop
on Text Summarization Branches Out) counts the n-grams (ROUGE-N) or the longest common
subsequence (ROUGE-L) a system summary shares with human references. Scoring itself is
done by Google's ``rouge_score.rouge_scorer`` (the reimplementation of ROUGE-1.5.5 that
the summarization literature reports); this module adds what a multi-document benchmark
needs around it, and says which ROUGE-1.5.5 flag each option matches:

=========================================  ==================================================
this module                                 ROUGE-1.5.5.pl
=========================================  ==================================================
``metrics`` rouge1, rouge2                  ``-n 2``
``metrics`` rougeLsum (newline-split        ``ROUGE-L`` (its LCS is summary-level: a union
sentences from :func:`summarize.nlp.segment.    LCS over sentence units). rouge-score's
split`)                                     ``rougeL`` is one LCS over the whole text and has
                                            no 1.5.5 counterpart (use ``-x`` to hide 1.5.5's)
``stemming=True`` (default)                 ``-m`` (Porter; rouge-score stems tokens longer
                                            than 3 characters only)
``word_limit=N``                            ``-l N`` (first N whitespace words of the system
                                            *and* of every reference, sentence units kept)
aggregate ``pooled``                        ``-f A`` (hits and counts summed over references)
aggregate ``max``                           close to ``-f B``; 1.5.5 picks the reference with
                                            the best *recall*, rouge-score's ``score_multi``
                                            (and this module) the best *F1*
aggregate ``mean``                          no flag: arithmetic mean of per-reference P, R, F
``confidence=0.95``, ``n_resamples=1000``   ``-c 95 -r 1000`` (bootstrap over clusters;
                                            1.5.5 reports the mean of the resamples, we
                                            report the plain mean and percentile bounds)
F1 (alpha = 0.5)                            ``-p 0.5``; averages are per cluster (``-t 0``)
=========================================  ==================================================

Tokenisation follows rouge-score (lower case, ``[a-z0-9]+`` tokens), which differs from
1.5.5 in one detail: 1.5.5 keeps ``-`` as a token. No stopword removal (no ``-s``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from typing import TYPE_CHECKING

from summarize.errors import InputError

if TYPE_CHECKING:
    import numpy as np

METRICS: tuple[str, ...] = ("rouge1", "rouge2", "rougeL", "rougeLsum")
AGGREGATES: tuple[str, ...] = ("mean", "max", "pooled")
MEASURES: tuple[str, ...] = ("f1", "recall", "precision")


def rouge_score_version() -> str:
    """The installed ``rouge-score`` version (recorded with every benchmark run)."""
    try:
        return metadata.version("rouge-score")
    except metadata.PackageNotFoundError:  # pragma: no cover - broken install
        return "unknown"


@dataclass(frozen=True)
class Score:
    """Precision, recall and F1 (alpha = 0.5) of one metric."""

    precision: float
    recall: float
    f1: float

    def get(self, measure: str) -> float:
        return {"f1": self.f1, "recall": self.recall, "precision": self.precision}[measure]


ZERO = Score(0.0, 0.0, 0.0)


@dataclass(frozen=True)
class RougeOptions:
    """How to score; see the module docstring for the matching ROUGE-1.5.5 flags.

    Attributes:
        metrics: rouge-score metric names (``rouge1`` .. ``rouge9``, ``rougeL``,
            ``rougeLsum``).
        stemming: Porter-stem tokens (``-m``).
        word_limit: Keep only the first N whitespace words of system and references
            (``-l N``; DUC used 100 and 250). ``None`` scores whole texts.
        confidence: Width of the bootstrap confidence interval (``-c 95`` is 0.95).
        n_resamples: Bootstrap resamples (``-r 1000``).
        seed: Seed of the numpy Generator that draws the resamples.
    """

    metrics: tuple[str, ...] = METRICS
    stemming: bool = True
    word_limit: int | None = None
    confidence: float = 0.95
    n_resamples: int = 1000
    seed: int = 0

    def __post_init__(self) -> None:
        for name in self.metrics:
            if name not in {"rougeL", "rougeLsum"} and not _is_rouge_n(name):
                raise InputError(f"unknown ROUGE metric {name!r}; use one of {METRICS}")
        if self.word_limit is not None and self.word_limit < 1:
            raise InputError(f"word_limit must be a positive word count, got {self.word_limit}")
        if not 0.0 < self.confidence < 1.0:
            raise InputError(f"confidence must be in (0, 1), got {self.confidence}")
        if self.n_resamples < 1:
            raise InputError(f"n_resamples must be positive, got {self.n_resamples}")

    def rouge155_flags(self) -> str:
        """The ROUGE-1.5.5.pl flags these options correspond to (for reports)."""
        n = max((int(m[5:]) for m in self.metrics if _is_rouge_n(m)), default=0)
        flags = [f"-n {n}"] if n else []
        flags += ["-m"] if self.stemming else []
        flags += [f"-l {self.word_limit}"] if self.word_limit else []
        flags += [f"-c {round(self.confidence * 100)}", f"-r {self.n_resamples}", "-p 0.5"]
        return " ".join(flags)

    def to_dict(self) -> dict:
        return {
            "metrics": list(self.metrics),
            "stemming": self.stemming,
            "word_limit": self.word_limit,
            "confidence": self.confidence,
            "n_resamples": self.n_resamples,
            "seed": self.seed,
            "rouge155_flags": self.rouge155_flags(),
            "rouge_score_version": rouge_score_version(),
        }


@dataclass(frozen=True)
class ClusterScore:
    """ROUGE of one system summary against the references of one cluster.

    Attributes:
        cluster_id: The cluster scored.
        per_reference: One ``{metric: Score}`` per reference, in reference order.
        mean: Per metric, the mean over references of P, R and F1 separately.
        max: Per metric, the reference with the highest F1 (rouge-score ``score_multi``).
        pooled: Per metric, hits and counts summed over references (1.5.5 ``-f A``).
        system_words: Whitespace words of the system summary after truncation.
    """

    cluster_id: str
    per_reference: tuple[dict[str, Score], ...]
    mean: dict[str, Score]
    max: dict[str, Score]
    pooled: dict[str, Score]
    system_words: int

    def get(self, metric: str, aggregate: str = "mean", measure: str = "f1") -> float:
        return getattr(self, aggregate)[metric].get(measure)


@dataclass(frozen=True)
class Interval:
    """A mean over clusters with its bootstrap confidence interval."""

    low: float
    mid: float
    high: float


@dataclass(frozen=True)
class CorpusScore:
    """Scores over a set of clusters: ``intervals[(aggregate, metric, measure)]``."""

    n_clusters: int
    options: RougeOptions
    intervals: dict[tuple[str, str, str], Interval] = field(default_factory=dict)

    def get(self, metric: str, aggregate: str = "mean", measure: str = "f1") -> Interval:
        return self.intervals[(aggregate, metric, measure)]


def _is_rouge_n(name: str) -> bool:
    return len(name) == 6 and name.startswith("rouge") and name[5].isdigit() and name[5] != "0"


def truncate_sentences(sentences: Sequence[str], word_limit: int | None) -> list[str]:
    """The first ``word_limit`` whitespace words of ``sentences``, sentence units kept.

    This is what ROUGE-1.5.5 ``-l N`` does when it reads a summary: words are counted
    by splitting on whitespace before tokenisation, and the sentence in which the limit
    falls is cut.
    """
    if word_limit is None:
        return [s for s in sentences if s.strip()]
    kept: list[str] = []
    remaining = word_limit
    for sentence in sentences:
        words = sentence.split()
        if not words:
            continue
        if remaining <= 0:
            break
        kept.append(" ".join(words[:remaining]))
        remaining -= len(words)
    return kept


class RougeScorer:
    """Scores system summaries against references with fixed :class:`RougeOptions`.

    Args:
        options: Metrics, stemming, truncation and bootstrap settings.
        splitter: Sentence splitter used for ``rougeLsum`` units and for truncation;
            defaults to :func:`summarize.nlp.segment.split` (Punkt, offline).
    """

    def __init__(
        self,
        options: RougeOptions | None = None,
        splitter: Callable[[str], list[str]] | None = None,
    ) -> None:
        from rouge_score import rouge_scorer, tokenizers

        self.options = options or RougeOptions()
        if splitter is None:
            from summarize.nlp.segment import split as splitter
        self._split = splitter
        self._tokenizer = tokenizers.DefaultTokenizer(use_stemmer=self.options.stemming)
        # rougeLsum units are newline-separated lines; we put one sentence per line.
        self._scorer = rouge_scorer.RougeScorer(
            list(self.options.metrics), tokenizer=self._tokenizer
        )

    def sentences(self, text: str) -> list[str]:
        """Sentences of ``text`` (one line each), truncated to the word limit."""
        sentences = [" ".join(s.split()) for s in self._split(text)]
        return truncate_sentences(sentences, self.options.word_limit)

    def score(self, system: str, references: Sequence[str], cluster_id: str = "") -> ClusterScore:
        """Score one system summary against one or more references.

        Raises:
            InputError: If there is no reference or a reference is empty.
        """
        if not references:
            raise InputError(f"cluster {cluster_id!r} has no reference summary to score against")
        system_sents = self.sentences(system)
        prediction = "\n".join(system_sents)
        per_ref: list[dict[str, Score]] = []
        pooled_counts: dict[str, list[float]] = {m: [0.0, 0.0, 0.0] for m in self.options.metrics}
        for i, reference in enumerate(references):
            ref_sents = self.sentences(reference)
            if not ref_sents:
                raise InputError(f"cluster {cluster_id!r}: reference #{i + 1} is empty")
            target = "\n".join(ref_sents)
            raw = self._scorer.score(target, prediction)
            scores = {m: Score(s.precision, s.recall, s.fmeasure) for m, s in raw.items()}
            per_ref.append(scores)
            ref_tokens = len(self._tokenizer.tokenize(target))
            sys_tokens = len(self._tokenizer.tokenize(prediction))
            for metric, s in scores.items():
                ref_units, sys_units = _units(metric, ref_tokens), _units(metric, sys_tokens)
                # rouge-score returns ratios; hits = recall * reference units exactly.
                counts = pooled_counts[metric]
                counts[0] += round(s.recall * ref_units)
                counts[1] += ref_units
                counts[2] += sys_units
        return ClusterScore(
            cluster_id=cluster_id,
            per_reference=tuple(per_ref),
            mean={m: _mean([r[m] for r in per_ref]) for m in self.options.metrics},
            max={m: max((r[m] for r in per_ref), key=lambda s: s.f1) for m in self.options.metrics},
            pooled={m: _pooled(*pooled_counts[m]) for m in self.options.metrics},
            system_words=sum(len(s.split()) for s in system_sents),
        )

    def zero(self, cluster_id: str, n_references: int) -> ClusterScore:
        """The score of a cluster the system failed on: zero everywhere, still counted."""
        zeros = {m: ZERO for m in self.options.metrics}
        return ClusterScore(cluster_id, tuple(zeros for _ in range(n_references)),
                            zeros, zeros, zeros, 0)

    def aggregate(self, scores: Sequence[ClusterScore]) -> CorpusScore:
        """Mean over clusters with bootstrap confidence intervals (see :func:`bootstrap`).

        All metrics share one set of resampled cluster indices, so intervals of
        different metrics come from the same resamples.
        """
        if not scores:
            raise InputError("no clusters to aggregate: the dataset is empty")
        import numpy as np

        opts = self.options
        idx = resample_indices(len(scores), opts.n_resamples, opts.seed)
        intervals = {}
        for agg in AGGREGATES:
            for metric in opts.metrics:
                for measure in MEASURES:
                    values = np.array([s.get(metric, agg, measure) for s in scores])
                    intervals[(agg, metric, measure)] = _interval(values, idx, opts.confidence)
        return CorpusScore(len(scores), opts, intervals)


def _units(metric: str, n_tokens: int) -> int:
    if _is_rouge_n(metric):
        return max(n_tokens - int(metric[5:]) + 1, 0)
    return n_tokens


def _mean(scores: list[Score]) -> Score:
    n = len(scores)
    return Score(
        sum(s.precision for s in scores) / n,
        sum(s.recall for s in scores) / n,
        sum(s.f1 for s in scores) / n,
    )


def _pooled(hits: float, ref_units: float, sys_units: float) -> Score:
    recall = hits / ref_units if ref_units else 0.0
    precision = hits / sys_units if sys_units else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Score(precision, recall, f1)


def resample_indices(n_items: int, n_resamples: int, seed: int) -> np.ndarray:
    """``(n_resamples, n_items)`` cluster indices drawn with replacement, seeded."""
    import numpy as np

    rng = np.random.default_rng(seed)
    return rng.integers(0, n_items, size=(n_resamples, n_items))


def _interval(values: np.ndarray, idx: np.ndarray, confidence: float) -> Interval:
    import numpy as np

    means = values[idx].mean(axis=1)
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(means, [tail, 1.0 - tail])
    return Interval(float(low), float(values.mean()), float(high))


def bootstrap(
    values: Sequence[float], n_resamples: int = 1000, confidence: float = 0.95, seed: int = 0
) -> Interval:
    """Percentile bootstrap confidence interval of the mean of per-cluster ``values``.

    Clusters are resampled with replacement ``n_resamples`` times (as ROUGE-1.5.5 ``-r``)
    with ``numpy.random.default_rng(seed)``; ``mid`` is the plain mean of ``values``.
    """
    import numpy as np

    array = np.asarray(values, dtype=float)
    if array.size == 0:
        raise InputError("no values to bootstrap")
    return _interval(array, resample_indices(array.size, n_resamples, seed), confidence)
