"""A learned pair model: is this pair of articles one event, from what they share?

The clusterer's similarity (:mod:`summarize.events.cluster`) is a fixed weighted mean of four
cosines. On a stream of one beat (three months of US politics) many articles are closer to
a neighbouring event's report than to their own event's, so this module re-scores the
candidate pairs the neighbour search found with a logistic regression on features that
tell same-beat events apart without dates (as the pair classifier of Miranda et al., 2018,
does for a news stream):

* the four cosines the clusterer mixes (MiniLM of title + lead, TF-IDF of the whole text,
  of the title + lead, of the names and numbers);
* IDF-weighted Jaccard overlap of the names (capitalised runs) and, apart, of the figures
  ("$568 billion", "60 million"), so a shared rare amount weighs more than a shared
  "Biden";
* the overlap of the headlines' content words;
* agreement of the weekday words ("on Thursday") in the two leads: the same day named,
  different days named, or no evidence;
* the length ratio of the two texts;
* the pair's standing in its neighbourhood: the link less the mean local density of the
  two articles, and the mutual rank (each article's rank among the other's candidates).

By default the clusterer uses the model only to cut *crowded* stories into events
(``ClusterOptions.split_*``); ``ClusterOptions.pair_weight`` re-scores every link (opt-in).
The weights are fitted by ``benchmarks/train_pairs.py`` on AllSides April-May only and
shipped as ``pair_model.json`` beside this module (feature names, scaler, coefficients, a
format version and a sha256 of the numbers, checked on load). Nothing is fitted or
downloaded at run time; the file is read once, on first use.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from summarize.errors import ModelError, ResourceMissingError
from summarize.events.linkage import row_dots
from summarize.nlp.text import given_terms, names_and_numbers

__all__ = ["FEATURES", "PairModel", "PairTexts", "load_pair_model", "pair_features"]

MODEL_PATH = Path(__file__).with_name("pair_model.json")
FORMAT = 1

FEATURES = (
    "embedding cosine",
    "text tf-idf cosine",
    "lead tf-idf cosine",
    "names and numbers cosine",
    "names weighted jaccard",
    "figures weighted jaccard",
    "title word jaccard",
    "same weekday named",
    "length ratio (abs log)",
    "link less local density",
    "mutual rank",
)

_HASH = 2**18
_WEEKDAYS = re.compile(r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b")


@dataclass(frozen=True)
class PairTexts:
    """The texts of a batch of articles, in row order."""

    titles: list[str]
    leads: list[str]
    fulls: list[str]
    terms: list[list[str]] | None = None  # names_and_numbers of each whole text, if known


def _binary(texts: list[str], analyzer) -> sp.csr_matrix:
    from sklearn.feature_extraction.text import HashingVectorizer

    kwargs = {"analyzer": analyzer} if callable(analyzer) else {"stop_words": "english"}
    x = HashingVectorizer(n_features=_HASH, alternate_sign=False, norm=None,
                          **kwargs).transform(texts).tocsr()
    x.data[:] = 1.0
    return x


def _jaccard(x: sp.csr_matrix, pairs: np.ndarray, weights: np.ndarray | None = None):
    """(Weighted) Jaccard overlap of binary rows; 0 when both rows are empty."""
    if weights is not None:
        x = (x @ sp.diags(weights)).tocsr()
        xs = x.copy()
        xs.data = np.sqrt(xs.data)  # so that a row product gives the weight of a shared term
    else:
        xs = x
    shared = row_dots(xs, pairs)
    total = np.asarray(x.sum(axis=1)).ravel()
    union = total[pairs[:, 0]] + total[pairs[:, 1]] - shared
    return np.divide(shared, union, out=np.zeros(len(pairs)), where=union > 0)


def _idf(x: sp.csr_matrix) -> np.ndarray:
    df = np.asarray((x > 0).sum(axis=0)).ravel()
    return np.log((1.0 + x.shape[0]) / (1.0 + df)) + 1.0


def _weekday_agreement(leads: list[str], pairs: np.ndarray) -> np.ndarray:
    """+1 when both leads name one weekday in common, -1 when both name weekdays but none in
    common, 0 otherwise (no evidence)."""
    names = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    bits = np.array([sum(1 << names.index(d) for d in set(_WEEKDAYS.findall(lead.lower())))
                     for lead in leads], dtype=np.int64)
    a, b = bits[pairs[:, 0]], bits[pairs[:, 1]]
    both = (a > 0) & (b > 0)
    return np.where(both, np.where((a & b) > 0, 1.0, -1.0), 0.0)


def mutual_rank(pairs: np.ndarray, sims: np.ndarray) -> np.ndarray:
    """``1 / (1 + rank of b among a's candidates) + 1 / (1 + rank of a among b's)``."""
    ends = np.concatenate([pairs[:, 0], pairs[:, 1]])
    vals = np.concatenate([sims, sims])
    edge = np.concatenate([np.arange(len(pairs))] * 2)
    order = np.lexsort((edge, -vals, ends))
    rank = np.empty(len(ends))
    rank[order] = np.arange(len(ends)) - np.searchsorted(ends[order], ends[order])
    return 1.0 / (1.0 + rank[: len(pairs)]) + 1.0 / (1.0 + rank[len(pairs):])


def pair_features(
    pairs: np.ndarray,
    embeddings: np.ndarray,
    part_cosines: np.ndarray,
    texts: PairTexts,
    links: np.ndarray,
    density: np.ndarray,
    rank: np.ndarray | None = None,
) -> np.ndarray:
    """The ``len(pairs) x len(FEATURES)`` feature matrix of article pairs of one batch.

    Args:
        pairs: ``m x 2`` row indices into the batch.
        embeddings: L2-normalised embedding rows of the batch.
        part_cosines: ``m x 3`` TF-IDF cosines per pair (whole text, lead, names and numbers).
        texts: Titles, leads and whole texts of the batch.
        links: The clusterer's similarity of each pair (before any re-scoring).
        density: Each article's local density (mean of its best candidate links).
        rank: The pairs' mutual rank when ``pairs`` are only some of the candidate pairs
            (:func:`mutual_rank` over all of them); computed from ``pairs`` when omitted.
    """
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    out = np.zeros((len(pairs), len(FEATURES)))
    if not len(pairs):
        return out
    a, b = pairs[:, 0], pairs[:, 1]
    out[:, 0] = np.einsum("ij,ij->i", embeddings[a], embeddings[b])
    out[:, 1:4] = part_cosines
    terms = texts.terms or [names_and_numbers(text) for text in texts.fulls]
    names = _binary([[t for t in ts if not t.startswith("#")] for ts in terms], given_terms)
    figures = _binary([[t for t in ts if t.startswith("#")] for ts in terms], given_terms)
    out[:, 4] = _jaccard(names, pairs, _idf(names))
    out[:, 5] = _jaccard(figures, pairs, _idf(figures))
    heads = [t or " ".join(lead.split()[:15]) for t, lead in zip(texts.titles, texts.leads)]
    out[:, 6] = _jaccard(_binary(heads, "words"), pairs)
    out[:, 7] = _weekday_agreement(texts.leads, pairs)
    words = np.array([max(1, len(t.split())) for t in texts.fulls], dtype=float)
    out[:, 8] = np.abs(np.log(words[a] / words[b]))
    out[:, 9] = links - 0.5 * (density[a] + density[b])
    out[:, 10] = mutual_rank(pairs, links) if rank is None else rank
    return out


@dataclass(frozen=True)
class PairModel:
    """A logistic regression over standardised :data:`FEATURES`."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    trained_on: str = ""

    def probability(self, features: np.ndarray) -> np.ndarray:
        z = ((features - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-z))

    def to_json(self) -> dict:
        numbers = {"mean": self.mean.tolist(), "scale": self.scale.tolist(),
                   "coef": self.coef.tolist(), "intercept": float(self.intercept)}
        return {"format": FORMAT, "features": list(FEATURES), "trained_on": self.trained_on,
                **numbers, "sha256": _checksum(numbers)}


