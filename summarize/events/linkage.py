"""The graph and linkage stage of event clustering (:mod:`summarize.events.cluster`).

Candidate pairs come from each vector's nearest neighbours: exact (chunked matrix
products), or approximate above ``exact_limit`` candidates (a two-level inverted file,
:mod:`summarize.events.neighbours`), and only within a time window when dates are known.
Groups are then merged by average linkage (Sokal & Michener, 1958) restricted to that
sparse graph: the similarity is a dot product, so the mean similarity of all cross pairs of
two groups is the dot product of their vector sums divided by their sizes, and links stay
exact without an ``n x n`` matrix.

A merge must also stand out from its neighbourhood (local scaling, as in CSLS, Conneau et
al., 2018, and self-tuning spectral clustering, Zelnik-Manor & Perona, 2004): every
article's *density* is the mean of its ``density_neighbors`` best candidate similarities
(after time decay), and two groups merge only while their link, minus the mean density of
their members, is at least ``density_margin``. In a pool of near-identical beats (three
months of US politics) an article's neighbourhood is dense, so only a clearly closer report
joins it; in a pool of distinct topics the neighbourhood is its own topic and nothing
changes. Densities are per article, so a group's is a sum and links stay exact.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import scipy.sparse as sp

from summarize.events import neighbours as approximate

__all__ = [
    "Groups",
    "LinkageSettings",
    "agglomerate",
    "candidate_graph",
    "decayed",
    "local_density",
    "neighbours",
    "row_dots",
    "unique_pairs",
]


class LinkageSettings(Protocol):
    """The settings this stage reads (:class:`summarize.events.cluster.ClusterOptions` has them)."""

    threshold: float
    relative: float
    max_gap_days: float
    decay_per_day: float
    decay_grace_days: float
    density_neighbors: int
    density_margin: float
    density_prior: float
    join_threshold: float
    pair_margin: float
    pair_sure: float
    single_relative: float
    single_cap: float
    neighbors: int
    exact_limit: int
    probes: int
    seed: int


# --- candidate graph --------------------------------------------------------------------


def top_k(queries: np.ndarray, cands: np.ndarray, k: int, same: bool):
    """Exact top-``k`` inner products of each query row among ``cands`` rows (chunked).

    Returns ``(query rows, candidate rows, inner products)``; with ``same`` the two sets
    are one and a row is not its own neighbour. Ties go to the lower candidate row.
    With many candidates, each row is first cut at the ``k``-th best of every tenth
    candidate (a bar no true top-``k`` value is below), so only the few products above it
    are ranked: the result stays exact at a fraction of a full partition's cost.
    """
    k = min(k, len(cands) - (1 if same else 0))
    if k <= 0:
        return np.zeros(0, int), np.zeros(0, int), np.zeros(0)
    rows, cols, sims = [], [], []
    n = len(cands)
    step = max(1, 2**22 // max(1, n))  # about 16 MiB of products at a time
    stride = 10 if n >= 40 * k else 1
    for start in range(0, len(queries), step):
        block = queries[start : start + step] @ cands.T
        if same:
            idx = np.arange(start, start + len(block))
            block[idx - start, idx] = -np.inf
        sample = block[:, ::stride]
        kk = min(k, sample.shape[1])
        bar = -np.partition(-sample, kk - 1, axis=1)[:, kk - 1]  # kk-th best of the sample
        if kk < k:
            bar = np.full(len(block), -np.inf)
        r, c = np.nonzero(block >= bar[:, None])
        v = block[r, c]
        order = np.lexsort((c, -v, r))
        r, c, v = r[order], c[order], v[order]
        rank = np.arange(len(r)) - np.searchsorted(r, r)
        keep = rank < k
        rows.append(r[keep] + start)
        cols.append(c[keep])
        sims.append(v[keep])
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(sims)


def neighbours(queries: np.ndarray, cands: np.ndarray, k: int, same: bool, opts: LinkageSettings):
    """Top-``k`` candidates per query: exact up to ``exact_limit`` candidates, approximate
    above (a two-level inverted file whose scan per query does not grow with the number of
    candidates, :func:`summarize.events.neighbours.search`)."""
    if len(cands) <= opts.exact_limit:
        return top_k(queries, cands, k, same)
    return approximate.search(queries, cands, k, same, opts.probes, opts.seed)


def time_windows(days: np.ndarray, gap: float):
    """``(queries, candidates, self_join)`` index sets: dated articles only meet articles
    dated within about one window (``gap`` days) of theirs, and undated ones."""
    idx = np.arange(len(days))
    dated = ~np.isnan(days)
    if not dated.any() or not math.isfinite(gap) or gap <= 0:
        yield idx, idx, True
        return
    undated = idx[~dated]
    if len(undated):
        yield undated, idx, False
    bucket = np.floor(days[dated] / gap).astype(int)
    for b in np.unique(bucket):
        near = idx[dated][np.abs(bucket - b) <= 1]
        yield idx[dated][bucket == b], np.concatenate([near, undated]), False


def candidate_graph(vecs: np.ndarray, days: np.ndarray, opts: LinkageSettings):
    """Candidate pairs ``(i, j)``, ``i < j`` (an ``m x 2`` array), and their inner products."""
    pairs, sims = [np.zeros((0, 2), int)], [np.zeros(0)]
    for q, c, same in time_windows(days, opts.max_gap_days):
        r, s, v = neighbours(vecs[q], vecs[c], opts.neighbors, same, opts)
        a, b = q[r], c[s]
        keep = a != b
        pairs.append(np.stack([np.minimum(a, b)[keep], np.maximum(a, b)[keep]], axis=1))
        sims.append(v[keep])
    return unique_pairs(np.concatenate(pairs), np.concatenate(sims))


def row_dots(x: sp.csr_matrix, pairs: np.ndarray) -> np.ndarray:
    """``x[a] . x[b]`` for each pair ``(a, b)`` of rows, in chunks of 16,384 pairs so a
    million pairs never build one huge sparse product."""
    out = np.zeros(len(pairs))
    for s in range(0, len(pairs), 16384):
        a, b = pairs[s : s + 16384, 0], pairs[s : s + 16384, 1]
        out[s : s + 16384] = np.asarray(x[a].multiply(x[b]).sum(axis=1)).ravel()
    return out


def unique_pairs(pairs: np.ndarray, sims: np.ndarray):
    pairs, first = np.unique(pairs, axis=0, return_index=True)
    return pairs, sims[first]


def decay(gap: float | np.ndarray, opts: LinkageSettings):
    """Similarity lost to ``gap`` days between two date ranges (0 when undated)."""
    return opts.decay_per_day * np.maximum(0.0, np.nan_to_num(gap) - opts.decay_grace_days)


def range_gaps(lo: np.ndarray, hi: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """Days between the date ranges of each pair's two nodes (NaN when one is undated)."""
    a, b = pairs[:, 0], pairs[:, 1]
    return np.maximum(0.0, np.maximum(lo[a], lo[b]) - np.minimum(hi[a], hi[b]))


