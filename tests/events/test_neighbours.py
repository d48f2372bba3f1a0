"""Approximate neighbour search (the inverted file above ``exact_limit``) against the exact search."""

from __future__ import annotations

import numpy as np
import pytest

from summarize.events import linkage
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