def _checksum(numbers: dict) -> str:
    return hashlib.sha256(json.dumps(numbers, sort_keys=True).encode("utf-8")).hexdigest()


@functools.lru_cache(maxsize=4)
def load_pair_model(path: str | Path = MODEL_PATH) -> PairModel:
    """Read and check a saved pair model (``pair_model.json`` beside this module by default).

    Raises:
        ResourceMissingError: when the file is missing or unreadable.
        ModelError: when it is of another format or feature list, or its numbers do not
            match their checksum.
    """
    fix = "reinstall summarize or re-run benchmarks/train_pairs.py --save"
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        numbers = {k: data[k] for k in ("mean", "scale", "coef", "intercept")}
    except (OSError, ValueError, KeyError) as exc:
        raise ResourceMissingError(f"Cannot read the pair model {path}: {exc}; {fix}") from exc
    if data.get("format") != FORMAT or tuple(data.get("features", ())) != FEATURES:
        raise ModelError(f"The pair model {path} has another format or feature list; {fix}")
    if _checksum(numbers) != data.get("sha256"):
        raise ModelError(f"The pair model {path} does not match its checksum; {fix}")
    return PairModel(mean=np.array(numbers["mean"], float), scale=np.array(numbers["scale"], float),
                     coef=np.array(numbers["coef"], float), intercept=float(numbers["intercept"]),
                     trained_on=str(data.get("trained_on", "")))