def decayed(sims: np.ndarray, pairs: np.ndarray, lo, hi, opts: LinkageSettings) -> np.ndarray:
    """Pair similarities minus their time decay (see :func:`agglomerate`)."""
    if not len(pairs):
        return sims
    gaps = range_gaps(np.asarray(lo, float), np.asarray(hi, float), pairs)
    return sims - decay(gaps, opts)


def local_density(n: int, pairs: np.ndarray, sims: np.ndarray, k: int, prior: float,
                  rows: np.ndarray | None = None) -> np.ndarray:
    """Per node, the mean of its ``k`` best edge similarities, padded with ``prior``.

    ``sims`` should already be decayed. Padding keeps a small pool (three reports of one
    event) from looking dense: a node with fewer than ``k`` edges counts the missing ones
    as ``prior``, the similarity of unrelated articles. Only ``rows`` (default: all) are
    computed; the others get 0.
    """
    out = np.zeros(n)
    if k <= 0:
        return out
    ends = np.concatenate([pairs[:, 0], pairs[:, 1]]) if len(pairs) else np.zeros(0, int)
    vals = np.concatenate([sims, sims]) if len(pairs) else np.zeros(0)
    wanted = np.ones(n, bool) if rows is None else np.isin(np.arange(n), rows)
    keep = wanted[ends]
    ends, vals = ends[keep], vals[keep]
    order = np.lexsort((-vals, ends))
    ends, vals = ends[order], vals[order]
    rank = np.arange(len(ends)) - np.searchsorted(ends, ends)
    top = rank < k
    total = np.bincount(ends[top], weights=vals[top], minlength=n)
    count = np.bincount(ends[top], minlength=n)
    out = (total + (k - count) * prior) / k
    out[~wanted] = 0.0
    return out


# --- average linkage over the sparse graph ---------------------------------------------


