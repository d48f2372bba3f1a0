"""Approximate nearest neighbours for the candidate graph: a two-level inverted file.

An inverted file (Jégou et al., 2011) splits the candidates into cells around k-means
centres and compares a query only with the candidates of its ``probes`` nearest cells. With
``sqrt(n)`` cells, each query scans ``probes * sqrt(n)`` candidates and every candidate is
compared with ``sqrt(n)`` centres to find its cell, so the work grows like ``n ** 1.5``
(measured: ``n ** 1.45`` from 100k to 300k vectors). Here the cells keep a fixed size
(:data:`CELL_SIZE` candidates on average, so their number grows with ``n``) and a query's
scan stays about ``probes * CELL_SIZE`` products whatever ``n`` is (about 2,200 measured: the
cells are uneven). Finding the nearest cells among ``n / CELL_SIZE`` of them is itself a
search, done with a second, coarse inverted file over the cells: a two-level k-means tree
(hierarchical k-means, Nistér & Stewénius, 2006). About ``sqrt(n / CELL_SIZE)`` top centres
each hold the cells fitted to their own members; a vector is compared with the top centres
and then with the cells of its ``TOP_PROBES`` nearest top centres. That step costs about
``(TOP_PROBES + 1) * sqrt(n / CELL_SIZE)`` products per vector, about a thousand at a
million vectors: it grows like ``sqrt(n)`` per vector and would overtake the scan at a few
million vectors, so the search is near-linear over the sizes measured (``n ** 1.12`` from
100k to 1M, ``benchmarks/bench_neighbours.py``), not beyond them.

Deterministic for a given seed: k-means starts from seeded samples, and ties between equal
similarities go to the lower candidate row.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

__all__ = ["CELL_SIZE", "TOP_PROBES", "TOP_SAMPLE", "CellTree", "build", "probe", "search", "spherical_kmeans"]

CELL_SIZE = 256
"""Candidates per cell, on average: a query scans ``probes`` cells of this size."""
TOP_PROBES = 16
"""Top-level centres whose cells a vector is compared with when its nearest cells are sought.
With 8, 5.5% of the true neighbours of 1M synthetic vectors sat in cells never compared
(recall at most 0.945); with 16, 2.3%; with 32, 0.8%, at twice the cost of this step."""
TOP_SAMPLE = 512
"""Sampled vectors per top centre its k-means is fitted on: the top level decides which cells
a query may reach, and 64 per centre split topics across top centres (recall 0.964 against
0.990 at 300k synthetic vectors)."""
_CHUNK = 1 << 15  # queries per block: bounds the memory of the intermediate triples


def spherical_kmeans(x: np.ndarray, n_cells: int, seed: int, iters: int = 10,
                     rows: np.ndarray | None = None, per_cell: int = 64) -> np.ndarray:
    """Unit centres of ``n_cells`` cells (spherical k-means, Dhillon & Modha, 2001), fitted
    on a seeded sample of at most ``per_cell`` points per cell (of ``rows`` of ``x`` when
    given)."""
    rng = np.random.default_rng(seed)
    pool = np.arange(len(x)) if rows is None else rows
    sample = x[np.sort(rng.choice(pool, size=min(len(pool), per_cell * n_cells), replace=False))]
    centres = sample[rng.choice(len(sample), size=n_cells, replace=False)].copy()
    for _ in range(iters):
        cell = np.argmax(sample @ centres.T, axis=1)
        members = sp.csr_matrix((np.ones(len(sample), sample.dtype), (cell, np.arange(len(sample)))),
                                shape=(n_cells, len(sample)))
        sums = np.asarray(members @ sample)
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        centres = np.where(norms > 0, sums / np.maximum(norms, 1e-12), centres)
    return centres.astype(x.dtype)


@dataclass(frozen=True)
class CellTree:
    """A two-level k-means tree over candidates.

    ``cells[bounds[t]:bounds[t + 1]]`` are the cell centres under top centre ``t``;
    ``order[start[c]:start[c + 1]]`` are the candidate rows of cell ``c``.
    """

    top: np.ndarray
    bounds: np.ndarray
    cells: np.ndarray
    order: np.ndarray
    start: np.ndarray


def _nearest(scores: np.ndarray, count: int) -> np.ndarray:
    """Column indices of each row's ``count`` highest scores (unordered)."""
    if count >= scores.shape[1]:
        return np.broadcast_to(np.arange(scores.shape[1]), scores.shape)
    return np.argpartition(-scores, count - 1, axis=1)[:, :count]


