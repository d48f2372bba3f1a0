"""Syndication (near-duplicate) detection: which articles are copies of one another.

Wire copy is republished by many outlets with a different headline, byline, header or
footer; counted as separate outlets it would inflate the agreement of whatever the wire
said. Each article is turned into a set of word ``k``-shingles and a MinHash signature
(Broder, 1997, "On the resemblance and containment of documents"); locality-sensitive
hashing over the signature bands (Indyk & Motwani, 1998; ``datasketch.MinHashLSH``)
proposes candidate pairs (in groups of up to ``exact_limit`` articles, such as a story,
every pair is a candidate: cheaper than hashing, and no copy is missed), and every
candidate is confirmed on the exact shingle sets:
two articles are copies when their Jaccard resemblance reaches ``threshold`` or when the
shorter one is almost entirely contained in the longer (Broder's containment), which
catches a truncated reprint. Copies are grouped transitively (union-find).

Everything is deterministic: the MinHash permutations come from a fixed seed, articles are
processed in id order, and confirmation uses exact set overlaps, not estimates.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from summarize.records import Article, Story

__all__ = ["SyndicationOptions", "copy_pairs", "shingles", "voices"]

_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class SyndicationOptions:
    """Settings of the copy detector.

    Attributes:
        threshold: Jaccard resemblance of the shingle sets at or above which two articles
            are copies. Wire copy with a different header and footer scores 0.6-0.95;
            two outlets' own reports of one event score below 0.1.
        containment: Share of the shorter article's shingles found in the longer one at
            or above which they are copies (a truncated or lightly extended reprint).
        shingle_size: Words per shingle (``k``). 5 is Broder's choice for English prose.
        num_perm: MinHash permutations (signature length).
        lsh_threshold: Jaccard threshold the LSH bands are tuned for. Kept below
            ``threshold`` so candidates are recalled generously, then confirmed exactly.
        min_shingles: Articles with fewer shingles (very short or empty texts) are never
            called copies: a shared one-line blurb is not syndication.
        seed: Seed of the MinHash permutations.
        exact_limit: Up to this many usable articles every pair is confirmed directly
            (no MinHash); above it, LSH proposes the candidates.
    """

    threshold: float = 0.5
    containment: float = 0.8
    shingle_size: int = 5
    num_perm: int = 128
    lsh_threshold: float = 0.3
    min_shingles: int = 5
    seed: int = 1
    exact_limit: int = 64


def shingles(text: str, size: int = 5) -> frozenset[str]:
    """The set of lower-cased word ``size``-grams of ``text`` (punctuation ignored)."""
    words = _WORD.findall(text.lower())
    if len(words) < size:
        return frozenset([" ".join(words)]) if words else frozenset()
    return frozenset(" ".join(words[i : i + size]) for i in range(len(words) - size + 1))


@lru_cache(maxsize=8)
def _bands(threshold: float, num_perm: int) -> tuple[int, int]:
    """LSH bands and rows for ``threshold``: datasketch tunes them by numerical integration
    on every ``MinHashLSH(threshold=...)``, which cost most of a small story's time."""
    from datasketch import MinHashLSH

    tuned = MinHashLSH(threshold=threshold, num_perm=num_perm)
    return tuned.b, tuned.r


@lru_cache(maxsize=8)
def _permutations(num_perm: int, seed: int):
    """The seeded MinHash permutations, drawn once instead of once per article."""
    from datasketch import MinHash

    template = MinHash(num_perm=num_perm, seed=seed)
    return template.permutations, template.scheme


class _UnionFind:
    """Disjoint sets of ids; each set is named by its smallest id, so results never depend
    on the order of the unions."""

    def __init__(self, ids: Iterable[str]) -> None:
        self.parent = {x: x for x in ids}

    def find(self, x: str) -> str:
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, x: str, y: str) -> None:
        rx, ry = self.find(x), self.find(y)
        if rx != ry:
            self.parent[max(rx, ry)] = min(rx, ry)


