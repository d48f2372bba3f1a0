"""Approximate neighbour search (the inverted file above ``exact_limit``) against the exact search."""

from __future__ import annotations

import numpy as np
import pytest

from summarize.events import linkage
from summarize.events import neighbours as approximate
from summarize.events.cluster import ClusterOptions


def clustered(n: int, dim: int = 64, seed: int = 3) -> np.ndarray:
    """Unit vectors in topics of ~200 and events of 1-12 (like ``bench_neighbours``)."""
    rng = np.random.default_rng(seed)
    event_of = np.repeat(np.arange(n), rng.integers(1, 13, size=n))[:n]
    topics = rng.standard_normal((n // 200, dim))
    events = topics[rng.integers(len(topics), size=event_of.max() + 1)]
    events = events / np.linalg.norm(events, axis=1, keepdims=True)
    events += rng.standard_normal(events.shape) / np.sqrt(dim)
    x = events[event_of] + rng.standard_normal((n, dim)) * (0.9 / np.sqrt(dim))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def _by_row(rows, cols, n):
    return [set(cols[rows == i].tolist()) for i in range(n)]


@pytest.mark.parametrize("same", [True, False])
def test_recall_against_exact_search_is_at_least_095(same):
    x = clustered(4500)
    x, queries = (x, x) if same else (x[:4000], x[4000:])  # new articles of known topics
    opts = ClusterOptions(exact_limit=1000)  # 4,000 candidates: the approximate path
    approx = linkage.neighbours(queries, x, 15, same, opts)
    exact = linkage.top_k(queries, x, 15, same)
    found, truth = _by_row(*approx[:2], len(queries)), _by_row(*exact[:2], len(queries))
    recall = sum(len(f & t) for f, t in zip(found, truth)) / sum(map(len, truth))
    assert recall >= 0.95
    if same:
        assert all(i not in f for i, f in enumerate(found))  # never its own neighbour
    assert all(len(f) == 15 for f in found)
    # The similarities are the inner products of the pairs returned, best first per query.
    rows, cols, sims = approx
    assert np.allclose(sims, np.einsum("ij,ij->i", queries[rows], x[cols]), atol=1e-5)
    assert all(np.all(np.diff(sims[rows == i]) <= 1e-7) for i in range(0, len(queries), 97))


def test_the_same_vectors_give_the_same_neighbours():
    x = clustered(3000, seed=5)
    opts = ClusterOptions(exact_limit=1000)
    first = linkage.neighbours(x, x, 15, True, opts)
    again = linkage.neighbours(x.copy(), x.copy(), 15, True, opts)
    assert all(np.array_equal(a, b) for a, b in zip(first, again))


def test_two_level_tree_keeps_recall_when_top_centres_restrict_the_cells_compared():
    # Cells of 40 over 12,000 vectors: about 300 cells under 17 top centres, so a query is
    # compared with the cells of its TOP_PROBES (16) nearest top centres only, and scans 8 cells.
    x = clustered(12000, seed=11)
    tree, _ = approximate.build(x, seed=0, cell_size=40)
    assert len(tree.top) == 17 > approximate.TOP_PROBES and 270 <= len(tree.cells) <= 330
    rows, cols, _ = approximate.search(x, x, 15, True, probes=8, seed=0, cell_size=40)
    exact = linkage.top_k(x, x, 15, True)
    found, truth = _by_row(rows, cols, len(x)), _by_row(*exact[:2], len(x))
    assert sum(len(f & t) for f, t in zip(found, truth)) / sum(map(len, truth)) >= 0.95


def test_the_scan_per_query_does_not_grow_with_the_number_of_candidates():
    # The sqrt(n)-cell inverted file scanned probes * sqrt(n) candidates per query; cells of a
    # fixed size keep the scan at probes * cell_size whatever n is.
    for n in (2000, 8000):
        x = clustered(n, seed=2)
        tree, near = approximate.build(x, seed=0, cell_size=100, probes=8)
        sizes = np.diff(tree.start)
        assert 0.7 * n / 100 <= len(tree.cells) <= 1.3 * n / 100
        assert sorted(tree.order.tolist()) == list(range(n))  # every candidate in one cell
        scanned = sizes[near].sum(axis=1)
        assert np.median(scanned) <= 2 * 8 * 100


def test_probing_every_cell_gives_the_exact_neighbours_ties_included():
    x = clustered(1200, seed=7)
    x[5] = x[6] = x[7]  # equal similarities: the lower candidate row comes first
    queries = np.concatenate([x[:300], x[5:8]])
    for same, q in ((True, x), (False, queries)):
        got = approximate.search(q, x, 15, same, probes=50, seed=0, cell_size=100)
        want = linkage.top_k(q, x, 15, same)
        assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])
        assert np.allclose(got[2], want[2], atol=1e-6)


def test_small_inputs_and_a_k_above_the_candidates():
    x = clustered(400, seed=1)[:20]
    rows, cols, _ = approximate.search(x, x, 50, True, probes=8, seed=0)
    assert np.array_equal(np.bincount(rows, minlength=20), np.full(20, 19))  # all the others
    assert not np.any(rows == cols)
    rows, _, _ = approximate.search(x[:3], x[3:], 50, False, probes=8, seed=0)
    assert np.array_equal(np.bincount(rows), [17, 17, 17])