@dataclass
class Groups:
    """Groups being merged: vector sums, sizes, date ranges; frozen = an indexed story."""

    dense: np.ndarray
    lexical: sp.csr_matrix | None
    size: list[int]
    lo: list[float]
    hi: list[float]
    frozen: list[bool]
    sq: list[float]  # sum over members of their squared norms
    density: list[float] | None = None  # sum over members of their local densities
    rows: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    selfdot: dict[int, float] = field(default_factory=dict)
    inner: dict[int, float] = field(default_factory=dict)  # re-scoring bonus of inner pairs

    def cohesion(self, i: int) -> float:
        """Mean similarity of the pairs inside group ``i`` (for two or more members)."""
        if i not in self.selfdot:
            self.selfdot[i] = self.dot(i, i)
        pairs_sum = self.selfdot[i] - self.sq[i] + 2.0 * self.inner.get(i, 0.0)
        return pairs_sum / (self.size[i] * (self.size[i] - 1))

    def lex(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Group ``i``'s lexical vector as (sorted column indices, values)."""
        if i not in self.rows:
            lexical = self.lexical
            start, end = lexical.indptr[i], lexical.indptr[i + 1]
            idx, val = lexical.indices[start:end], lexical.data[start:end]
            order = np.argsort(idx, kind="stable")
            self.rows[i] = (idx[order], val[order])
        return self.rows[i]

    def merge_lex(self, keep: int, gone: int) -> None:
        """Group ``keep``'s lexical vector becomes the sum of both groups'."""
        (i1, v1), (i2, v2) = self.lex(keep), self.lex(gone)
        idx = np.concatenate([i1, i2])
        uniq, inverse = np.unique(idx, return_inverse=True)
        self.rows[keep] = (uniq, np.bincount(inverse, weights=np.concatenate([v1, v2]),
                                             minlength=len(uniq)))

    def dot(self, a: int, b: int) -> float:
        value = float(self.dense[a] @ self.dense[b])
        if self.lexical is not None:
            (xi, xv), (yi, yv) = self.lex(a), self.lex(b)
            if len(xi) > len(yi):
                xi, xv, yi, yv = yi, yv, xi, xv
            if len(xi):  # look the shorter row's terms up in the longer (sorted) one
                pos = np.minimum(np.searchsorted(yi, xi), len(yi) - 1)
                hit = yi[pos] == xi
                value += float(xv[hit] @ yv[pos[hit]])
        return value

    def lexical_dots(self, pairs: np.ndarray) -> np.ndarray:
        return np.zeros(len(pairs)) if self.lexical is None else row_dots(self.lexical, pairs)

    def gap(self, a: int, b: int) -> float:
        lo_a, lo_b = self.lo[a], self.lo[b]
        if math.isnan(lo_a) or math.isnan(lo_b):  # undated
            return 0.0
        return max(0.0, max(lo_a, lo_b) - min(self.hi[a], self.hi[b]))


# Copies of one wire story are near 1.0 alike; capping a group's inner similarity keeps
# them from setting an impossible bar for a merge with another outlet's reports.
_COHESION_CAP = 0.5


def agglomerate(
    nodes: Groups, pairs: np.ndarray, sims: np.ndarray, opts: LinkageSettings,
    bonus: np.ndarray | None = None,
) -> list[list[int]]:
    """Merge groups along graph edges, best link first, while it is >= threshold.

    ``link(A, B) = (sum_A . sum_B) / (|A| |B|) - decay(gap)``: the mean similarity of all
    cross pairs, less the time decay between the groups' date ranges; ``sims`` holds the
    mean for the initial ``pairs``. Joining a frozen group (an indexed story) needs a link
    of at least ``join_threshold`` instead. With densities, a merge also needs ``link - (mean
    density of A + mean density of B) / 2 >= density_margin``, and that margin orders the
    merges; two single nodes then need a margin of at least ``pair_margin`` (or a link of
    at least ``pair_sure``). Two groups of two or more need a link of ``relative`` times
    their cohesion, a single node joining a group ``single_relative`` times the group's
    (capped at ``single_cap``). Returns the member nodes of every final group, each sorted.

    ``bonus`` (optional, one value per initial pair, already included in ``sims``) is a
    re-scoring of those pairs (the learned pair model): a merged group's link to a
    neighbour is the exact dot product of their sums plus the bonuses of the pairs between
    them, and a group's cohesion includes the bonuses of its inner pairs.
    """
    n = len(nodes.size)
    size, frozen, density = nodes.size, nodes.frozen, nodes.density
    per_day, grace = opts.decay_per_day, opts.decay_grace_days  # see decay()
    cross: list[dict[int, float]] = [{} for _ in range(n)]  # neighbour -> sum of pair sims
    edges = pairs.tolist()
    for (a, b), s in zip(edges, sims.tolist()):
        cross[a][b] = cross[b][a] = s
    extra: list[dict[int, float]] | None = None  # neighbour -> sum of pair bonuses
    if bonus is not None:
        extra = [{} for _ in range(n)]
        for (a, b), v in zip(edges, bonus.tolist()):
            if v:
                extra[a][b] = extra[b][a] = v
    version = [0] * n
    members = [[i] for i in range(n)]
    heap: list[tuple[float, int, int, int, int]] = []

    def push(a: int, b: int) -> None:
        if frozen[a] and frozen[b]:
            return  # indexed stories never merge with each other
        gap = nodes.gap(a, b)
        if gap > opts.max_gap_days:
            return
        # Soft time decay: days between the groups' date ranges cost similarity.
        link = cross[a][b] / (size[a] * size[b]) - per_day * max(0.0, gap - grace)
        if link < (opts.join_threshold if frozen[a] or frozen[b] else opts.threshold):
            return  # joining an indexed (earlier) story takes a little more
        key = link
        if density is not None:
            key = link - 0.5 * (density[a] / size[a] + density[b] / size[b])
            if key < opts.density_margin:
                return
            if size[a] == size[b] == 1 and key < opts.pair_margin and link < opts.pair_sure:
                # Two lone reports, no third to confirm them: being each other's closest in
                # a crowded beat is not enough, the link must stand out from both
                # neighbourhoods (or be high outright).
                return
        if opts.relative > 0 and size[a] > 1 and size[b] > 1:
            # Relative closeness (Karypis et al., 1999): the link must be comparable to
            # how tight the groups already are, so two tight groups on one topic stay apart.
            tight = min(nodes.cohesion(a), nodes.cohesion(b), _COHESION_CAP)
            if link < opts.relative * tight:
                return
        elif opts.single_relative > 0 and (size[a] > 1) != (size[b] > 1):
            # A lone report joining a group: the same rule on the group's side alone.
            group = a if size[a] > 1 else b
            if link < opts.single_relative * min(nodes.cohesion(group), opts.single_cap):
                return
        lo, hi = (a, b) if a < b else (b, a)
        heapq.heappush(heap, (-key, lo, hi, version[lo], version[hi]))

    for a, b in edges:
        push(a, b)
    while heap:
        _, a, b, va, vb = heapq.heappop(heap)
        if version[a] != va or version[b] != vb or not members[a] or not members[b]:
            continue  # stale entry: one side has merged since
        keep, gone = (b, a) if frozen[b] and not frozen[a] else (a, b)
        nodes.dense[keep] += nodes.dense[gone]
        if nodes.lexical is not None:
            nodes.merge_lex(keep, gone)
        size[keep] += size[gone]
        nodes.sq[keep] += nodes.sq[gone]
        if density is not None:
            density[keep] += density[gone]
        nodes.selfdot.pop(keep, None)
        if extra is not None:
            inner = extra[keep].get(gone, 0.0)
            nodes.inner[keep] = nodes.inner.get(keep, 0.0) + nodes.inner.get(gone, 0.0) + inner
        nodes.lo[keep] = float(np.fmin(nodes.lo[keep], nodes.lo[gone]))  # NaN: undated
        nodes.hi[keep] = float(np.fmax(nodes.hi[keep], nodes.hi[gone]))
        frozen[keep] = frozen[keep] or frozen[gone]
        members[keep] += members[gone]
        members[gone] = []
        version[keep] += 1
        version[gone] += 1
        mine, theirs = cross[keep], cross[gone]
        both = sorted((mine.keys() | theirs.keys()) - {keep, gone})
        for c in both:
            if c in mine and c in theirs:
                s = mine[c] + theirs[c]
            else:
                s = nodes.dot(keep, c)  # exact: the sums already include both sides
                if extra is not None:
                    s += extra[keep].get(c, 0.0) + extra[gone].get(c, 0.0)
            cross[c].pop(gone, None)
            mine[c] = cross[c][keep] = s
            if extra is not None:
                v = extra[keep].get(c, 0.0) + extra[gone].pop(c, 0.0)
                extra[c].pop(gone, None)
                if v:
                    extra[keep][c] = extra[c][keep] = v
        cross[gone] = {}
        mine.pop(gone, None)
        if extra is not None:
            extra[keep].pop(gone, None)
            extra[gone] = {}
        for c in both:
            push(keep, c)
    return [sorted(m) for m in members if m]