def copy_pairs(
    articles: Sequence[Article], options: SyndicationOptions | None = None
) -> list[tuple[str, str, float]]:
    """Confirmed copy pairs ``(id_a, id_b, jaccard)`` with ``id_a < id_b``, sorted.

    Raises:
        ValueError: when two articles share an id.
    """
    opts = options or SyndicationOptions()
    ordered = sorted(articles, key=lambda a: a.id)
    ids = [a.id for a in ordered]
    if len(set(ids)) != len(ids):
        raise ValueError("article ids must be unique to detect copies")
    sets = {a.id: shingles(a.text, opts.shingle_size) for a in ordered}
    usable = [i for i in ids if len(sets[i]) >= opts.min_shingles]
    if len(usable) <= opts.exact_limit:
        candidates = {i: usable[k + 1:] for k, i in enumerate(usable)}
    else:
        candidates = _lsh_candidates(usable, sets, opts)
    pairs: list[tuple[str, str, float]] = []
    for article_id in usable:
        a = sets[article_id]
        for other in candidates[article_id]:
            b = sets[other]
            common = len(a & b)
            jaccard = common / (len(a) + len(b) - common)
            contained = common / min(len(a), len(b))
            if jaccard >= opts.threshold or contained >= opts.containment:
                pairs.append((article_id, other, round(jaccard, 6)))
    return sorted(pairs)


def _lsh_candidates(usable: list[str], sets: dict[str, frozenset[str]],
                    opts: SyndicationOptions) -> dict[str, list[str]]:
    """Per article, the later ids (sorted) whose MinHash signatures share an LSH band."""
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(num_perm=opts.num_perm, params=_bands(opts.lsh_threshold, opts.num_perm))
    permutations, scheme = _permutations(opts.num_perm, opts.seed)
    signatures = {}
    for article_id in usable:
        sig = MinHash(num_perm=opts.num_perm, seed=opts.seed, permutations=permutations, scheme=scheme)
        sig.update_batch([s.encode("utf-8") for s in sorted(sets[article_id])])
        signatures[article_id] = sig
        lsh.insert(article_id, sig)
    return {i: sorted(o for o in lsh.query(signatures[i]) if o > i) for i in usable}


def _voice_key(article: Article) -> tuple[bool, str, str]:
    # The earliest dated article is the original; undated ones come after, then by id.
    return (not article.published, article.published, article.id)


def voices(
    articles: Iterable[Article], options: SyndicationOptions | None = None
) -> tuple[tuple[str, ...], ...]:
    """Group articles that are copies of one another, to fill ``Story.voices``.

    Every article appears in exactly one group; an article without copies is a group of
    one. Inside a group the presumed original comes first (earliest ``published``, then
    id), and groups are ordered by their first member the same way, so the result does not
    depend on the input order.

    Example: articles ``a`` (a wire story), ``b`` (the same story under another outlet's
    header and footer) and ``c`` (an unrelated report) give ``(("a", "b"), ("c",))``.
    """
    unique = list({a.id: a for a in sorted(articles, key=_voice_key)}.values())
    sets = _UnionFind(a.id for a in unique)
    for a, b, _ in copy_pairs(unique, options):
        sets.union(a, b)
    groups: dict[str, list[Article]] = {}
    for article in unique:
        groups.setdefault(sets.find(article.id), []).append(article)
    ordered = sorted(
        (sorted(members, key=_voice_key) for members in groups.values()),
        key=lambda members: _voice_key(members[0]),
    )
    return tuple(tuple(a.id for a in members) for members in ordered)


def voice_map(story: Story) -> dict[str, str]:
    """Article id -> independent voice id: syndicated copies and one outlet's articles merge.

    An article is keyed by the wire agency its dateline or byline credits, else by its
    publisher: ICARO Media Group's "(Reuters)" copy and Reuters' own report are one voice,
    Reuters. A wire named only in the body ("according to Reuters") is not a credit and
    never merges two outlets (``Article.wire`` is read from datelines and bylines only).
    """
    sets = _UnionFind(a.id for a in story.articles)
    for group in story.voices:
        members = [g for g in group if g in sets.parent]
        for other in members[1:]:
            sets.union(members[0], other)
    by_outlet: dict[str, str] = {}
    for a in story.articles:
        if a.wire or a.outlet:
            key = (a.wire or a.outlet).strip().lower()
            if key in by_outlet:
                sets.union(by_outlet[key], a.id)
            else:
                by_outlet[key] = a.id
    return {a.id: sets.find(a.id) for a in story.articles}
