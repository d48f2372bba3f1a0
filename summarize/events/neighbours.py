"""Approximate nearest neighbours at scale: a navigable small-world graph (HNSW).

Above ``exact_limit`` candidates, :func:`summarize.events.linkage.neighbours` asks this
module for each query's ``k`` best inner products. The candidates are put in a
hierarchical navigable small-world graph (Malkov & Yashunin, 2018, as implemented by
``faiss``, Johnson et al., 2019): building it and searching it cost about ``log n`` distance
evaluations per vector, so the whole candidate graph grows near-linearly with the number
of articles, where an inverted file over ``sqrt(n)`` cells grows like ``n ** 1.5``.

The graph is built on one thread, in input order, with faiss's fixed level seed, so the
same vectors give the same neighbours on every run; the search runs on every core. The
similarities are the float32 inner products of the pairs found, as in the exact search. ``benchmarks/bench_neighbours.py`` measures time,
memory and recall (``docs/embedding.md``).
"""

from __future__ import annotations

import importlib.util

import numpy as np

__all__ = ["available", "hnsw_top_k"]

# Links per node (M) and the candidate-list sizes while building and searching. With these,
# recall@15 of the exact neighbours was at least 0.95 on 100k and 1M clustered vectors.
LINKS = 32
EF_BUILD = 80
EF_SEARCH = 96


def available() -> bool:
    """True when faiss can be imported (checked without importing it)."""
    return importlib.util.find_spec("faiss") is not None


def hnsw_top_k(queries: np.ndarray, cands: np.ndarray, k: int, same: bool, *,
               ef_search: int = EF_SEARCH):
    """Approximate top-``k`` inner products of each query among ``cands`` (HNSW).

    Same contract as :func:`summarize.events.linkage.top_k`: ``(query rows, candidate
    rows, inner products)``, each query's best first; with ``same`` the two sets are one and
    a row is not its own neighbour.
    """
    import faiss

    k = min(k, len(cands) - (1 if same else 0))
    if k <= 0 or not len(queries):
        return np.zeros(0, int), np.zeros(0, int), np.zeros(0)
    data = np.ascontiguousarray(cands, dtype=np.float32)
    index = faiss.IndexHNSWFlat(data.shape[1], LINKS, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = EF_BUILD
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)  # a parallel build links nodes in a run-dependent order
    try:
        index.add(data)
    finally:
        faiss.omp_set_num_threads(threads)
    index.hnsw.efSearch = max(ef_search, 2 * k)
    want = k + 1 if same else k
    sims, found = index.search(np.ascontiguousarray(queries, dtype=np.float32), want)
    rows = np.repeat(np.arange(len(queries)), want).reshape(len(queries), want)
    keep = found >= 0
    if same:
        keep &= found != rows
        # A query keeps its k best others (its own row, when found, is dropped above).
        keep &= np.cumsum(keep, axis=1) <= k
    rows, cols, sims = rows[keep], found[keep].astype(int), sims[keep].astype(np.float64)
    order = np.lexsort((cols, -sims, rows))  # ties: the lower candidate row first
    return rows[order], cols[order], sims[order]
