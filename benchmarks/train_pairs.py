"""Would a learned pair model beat the hand-set weights? (It did not; nothing is shipped.)

Run from the repository root::

    .venv/bin/python benchmarks/train_pairs.py

The clusterer's similarity is a weighted mean of four per-part cosines (MiniLM of title +
lead, TF-IDF of the whole text, TF-IDF of title + lead, names and numbers), so a linear
pair model fits its exact average linkage directly: a logistic regression on the four
cosines of every pair of AllSides April-May articles (same event or not; never a June-July
story) gives the weights, and the clusterer then runs with them (the threshold swept,
since a pair model's bar is not a clustering bar). Printed: B-cubed F1 on April-May (where
both weight sets may be chosen), June-July (held out), MultiLing and Multi-News, for the
hand-set weights and the learned ones. The per-part cosines here are computed with
scikit-learn's ``TfidfVectorizer`` rather than the clusterer's hashed features: the same
quantities up to hashing collisions and the IDF of the pool.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_cluster import (  # noqa: E402
    ALLSIDES,
    SETS,
    TUNING_MONTHS,
    CachedEmbedder,
    load_loaded,
    load_pool,
    score,
    table,
)

from summarize.events.cluster import ClusterOptions, cluster, lead_and_text  # noqa: E402
from summarize.nlp.text import names_and_numbers  # noqa: E402


def part_cosines(articles, embedder, lead_sentences: int) -> list[np.ndarray]:
    """The four ``n x n`` cosine matrices the clusterer mixes, in its weight order."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import normalize

    leads, fulls = zip(*(lead_and_text(a, lead_sentences) for a in articles))
    emb = normalize(np.asarray(embedder.encode(list(leads)), dtype=float))
    words = dict(sublinear_tf=True, stop_words="english")
    parts = [emb @ emb.T]
    for texts, kwargs in ((fulls, words), (leads, words),
                          (fulls, dict(analyzer=names_and_numbers, binary=True))):
        x = TfidfVectorizer(**kwargs).fit_transform(texts)
        parts.append((x @ x.T).toarray())
    return parts


def learn(options: ClusterOptions) -> np.ndarray:
    from sklearn.linear_model import LogisticRegression

    articles, gold = load_loaded(ALLSIDES, months=TUNING_MONTHS)
    parts = part_cosines(articles, CachedEmbedder(), options.lead_sentences)
    upper = np.triu_indices(len(articles), 1)
    x = np.stack([p[upper] for p in parts], axis=1)
    labels = np.array([gold[a.id] for a in articles])
    y = (labels[:, None] == labels[None, :])[upper]
    model = LogisticRegression(max_iter=5000).fit(x, y)
    return np.maximum(model.coef_[0], 0.0)  # the clusterer needs weights >= 0


def main() -> None:
    hand = ClusterOptions()
    w = learn(hand)
    print("learned weights (embedding, text, lead, entities):", np.round(w / w.sum(), 3),
          " hand-set:", np.round(np.array([1, 2, 0.5, 0.5]) / 4, 3), "\n")
    learned = replace(hand, embedding_weight=w[0], text_weight=w[1], lead_weight=w[2],
                      entity_weight=w[3])
    pools = {"AllSides Apr-May (tuning)": load_loaded(ALLSIDES, months=TUNING_MONTHS),
             "AllSides Jun-Jul (held out)": load_loaded(ALLSIDES, months=("2021-06", "2021-07")),
             "MultiLing": load_pool(SETS["MultiLing 2011 (en)"]),
             "Multi-News": load_pool(SETS["Multi-News val100"])}
    embedder = CachedEmbedder()
    rows = []
    for label, opts in [("hand-set, threshold 0.12", hand)] + [
            (f"learned, threshold {t}", replace(learned, threshold=t)) for t in (0.12, 0.16, 0.2, 0.24)]:
        row = {"weights": label}
        for name, (articles, gold) in pools.items():
            row[name] = score(articles, gold, cluster(articles, embedder=embedder, options=opts))["B3 F1"]
        rows.append(row)
    print(table(rows))


if __name__ == "__main__":
    main()
