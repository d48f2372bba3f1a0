"""Threads: stories (events) of one developing storyline, linked but not merged.

A story is one event: "Israel and Hamas agree to a ceasefire" and "Israeli ground forces
attack Gaza" a week earlier are two stories. A *thread* links them: it is a second, looser
agglomeration over the stories, with the same average linkage as the events
(:func:`summarize.events.linkage.agglomerate`) on the same vectors (a story's vector is
the sum of its members', so the link of two threads is still the mean similarity of all
their articles' cross pairs), but a lower bar (``thread_threshold``), a slower time decay
(``thread_decay_per_day``) over a wider window (``thread_max_gap_days``), and no
relative-closeness or density rule: a storyline may be loose as long as its events are
closer to one another than to the rest of the news.

Threads are assigned incrementally like stories: a story keeps its thread forever, a new
story joins the best existing thread or starts a new one with new stories of the same
call, and existing threads never merge (ids stay stable). A thread's id is
:func:`thread_id` of its first story (by first publication day, then story id).

*Distinctive terms* (``distinct_weight``). The mean similarity of two stories' articles
mostly measures their beat: two Senate stories on one day share "Senate", "Schumer" and
"Democrats" as much as two steps of one Afghanistan withdrawal share "Afghanistan",
"Taliban" and "troops". What tells "one specific situation" from "one beat" is that the
shared words are *rare*: few other articles carry them. So each story also gets a
distinctive-terms vector, the mean of its articles' title + lead TF-IDF vectors with every
term re-weighted by its IDF raised to ``distinct_power`` (the document frequencies the
index keeps), L2-normalised; ``distinct_weight`` times the cosine of two stories' vectors
is added to their link. It is appended to the stories' lexical sums, scaled by their
article counts, so a thread link stays the exact mean over all cross pairs of articles
(each pair's term being its two stories' cosine) and local density sees it too. Nothing
new is stored: the index already keeps the lexical sums and the document frequencies.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from summarize.errors import InputError
from summarize.events.linkage import (
    Groups,
    agglomerate,
    candidate_graph,
    decayed,
    local_density,
    neighbours,
    row_dots,
    unique_pairs,
)

__all__ = ["ThreadSettings", "ThreadTerms", "assign_threads", "distinct_terms", "thread_id"]


def thread_id(first_story_id: str) -> str:
    """The id of a thread whose first story (by first day, then id) is ``first_story_id``."""
    return "t-" + hashlib.sha1(first_story_id.encode("utf-8")).hexdigest()[:12]


@dataclass(frozen=True)
class ThreadSettings:
    """The linkage settings of the thread level (see ``ClusterOptions.thread_*``)."""

    threshold: float
    decay_per_day: float
    max_gap_days: float
    neighbors: int
    exact_limit: int
    probes: int
    seed: int
    relative: float = 0.0
    decay_grace_days: float = 0.0
    density_neighbors: int = 0
    density_margin: float = 0.0
    density_prior: float = 0.0
    pair_margin: float = 0.0
    pair_sure: float = 0.0
    single_relative: float = 0.0
    single_cap: float = 0.5
    distinct_weight: float = 0.0
    distinct_power: float = 2.0

    @property
    def join_threshold(self) -> float:
        """Joining an existing thread takes the same bar as forming one."""
        return self.threshold


@dataclass(frozen=True)
class ThreadTerms:
    """Where the stories' title + lead TF-IDF sums sit among their lexical columns, and the
    document frequencies and count of documents behind their IDF (``df`` covers
    ``columns``)."""

    columns: slice
    df: np.ndarray
    n_docs: int


def distinct_terms(lexical: sp.csr_matrix, counts: np.ndarray, terms: ThreadTerms,
                   power: float) -> sp.csr_matrix:
    """Per story, its distinctive-terms vector (see the module docstring), L2-normalised:
    the mean title + lead TF-IDF vector of its articles, each term re-weighted by
    ``idf ** power``. A story without such terms gets a zero row."""
    from sklearn.preprocessing import normalize

    idf = np.log((1.0 + terms.n_docs) / (1.0 + np.asarray(terms.df, float))) + 1.0
    mean = sp.diags(1.0 / np.maximum(np.asarray(counts, float), 1.0)) @ lexical[:, terms.columns]
    return normalize((mean @ sp.diags(idf**power)).tocsr())


def _key(first_day: float, sid: str) -> tuple[bool, float, str]:
    return (math.isnan(first_day), 0.0 if math.isnan(first_day) else first_day, sid)


def _story_density(rows, dense, lexical, counts, first_day, last_day, settings) -> np.ndarray:
    """Per story of ``rows``: the mean of its ``density_neighbors`` best (decayed) average
    links to the other stories of ``rows`` among its nearest ones, missing ones counted as
    ``density_prior``."""
    unit = dense[rows] / np.maximum(np.linalg.norm(dense[rows], axis=1, keepdims=True), 1e-12)
    pairs, _ = candidate_graph(unit.astype(np.float32), first_day[rows], settings)
    if not len(pairs):
        return np.full(len(rows), settings.density_prior)
    a, b = rows[pairs[:, 0]], rows[pairs[:, 1]]
    dots = np.einsum("ij,ij->i", dense[a], dense[b]) + row_dots(lexical, np.stack([a, b], axis=1))
    links = dots / (counts[a] * counts[b])
    near = decayed(links, np.stack([a, b], axis=1), first_day, last_day, settings)
    return local_density(len(rows), pairs, near, settings.density_neighbors,
                         settings.density_prior)


def assign_threads(
    story_ids: list[str],
    thread_ids: list[str],
    dense: np.ndarray,
    lexical: sp.csr_matrix,
    counts: np.ndarray,
    sq: np.ndarray,
    first_day: np.ndarray,
    last_day: np.ndarray,
    settings: ThreadSettings,
    terms: ThreadTerms | None = None,
) -> list[str]:
    """Thread ids for every story: those with one keep it, those without (``""``) get one.

    Args:
        story_ids / thread_ids: Per story row; ``""`` marks a story to be threaded.
        dense / lexical / counts / sq / first_day / last_day: Per story row, the sums of
            its members' vectors and squared norms, its size and date range.
        settings: Linkage settings of the thread level.
        terms: Where the title + lead TF-IDF sits in ``lexical`` and its document
            frequencies; needed when ``settings.distinct_weight`` is above 0.
    """
    out = list(thread_ids)
    new = sorted((r for r, t in enumerate(thread_ids) if not t),
                 key=lambda r: _key(first_day[r], story_ids[r]))
    if not new:
        return out
    if settings.distinct_weight > 0:
        if terms is None:
            raise InputError("ThreadSettings.distinct_weight needs the stories' terms: "
                             "pass terms=ThreadTerms(...)")
        # Scaled by the article counts: the mean over two stories' cross pairs of
        # articles of this block is then distinct_weight x their cosine.
        extra = distinct_terms(lexical, counts, terms, settings.distinct_power)
        extra = sp.diags(np.asarray(counts, float) * math.sqrt(settings.distinct_weight)) @ extra
        lexical = sp.hstack([lexical, extra], format="csr")
    new = np.array(new, dtype=int)
    old = np.array([r for r, t in enumerate(thread_ids) if t], dtype=int)
    if len(old):  # only threads whose dates can still reach the new stories
        start = np.nanmin(first_day[new], initial=np.inf)
        undated = np.isnan(first_day[new]).any()
        reach = np.isnan(last_day[old]) | (last_day[old] >= start - settings.max_gap_days)
        old = old if undated else old[reach]
    names = sorted({thread_ids[r] for r in old})
    slot = {name: i for i, name in enumerate(names)}
    m, n = len(names), len(new)
    member = sp.csr_matrix(
        (np.ones(len(old)), ([slot[thread_ids[r]] for r in old], old)),
        shape=(m, len(story_ids)),
    )
    t_dense = member @ dense if m else np.zeros((0, dense.shape[1]))
    lo = np.full(m, np.nan)
    hi = np.full(m, np.nan)
    if m:
        rows = np.array([slot[thread_ids[r]] for r in old])
        np.fmin.at(lo, rows, first_day[old])
        np.fmax.at(hi, rows, last_day[old])
    nodes = Groups(
        dense=np.vstack([t_dense, dense[new]]),
        lexical=sp.vstack([member @ lexical, lexical[new]], format="csr"),
        size=np.concatenate([member @ counts, counts[new]]).astype(int).tolist(),
        lo=np.concatenate([lo, first_day[new]]).tolist(),
        hi=np.concatenate([hi, last_day[new]]).tolist(),
        frozen=[True] * m + [False] * n,
        sq=np.concatenate([member @ sq, sq[new]]).tolist(),
    )

    def unit(x: np.ndarray) -> np.ndarray:
        return (x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)).astype(np.float32)

    # Candidates: new stories near one another (time windows), and near existing threads.
    centres = unit(dense[new])
    pairs, _ = candidate_graph(centres, first_day[new], settings)
    found = [pairs + m]
    if m:
        r, c, _ = neighbours(centres, unit(t_dense), settings.neighbors, False, settings)
        found.append(np.stack([c, r + m], axis=1))
    pairs = np.concatenate(found)
    if not len(pairs):
        groups = [[i] for i in range(m + n)]
    else:
        pairs, _ = unique_pairs(pairs, np.zeros(len(pairs)))
        sims = np.einsum("ij,ij->i", nodes.dense[pairs[:, 0]], nodes.dense[pairs[:, 1]])
        sims = sims + nodes.lexical_dots(pairs)
        if settings.density_neighbors > 0:
            # Local scaling at the thread level: a story whose neighbouring stories are all
            # close (a beat: the Supreme Court's June rulings) joins only a thread that
            # stands out from them. Measured story to story, so a batch and a night of a
            # stream see the same neighbourhoods; a thread's is the sum of its stories'.
            rows = np.concatenate([old, new])
            if len(old):
                story = _story_density(rows, dense, lexical, counts, first_day, last_day,
                                       settings)
            else:  # all stories are new: their story graph is the one just built
                size = np.asarray(nodes.size, float)
                near = decayed(sims / (size[pairs[:, 0]] * size[pairs[:, 1]]), pairs,
                               nodes.lo, nodes.hi, settings)
                story = local_density(n, pairs, near, settings.density_neighbors,
                                      settings.density_prior)
            weighted = story * counts[rows]
            thread_density = np.zeros(m)
            if m:
                np.add.at(thread_density, [slot[thread_ids[r]] for r in old], weighted[: len(old)])
            nodes.density = np.concatenate([thread_density, weighted[len(old):]]).tolist()
        groups = agglomerate(nodes, pairs, sims, settings)
    for group in groups:
        if group[0] < m:  # joins an existing thread (thread nodes sort first)
            name = names[group[0]]
        else:  # a new thread, named after its first story (``new`` is in that order)
            name = thread_id(story_ids[new[group[0] - m]])
        for i in group:
            if i >= m:
                out[new[i - m]] = name
    return out