def _best(block: np.ndarray, k: int):
    """``(rows, columns, values, slots)`` of each row's ``k`` best entries (fewer when the
    row is shorter), rows ascending; among values equal to a row's ``k``-th best, the lower
    columns. ``slots`` numbers a row's entries from 0. A value partition and one mask are
    cheaper here than ``argpartition``."""
    height, width = block.shape
    if k >= width:
        flat = np.arange(block.size)
    else:
        bar = np.partition(block, width - k, axis=1)[:, width - k]
        flat = np.flatnonzero(block >= bar[:, None])
        rows = flat // width
        count = np.bincount(rows, minlength=height)
        if (count > k).any():  # ties at the bar: keep only as many as fit, lower columns first
            tie = np.flatnonzero(block.ravel()[flat] == bar[rows])
            room = k - (count - np.bincount(rows[tie], minlength=height))
            tie_rank = np.arange(len(tie)) - np.searchsorted(rows[tie], rows[tie])
            flat = np.delete(flat, tie[tie_rank >= room[rows[tie]]])
    rows = flat // width
    slots = np.arange(len(flat)) - np.searchsorted(rows, rows)
    return rows, flat % width, block.ravel()[flat], slots


def _ranked(values: np.ndarray, ids: np.ndarray, k: int):
    """Per row, the ``k`` entries of highest value (ties: lower id), best first."""
    o = np.argsort(ids, axis=1, kind="stable")
    values, ids = np.take_along_axis(values, o, axis=1), np.take_along_axis(ids, o, axis=1)
    o = np.argsort(-values, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(values, o, axis=1), np.take_along_axis(ids, o, axis=1)


def _probe_cells(queries: np.ndarray, top: np.ndarray, bounds: np.ndarray, cells: np.ndarray,
                 probes: int) -> np.ndarray:
    """Each query's ``probes`` nearest cells, best first (``-1`` pads when there are fewer).

    Only the cells under a query's ``TOP_PROBES`` nearest top centres are compared with it.
    """
    out = np.full((len(queries), probes), -1, dtype=np.int64)
    for s in range(0, len(queries), _CHUNK):
        q = queries[s:s + _CHUNK]
        near_top = _nearest(q @ top.T, TOP_PROBES)
        width = near_top.shape[1] * probes
        values = np.full((len(q), width), -np.inf, dtype=np.result_type(q, cells))
        found = np.full((len(q), width), -1, dtype=np.int64)
        pairs = np.argsort(near_top.ravel(), kind="stable")  # (query, slot) pairs by top centre
        tops = near_top.ravel()[pairs]
        edges = np.flatnonzero(np.diff(tops)) + 1
        for t, group in zip(tops[np.concatenate([[0], edges])], np.split(pairs, edges)):
            r, slot = np.divmod(group, near_top.shape[1])
            block = q[r] @ cells[bounds[t]:bounds[t + 1]].T
            br, bc, bv, rank = _best(block, probes)
            at = slot[br] * probes + rank
            values[r[br], at], found[r[br], at] = bv, bc + bounds[t]
        _, out[s:s + len(q)] = _ranked(values, found, probes)
    return out


def build(cands: np.ndarray, seed: int, cell_size: int = CELL_SIZE, probes: int = 1):
    """The two-level tree over ``cands``, and each candidate's ``probes`` nearest cells.

    ``sqrt(n / cell_size)`` top centres, then under each top centre as many cells as its
    members fill at ``cell_size`` each, fitted to those members. A candidate belongs to the
    first of its nearest cells (a self-join reuses the others as its probes).
    """
    n = len(cands)
    n_cells = max(1, round(n / cell_size))
    top = spherical_kmeans(cands, max(1, math.isqrt(n_cells)), seed, per_cell=TOP_SAMPLE)
    first = _nearest(cands @ top.T, 1)[:, 0]
    by_top = np.argsort(first, kind="stable")
    groups, bounds = [], [0]
    for t, members in enumerate(np.split(by_top, np.searchsorted(first[by_top], np.arange(1, len(top))))):
        if len(members):  # a top centre left without members gets no cells
            count = max(1, round(len(members) / cell_size))
            groups.append(spherical_kmeans(cands, count, seed + 1 + t, rows=members))
        bounds.append(bounds[-1] + (len(groups[-1]) if len(members) else 0))
    bounds = np.asarray(bounds)
    cells = np.concatenate(groups)
    near = _probe_cells(cands, top, bounds, cells, probes)
    order = np.argsort(near[:, 0], kind="stable")
    start = np.searchsorted(near[order, 0], np.arange(len(cells) + 1))
    return CellTree(top, bounds, cells, order, start), near


def probe(tree: CellTree, queries: np.ndarray, probes: int) -> np.ndarray:
    """Each query's ``probes`` nearest cells of ``tree``, best first (``-1`` pads)."""
    return _probe_cells(queries, tree.top, tree.bounds, tree.cells, probes)


def search(queries: np.ndarray, cands: np.ndarray, k: int, same: bool, probes: int, seed: int,
           cell_size: int = CELL_SIZE):
    """Approximate top-``k`` inner products of each query among ``cands``.

    Returns ``(query rows, candidate rows, inner products)``, sorted by query row and best
    first within a row (ties: lower candidate row), as the exact search does; with ``same``
    the queries are the candidates and a row is not its own neighbour.
    """
    tree, near = build(cands, seed, cell_size, probes if same else 1)
    if not same:
        near = probe(tree, queries, probes)
    # Candidates laid out cell by cell, so a cell's rows are one contiguous block.
    packed = cands[tree.order]
    where = np.empty(len(cands), dtype=np.int64)
    where[tree.order] = np.arange(len(cands))
    dtype = np.result_type(queries, cands)
    k = min(k, len(cands) - (1 if same else 0))
    if k <= 0:
        return np.zeros(0, int), np.zeros(0, int), np.zeros(0, dtype)
    # Every query's best k of each probed cell, in its own slot; the cells are visited once
    # each, with all the queries that probe them.
    values = np.full((len(queries), probes * k), -np.inf, dtype=dtype)
    found = np.full((len(queries), probes * k), -1, dtype=np.int32 if len(cands) < 2**31 else np.int64)
    pairs = np.argsort(near.ravel(), kind="stable")  # (query, slot) pairs by cell
    cell_of = near.ravel()[pairs]
    edges = np.flatnonzero(np.diff(cell_of)) + 1
    for cell, group in zip(cell_of[np.concatenate([[0], edges])], np.split(pairs, edges)):
        lo, hi = tree.start[cell], tree.start[cell + 1]
        if cell < 0 or hi == lo:
            continue
        qs, slots = np.divmod(group, probes)
        block = queries[qs] @ packed[lo:hi].T
        if same:  # a query's own row is in its cell: never its own neighbour
            own = where[qs] - lo
            mine = (own >= 0) & (own < hi - lo)
            block[np.flatnonzero(mine), own[mine]] = -np.inf
        r, c, v, rank = _best(block, k)
        at = slots[r] * k + rank
        values[qs[r], at], found[qs[r], at] = v, tree.order[lo + c]
    best_v = np.empty((len(queries), k), dtype=dtype)
    best_c = np.empty((len(queries), k), dtype=np.int64)
    for s in range(0, len(queries), _CHUNK):
        best_v[s:s + _CHUNK], best_c[s:s + _CHUNK] = _ranked(values[s:s + _CHUNK], found[s:s + _CHUNK], k)
    keep = np.isfinite(best_v)
    rows = np.repeat(np.arange(len(queries)), k).reshape(keep.shape)
    return rows[keep], best_c[keep], best_v[keep]
