"""The graph and linkage stage of event clustering (:mod:`summarize.events.cluster`).

Candidate pairs come from each vector's nearest neighbours: exact (chunked matrix
products), or approximate above ``exact_limit`` candidates (an inverted file over spherical
k-means cells, Jégou et al., 2011), and only within a time window when dates are known.
Groups are then merged by average linkage (Sokal & Michener, 1958) restricted to that
sparse graph: the similarity is a dot product, so the mean similarity of all cross pairs of
two groups is the dot product of their vector sums divided by their sizes, and links stay
exact without an ``n x n`` matrix.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import scipy.sparse as sp

__all__ = ["Groups", "LinkageSettings", "agglomerate", "candidate_graph", "neighbours", "unique_pairs"]


class LinkageSettings(Protocol):
    """The settings this stage reads (:class:`summarize.events.cluster.ClusterOptions` has them)."""

    threshold: float
    relative: float
    max_gap_days: float
    decay_per_day: float
    decay_grace_days: float
    neighbors: int
    exact_limit: int
    probes: int
    seed: int


# --- candidate graph --------------------------------------------------------------------


def top_k(queries: np.ndarray, cands: np.ndarray, k: int, same: bool):
    """Exact top-``k`` inner products of each query row among ``cands`` rows (chunked).

    Returns ``(query rows, candidate rows, inner products)``; with ``same`` the two sets
    are one and a row is not its own neighbour.
    """
    k = min(k, len(cands) - (1 if same else 0))
    if k <= 0:
        return np.zeros(0, int), np.zeros(0, int), np.zeros(0)
    rows, cols, sims = [], [], []
    step = max(1, 2**22 // max(1, len(cands)))  # about 16 MiB of products at a time
    for start in range(0, len(queries), step):
        block = queries[start : start + step] @ cands.T
        if same:
            idx = np.arange(start, start + len(block))
            block[idx - start, idx] = -np.inf
        top = np.argpartition(block, len(cands) - k, axis=1)[:, -k:]
        rows.append(np.repeat(np.arange(start, start + len(block)), k))
        cols.append(top.ravel())
        sims.append(np.take_along_axis(block, top, axis=1).ravel())
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(sims)


def spherical_kmeans(x: np.ndarray, n_cells: int, seed: int, iters: int = 10) -> np.ndarray:
    """Unit centres of ``n_cells`` cells (spherical k-means, Dhillon & Modha, 2001), fitted
    on a seeded sample of at most 64 points per cell."""
    rng = np.random.default_rng(seed)
    sample = x[rng.choice(len(x), size=min(len(x), 64 * n_cells), replace=False)]
    centres = sample[rng.choice(len(sample), size=n_cells, replace=False)].copy()
    for _ in range(iters):
        cell = np.argmax(sample @ centres.T, axis=1)
        sums = np.zeros_like(centres)
        np.add.at(sums, cell, sample)
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        centres = np.where(norms > 0, sums / np.maximum(norms, 1e-12), centres)
    return centres.astype(x.dtype)


def neighbours(queries: np.ndarray, cands: np.ndarray, k: int, same: bool, opts: LinkageSettings):
    """Top-``k`` candidates per query: exact, or by an inverted file over k-means cells.

    Approximate search (an inverted file, Jégou et al., 2011): the candidates fall into
    ``sqrt(n)`` k-means cells and each query is compared only with the candidates of its
    ``probes`` nearest cells, so the work grows like ``n ** 1.5`` instead of ``n ** 2``.
    """
    if len(cands) <= opts.exact_limit:
        return top_k(queries, cands, k, same)
    n_cells = int(math.sqrt(len(cands)))
    centres = spherical_kmeans(cands, n_cells, opts.seed)
    cell_of = np.argmax(cands @ centres.T, axis=1)
    probes = top_k(queries, centres, opts.probes, False)
    rows, cols, sims = [], [], []
    for cell in range(n_cells):
        q = probes[0][probes[1] == cell]
        c = np.flatnonzero(cell_of == cell)
        if len(q) and len(c):
            block = queries[q] @ cands[c].T
            if same:
                block[q[:, None] == c[None, :]] = -np.inf
            kk = min(k, len(c))
            top = np.argpartition(block, len(c) - kk, axis=1)[:, -kk:]
            rows.append(np.repeat(q, kk))
            cols.append(c[top.ravel()])
            sims.append(np.take_along_axis(block, top, axis=1).ravel())
    if not rows:
        return np.zeros(0, int), np.zeros(0, int), np.zeros(0)
    rows, cols, sims = np.concatenate(rows), np.concatenate(cols), np.concatenate(sims)
    # Keep each query's k best over all its probed cells (ties: lower candidate index).
    order = np.lexsort((cols, -sims, rows))
    rows, cols, sims = rows[order], cols[order], sims[order]
    rank = np.arange(len(rows)) - np.searchsorted(rows, rows)
    keep = (rank < k) & np.isfinite(sims)
    return rows[keep], cols[keep], sims[keep]


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


def unique_pairs(pairs: np.ndarray, sims: np.ndarray):
    pairs, first = np.unique(pairs, axis=0, return_index=True)
    return pairs, sims[first]


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
    rows: dict[int, sp.csr_matrix] = field(default_factory=dict)
    selfdot: dict[int, float] = field(default_factory=dict)

    def cohesion(self, i: int) -> float:
        """Mean similarity of the pairs inside group ``i`` (for two or more members)."""
        if i not in self.selfdot:
            self.selfdot[i] = self.dot(i, i)
        return (self.selfdot[i] - self.sq[i]) / (self.size[i] * (self.size[i] - 1))

    def lex(self, i: int) -> sp.csr_matrix:
        if i not in self.rows:
            self.rows[i] = self.lexical[i]
            self.rows[i].sort_indices()
        return self.rows[i]

    def dot(self, a: int, b: int) -> float:
        value = float(self.dense[a] @ self.dense[b])
        if self.lexical is not None:
            x, y = self.lex(a), self.lex(b)
            if x.nnz > y.nnz:
                x, y = y, x
            if x.nnz:  # look the shorter row's terms up in the longer (sorted) one
                pos = np.minimum(np.searchsorted(y.indices, x.indices), y.nnz - 1)
                hit = y.indices[pos] == x.indices
                value += float(x.data[hit] @ y.data[pos[hit]])
        return value

    def lexical_dots(self, pairs: np.ndarray) -> np.ndarray:
        out = np.zeros(len(pairs))
        if self.lexical is not None:
            for s in range(0, len(pairs), 16384):
                a, b = pairs[s : s + 16384, 0], pairs[s : s + 16384, 1]
                prod = self.lexical[a].multiply(self.lexical[b])
                out[s : s + 16384] = np.asarray(prod.sum(axis=1)).ravel()
        return out

    def gap(self, a: int, b: int) -> float:
        lo_a, lo_b = self.lo[a], self.lo[b]
        if math.isnan(lo_a) or math.isnan(lo_b):  # undated
            return 0.0
        return max(0.0, max(lo_a, lo_b) - min(self.hi[a], self.hi[b]))


# Copies of one wire story are near 1.0 alike; capping a group's inner similarity keeps
# them from setting an impossible bar for a merge with another outlet's reports.
_COHESION_CAP = 0.5


def agglomerate(
    nodes: Groups, pairs: np.ndarray, sims: np.ndarray, opts: LinkageSettings
) -> list[list[int]]:
    """Merge groups along graph edges, best average link first, while it is >= threshold.

    ``link(A, B) = (sum_A . sum_B) / (|A| |B|)``, the mean similarity of all cross pairs;
    ``sims`` holds it for the initial ``pairs``. Returns the member nodes of every final
    group, each sorted.
    """
    n = len(nodes.size)
    size, frozen = nodes.size, nodes.frozen
    cross: list[dict[int, float]] = [{} for _ in range(n)]  # neighbour -> sum of pair sims
    edges = pairs.tolist()
    for (a, b), s in zip(edges, sims.tolist()):
        cross[a][b] = cross[b][a] = s
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
        link = cross[a][b] / (size[a] * size[b]) - opts.decay_per_day * max(0.0, gap - opts.decay_grace_days)
        if link < opts.threshold:
            return
        if opts.relative > 0 and size[a] > 1 and size[b] > 1:
            # Relative closeness (Karypis et al., 1999): the link must be comparable to
            # how tight the groups already are, so two tight groups on one topic stay apart.
            tight = min(nodes.cohesion(a), nodes.cohesion(b), _COHESION_CAP)
            if link < opts.relative * tight:
                return
        lo, hi = (a, b) if a < b else (b, a)
        heapq.heappush(heap, (-link, lo, hi, version[lo], version[hi]))

    for a, b in edges:
        push(a, b)
    while heap:
        _, a, b, va, vb = heapq.heappop(heap)
        if version[a] != va or version[b] != vb or not members[a] or not members[b]:
            continue  # stale entry: one side has merged since
        keep, gone = (b, a) if frozen[b] and not frozen[a] else (a, b)
        nodes.dense[keep] += nodes.dense[gone]
        if nodes.lexical is not None:
            nodes.rows[keep] = nodes.lex(keep) + nodes.lex(gone)
            nodes.rows[keep].sort_indices()
        size[keep] += size[gone]
        nodes.sq[keep] += nodes.sq[gone]
        nodes.selfdot.pop(keep, None)
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
            cross[c].pop(gone, None)
            mine[c] = cross[c][keep] = s
        cross[gone] = {}
        mine.pop(gone, None)
        for c in both:
            push(keep, c)
    return [sorted(m) for m in members if m]
