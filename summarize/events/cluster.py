"""Event clustering: group articles into stories, one story per real-world event.

No number of clusters is given. Each article becomes a vector whose dot product with
another article's is a weighted mean of four similarities:

* the cosine of MiniLM embeddings of its title and lead (the first ``lead_sentences``
  sentences after page furniture is dropped);
* the TF-IDF cosine of its whole cleaned text, and of its title and lead (sublinear tf,
  English stop words, IDF from the articles at hand plus those already indexed);
* the TF-IDF cosine of its names and numbers (runs of capitalised words, figures): a cheap
  stand-in for shared named entities.

The lexical parts use feature hashing (Weinberger et al., 2009), so the vocabulary needs no
fitting and a saved :class:`StoryIndex` stays valid from one run to the next.

Candidate pairs come from the ``neighbors`` nearest embeddings of each article, exact
(chunked matrix products) for up to ``exact_limit`` articles and approximate above that (an
inverted file over k-means cells, Jégou et al., 2011), and only within a time window when
``published`` dates are known. Groups are then formed by average-linkage agglomerative
clustering (Sokal & Michener, 1958) restricted to that sparse graph: because the
similarity is a dot product, the mean similarity of all cross pairs of two groups is the dot
product of their vector sums divided by their sizes, so links stay exact without an
``n x n`` matrix. Merging stops when the best link falls below ``threshold``. The link
loses ``decay_per_day`` for every day between the groups' date ranges (a long event grows
day by day; a weekly release a week later pays seven days), and groups more than
``max_gap_days`` apart never merge. A merge must also stand out from the articles' own
neighbourhoods (local density, ``density_*``): in a pool of one beat an article joins only a
report clearly closer than its other neighbours. Two groups of several articles also need
a link of at least ``relative`` times their own mean inner similarity (the relative
closeness of Chameleon, Karypis et al., 1999). A story whose members sit close to other
stories' articles (a crowded beat, where one storyline's events share most of their words)
is then cut where a linkage re-scored by the learned pair model (:mod:`summarize.events.pairs`)
cuts it; a story with nothing close around it is kept whole. The graph and the linkage are in
:mod:`summarize.events.linkage`; the stories of one storyline are then linked into threads
(:mod:`summarize.events.threads`); this module builds the vectors and keeps the index.

Results do not depend on the input order: articles are sorted by id first and every tie is
broken by position in that order. A story's id is :func:`story_id` of its first member in
(date, id) order; stories already in a :class:`StoryIndex` keep theirs forever.
"""

from __future__ import annotations

import collections
import hashlib
import math
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date

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
    unique_pairs,
)
from summarize.events.threads import ThreadSettings, ThreadTerms, assign_threads
from summarize.nlp.embed import Embedder
from summarize.nlp.text import given_terms, names_and_numbers
from summarize.records import Article, Skipped, Story

__all__ = [
    "AssignResult",
    "ClusterOptions",
    "Clustering",
    "StoryIndex",
    "cluster",
    "cluster_report",
    "cluster_vectors",
    "pair_table",
    "story_id",
]


@dataclass(frozen=True)
class ClusterOptions:
    """Settings of the event clusterer (see ``docs/clustering.md`` for how they were chosen).

    Attributes:
        threshold: Minimum average similarity (the weighted mean below, about 0..1) of all
            cross pairs for two groups to merge. 0.12 is the middle of the range (0.08-0.14)
            where MultiLing 2011 and Multi-News both reach B-cubed F1 >= 0.97.
        join_threshold: The same bar for new articles joining a story already in a
            :class:`StoryIndex` (an earlier night's): 0.14, the top of that range. A wrong
            join puts another event under a story readers have followed, while a missed
            one still shows as a new story of the same thread, listed as related.
        relative: Two groups of two or more articles also need a link of at least this
            share of the smaller of their mean inner similarities, capped at 0.5 so a pair
            of wire copies does not look impossibly tight (relative closeness, Karypis et
            al., 1999): two tight groups on one person or place but different events stay
            apart. 0 turns the check off.
        embedding_weight / text_weight / lead_weight / entity_weight: Weights of the
            embedding, whole-text TF-IDF, lead TF-IDF and names-and-numbers similarities.
        lead_sentences: Sentences (after the title) that make up the lead.
        max_gap_days: Groups whose publication date ranges are further apart never merge;
            also the width of the time windows candidate neighbours are searched in.
        decay_per_day / decay_grace_days: Soft time decay: the link of two groups loses
            ``decay_per_day`` for every day between their date ranges beyond
            ``decay_grace_days`` (undated groups lose nothing). Ranges, not single dates:
            a long event reported day after day keeps growing, while two reports of a
            weekly release (jobless claims) a week apart pay seven days.
        density_neighbors / density_margin / density_prior: Local scaling. An article's
            density is the mean of its ``density_neighbors`` best (decayed) candidate
            similarities, missing ones counted as ``density_prior``; two groups merge only
            while ``link - (mean density of A + mean density of B) / 2`` is at least
            ``density_margin``. ``density_neighbors=0`` turns it off.
        pair_margin / pair_sure: Two single articles (no third report to confirm them)
            merge only if their link stands out from both neighbourhoods by at least
            ``pair_margin`` (the density margin above, stricter), or is at least
            ``pair_sure`` outright. Keeps lone reports of one beat (the half-reported
            events of a night) from pairing up with their nearest other event. Needs the
            density rule on.
        single_relative / single_cap: A single article joins a group of two or more only
            with a link of at least ``single_relative`` times the group's mean inner
            similarity (capped at ``single_cap``): the relative-closeness rule from the
            group's side. 0 turns it off.
        pair_weight: Re-scoring by the learned pair model (:mod:`summarize.events.pairs`):
            the link of two new articles moves by ``pair_weight x (p - 0.5)``, ``p`` the
            model's probability that they report one event. 0 (the default) turns it off.
        split_weight / split_threshold / split_crowding / split_words: Crowded stories
            are split into events. After the linkage, a story of new articles whose
            members are, on average, close to articles *outside* it (their
            ``density_neighbors`` best links to other stories on their words alone, the
            lexical parts, so that the choice does not move with the embedder's precision;
            missing ones counted as ``density_prior``; at least ``split_crowding``.
            ``split_words=False`` reads the whole links instead, as before session 8, when
            the bar was 0.19) sits in a crowded beat, where one storyline's events share
            most of their words; it is split into the groups of a second linkage over its
            own pairs, re-scored by the learned pair model (weight ``split_weight``,
            threshold ``split_threshold``). A
            story with nothing close around it (a topic followed for weeks, alone in its
            pool) is kept whole. ``split_weight=0`` turns the rule off; it is not applied
            when ``pair_weight`` already re-scores every link.
        thread_threshold / thread_decay_per_day / thread_max_gap_days: The thread level
            (:mod:`summarize.events.threads`): stories whose average link, less
            ``thread_decay_per_day`` per day between their date ranges, is at least
            ``thread_threshold`` share a thread; ranges more than ``thread_max_gap_days``
            apart never do.
        thread_density_neighbors / thread_density_margin: Local scaling at the thread
            level: a story joins a thread (or another story) only if the link, less the
            mean density of the two sides, is at least ``thread_density_margin``. A
            story's density is the mean of its ``thread_density_neighbors`` best (decayed)
            links to nearby stories (missing ones counted as ``density_prior``); a
            thread's is the mean over its stories' articles. Keeps two stories that merely share an actor and a
            beat (Pfizer's revenue and its vaccine's approval for teenagers) apart.
            ``thread_density_neighbors=0`` turns it off.
        thread_distinct_weight / thread_distinct_power: Distinctive terms at the thread
            level: each story's mean title + lead TF-IDF vector, every term re-weighted by
            its IDF to the power ``thread_distinct_power`` and L2-normalised; the cosine of
            two stories' vectors times ``thread_distinct_weight`` is added to their link.
            Stories that share rare words (Surfside, Taliban) are one situation more often
            than stories that share a beat's common ones (Senate, Harris). 0 turns it off.
        neighbors: Nearest neighbours per article in the candidate graph.
        exact_limit: Above this many candidates, neighbours are searched approximately.
        probes: k-means cells searched per query in approximate search.
        languages: ISO 639-1 codes accepted; others are skipped (``None``: accept all).
        hash_features: Hashed features per lexical part.
        seed: Seed of the k-means used by approximate search.
    """

    threshold: float = 0.12
    join_threshold: float = 0.14
    embedding_weight: float = 1.0
    text_weight: float = 2.0
    lead_weight: float = 0.5
    entity_weight: float = 0.5
    lead_sentences: int = 8
    relative: float = 0.62
    max_gap_days: float = 14.0
    decay_per_day: float = 0.04
    decay_grace_days: float = 0.0
    density_neighbors: int = 5
    density_margin: float = -0.1
    density_prior: float = 0.02
    pair_margin: float = 0.05
    pair_sure: float = 0.3
    single_relative: float = 0.5
    single_cap: float = 0.4
    pair_weight: float = 0.0
    split_weight: float = 0.6
    split_threshold: float = 0.10
    split_crowding: float = 0.07
    split_words: bool = True
    thread_threshold: float = 0.22
    thread_decay_per_day: float = 0.005
    thread_max_gap_days: float = 30.0
    thread_density_neighbors: int = 5
    thread_density_margin: float = 0.025
    thread_distinct_weight: float = 0.2
    thread_distinct_power: float = 2.0
    neighbors: int = 15
    exact_limit: int = 20_000
    probes: int = 8
    languages: tuple[str, ...] | None = ("en",)
    hash_features: int = 2**18
    seed: int = 0


# The setting of the learned pair model chosen on AllSides April-May alone (mean of the
# undated and dated B-cubed; docs/clustering.md, "The learned pair model"). ``Options.pair_model``
# and ``summarize brief --pair-model`` apply it.
PAIR_MODEL_SETTING: dict[str, float] = {"pair_weight": 0.2, "threshold": 0.10}


@dataclass(frozen=True)
class Clustering:
    """Stories plus the articles that could not be clustered."""

    stories: list[Story]
    skipped: tuple[Skipped, ...] = ()


@dataclass(frozen=True)
class AssignResult:
    """Outcome of :meth:`StoryIndex.assign`.

    Attributes:
        assignments: Article id -> story id, for every article not skipped (articles the
            index already held keep their story).
        created: Ids of the stories this call started, sorted.
        skipped: Articles left out, with the reason.
        threads: Story id -> thread id, for every story in ``assignments`` (a story keeps
            its thread forever; a new one may join an existing thread).
    """

    assignments: dict[str, str]
    created: tuple[str, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    threads: dict[str, str] = field(default_factory=dict)


def story_id(first_article_id: str) -> str:
    """The id of a story whose first member (by date, then id) is ``first_article_id``."""
    return "s-" + hashlib.sha1(first_article_id.encode("utf-8")).hexdigest()[:12]


def _member_key(article: Article) -> tuple[bool, str, str]:
    return (not article.published, article.published, article.id)


# --- cleaning and features -------------------------------------------------------------

_FURNITURE = re.compile(
    r"javascript|cookies|advertisement|subscribe|newsletter|click here|sign up|"
    r"all rights reserved|copyright|share this|read more",
    re.IGNORECASE,
)
_FURNITURE_WORDS = tuple(_FURNITURE.pattern.split("|"))
_WORD = re.compile(r"[^\W\d_]+")
_ENGLISH = frozenset(
    "the of and to in a is that for on with was as by at it from he said has have be are "
    "his her this an not were which will they their its who been but or after had".split()
)


def _looks_english(text: str) -> bool:
    words = _WORD.findall(text.lower())
    if len(words) < 20:
        return True  # too short to tell
    return sum(w in _ENGLISH for w in words) / len(words) >= 0.1


# After the lead, sentences only feed the whole-text TF-IDF: a rough split is enough there.
_ROUGH_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)]*\s+(?=[\"'“‘(]?[A-Z0-9])")


def _content_sentences(text: str, lead_sentences: int) -> list[str]:
    """Sentences of at least four words that are not page furniture.

    The lead is split by Punkt (:func:`summarize.nlp.segment.split_spans`, which splits
    line by line), and only as far as it needs: a long line is cut at a rough sentence end
    a few sentences past the lead, and the last Punkt sentence before the cut is dropped
    and read again with the rest, so the lead is exactly what Punkt gives on the whole
    text. The rest only feeds the whole-text TF-IDF and is split by a regular expression,
    about ten times faster.
    """
    out: list[str] = []
    low = text.lower()  # most texts hold no furniture word at all: then skip the test
    furnished = any(word in low for word in _FURNITURE_WORDS)

    def keep(pieces) -> None:
        out.extend(p.strip() for p in pieces
                   if len(p.split()) >= 4 and not (furnished and _FURNITURE.search(p)))

    for line in re.finditer(r"[^\n]+", text):
        rest = line.group()
        while rest and len(out) < lead_sentences:
            rest = _punkt_head(rest, lead_sentences - len(out), keep)
        if rest:
            keep(_ROUGH_SENTENCE_END.split(rest))
    return out


def _punkt_head(line: str, needed: int, keep) -> str:
    """Punkt-split the head of ``line`` (enough for ``needed`` sentences); return the rest."""
    from summarize.nlp.segment import split_spans

    ends = [m.start() for m in _ROUGH_SENTENCE_END.finditer(line)]
    margin = needed + 6
    if len(ends) <= margin:
        keep(line[s:e] for s, e in split_spans(line))
        return ""
    spans = split_spans(line[: ends[margin]])
    if len(spans) < 2:
        keep(line[s:e] for s, e in split_spans(line))
        return ""
    keep(line[s:e] for s, e in spans[:-1])  # the last one may be cut short: read it again
    return line[spans[-1][0]:]


def lead_and_text(article: Article, lead_sentences: int) -> tuple[str, str]:
    """(lead, full) texts: title plus content sentences, page furniture dropped."""
    sentences = _content_sentences(article.text, lead_sentences)
    title = " ".join(article.title.split())
    if title and sentences and sentences[0].startswith(title):
        title = ""  # the text repeats its headline on the first line
    head = [title] if title else []
    return " ".join(head + sentences[:lead_sentences]), " ".join(head + sentences)


def _day(published: str) -> float:
    try:
        return float(date.fromisoformat(published[:10]).toordinal())
    except ValueError:
        return math.nan


def _weights(opts: ClusterOptions) -> np.ndarray:
    w = np.array(
        [opts.embedding_weight, opts.text_weight, opts.lead_weight, opts.entity_weight], float
    )
    if (w < 0).any() or w.sum() <= 0:
        raise InputError("ClusterOptions weights must be >= 0 and not all 0")
    return np.sqrt(w / w.sum())


def _hashed_counts(leads: list[str], fulls: list[str], terms: list[list[str]],
                   opts: ClusterOptions) -> sp.csr_matrix:
    """Hashed word counts of the whole texts and of the leads, and the names and numbers
    (``terms``, :func:`~summarize.nlp.text.names_and_numbers` of each whole text) once each."""
    from sklearn.feature_extraction.text import HashingVectorizer

    words = HashingVectorizer(
        n_features=opts.hash_features, alternate_sign=False, norm=None, stop_words="english"
    )
    names = HashingVectorizer(
        n_features=opts.hash_features, alternate_sign=False, norm=None,
        analyzer=given_terms,
    )
    mentioned = names.transform(terms)
    mentioned.data[:] = 1.0  # a name or number counts once, however often it recurs
    whole = words.transform(fulls).tocsr()
    # A short article is all lead: count its words once.
    longer = [i for i, (lead, full) in enumerate(zip(leads, fulls)) if lead != full]
    lead = whole.copy()
    if longer:
        counted = words.transform([leads[i] for i in longer]).tocsr()
        keep = np.ones(len(leads), bool)
        keep[longer] = False
        pick = sp.csr_matrix((np.ones(len(longer)), (longer, np.arange(len(longer)))),
                             shape=(len(leads), len(longer)))
        lead = (sp.diags(keep.astype(float)) @ whole + pick @ counted).tocsr()
    return sp.hstack([whole, lead, mentioned], format="csr", dtype=np.float64)


def _tfidf(counts: sp.csr_matrix, df: np.ndarray, n_docs: int, opts: ClusterOptions):
    """Sublinear TF-IDF, each part L2-normalised and scaled by the square root of its weight."""
    from sklearn.preprocessing import normalize

    tf = counts.copy()
    tf.data = 1.0 + np.log(tf.data)
    idf = np.log((1.0 + n_docs) / (1.0 + df)) + 1.0
    tf = tf.multiply(idf).tocsr()
    w = _weights(opts)
    h = opts.hash_features
    parts = [normalize(tf[:, i * h : (i + 1) * h]) * w[i + 1] for i in range(3)]
    return sp.hstack(parts, format="csr")


def cluster_vectors(
    vectors: np.ndarray, *, days: np.ndarray | None = None, options: ClusterOptions | None = None
) -> np.ndarray:
    """Cluster L2-normalised rows by average-linkage cosine; the threshold applies to cosine.

    The graph and linkage stage of :func:`cluster` on plain vectors (no text features), for
    callers with their own representation and for the scaling benchmark.

    Returns:
        One label per row: the index of the first row of its group.
    """
    opts = options or ClusterOptions()
    x = np.ascontiguousarray(vectors, dtype=np.float32)
    n = len(x)
    days = np.full(n, np.nan) if days is None else np.asarray(days, dtype=float)
    nodes = Groups(
        dense=x.astype(np.float64), lexical=None, size=[1] * n, lo=days.tolist(),
        hi=days.tolist(), frozen=[False] * n, sq=np.einsum("ij,ij->i", x, x).tolist(),
    )
    pairs, sims = candidate_graph(x, days, opts)
    if opts.density_neighbors > 0:
        near = decayed(sims, pairs, days, days, opts)
        nodes.density = local_density(
            n, pairs, near, opts.density_neighbors, opts.density_prior).tolist()
    labels = np.arange(n)
    for group in agglomerate(nodes, pairs, sims, opts):
        labels[group] = group[0]
    return labels


def _group_index(groups: list[list[int]], n: int) -> np.ndarray:
    """Per node of ``n`` (every node in one of ``groups``), the index of its group."""
    index = np.empty(n, np.int64)
    for k, group in enumerate(groups):
        index[group] = k
    return index


# --- the index of stories, and the public entry points ----------------------------------


@dataclass
class _Batch:
    """One :meth:`StoryIndex.assign` call's new articles, graph and links (nodes: the
    ``m`` indexed stories, then the ``n`` new articles)."""

    arts: list[Article]
    texts: list[tuple[str, str, str]]  # (title, lead, whole text) per new article
    terms: list[list[str]]  # names and numbers of each whole text
    emb: np.ndarray
    lexical: sp.csr_matrix
    m: int
    n: int
    nodes: Groups
    pairs: np.ndarray
    sims: np.ndarray  # the whole links: embedding part + lexical part
    words: np.ndarray  # the lexical part of each link alone
    density: np.ndarray
    dense0: np.ndarray
    size0: np.ndarray
    lo0: np.ndarray
    hi0: np.ndarray
    sq0: np.ndarray
    df: np.ndarray


_DUPLICATE = "duplicate id: another article with this id (text sorting first) was kept"


class StoryIndex:
    """Stories seen so far, for assigning each night's articles without renaming stories.

    Per story it keeps the id, its thread's id, member count, first and last publication
    day, the sums of its members' embedding and lexical vectors (so average links to new
    articles stay exact), squared norms and local densities; plus the hashed document
    frequencies behind the IDF. :meth:`to_dict` and :meth:`from_dict` turn it into plain
    lists and numpy arrays for a store to persist.

    Args:
        options: Clustering settings; saved with the index and reused when loaded.
    """

    VERSION = 2

    def __init__(self, options: ClusterOptions | None = None) -> None:
        self.options = options or ClusterOptions()
        self.story_ids: list[str] = []
        self.thread_ids: list[str] = []
        self.counts = np.zeros(0, np.int64)
        self.sq = np.zeros(0)
        self.density = np.zeros(0)
        self.first_day = np.zeros(0)
        self.last_day = np.zeros(0)
        self.dense = np.zeros((0, 0))
        self.lexical = sp.csr_matrix((0, 3 * self.options.hash_features))
        self.df = np.zeros(3 * self.options.hash_features, np.int64)
        self.n_docs = 0
        self.members: dict[str, str] = {}

    def __len__(self) -> int:
        return len(self.story_ids)

    def thread_of(self, story: str) -> str:
        """The thread id of an indexed story (``""`` if the story is not indexed)."""
        try:
            return self.thread_ids[self.story_ids.index(story)]
        except ValueError:
            return ""

    def related(self, story: str) -> list[str]:
        """The other stories of ``story``'s thread, by first publication day, then id."""
        thread = self.thread_of(story)
        rows = [r for r, t in enumerate(self.thread_ids) if thread and t == thread
                and self.story_ids[r] != story]
        day = np.nan_to_num(self.first_day, nan=np.inf)
        return [self.story_ids[r] for r in sorted(rows, key=lambda r: (day[r], self.story_ids[r]))]

    def _threads_of(self, assignments: dict[str, str]) -> dict[str, str]:
        row = {sid: r for r, sid in enumerate(self.story_ids)}
        return {sid: self.thread_ids[row[sid]] for sid in sorted(set(assignments.values()))}

    def _prepare(self, articles: Sequence[Article]):
        opts = self.options
        skipped, known, ready = [], {}, []
        seen: set[str] = set()
        for art in sorted(articles, key=lambda a: (a.id, a.text)):
            if art.id in seen:
                skipped.append(Skipped(art.id, _DUPLICATE))
                continue
            seen.add(art.id)
            if art.id in self.members:
                known[art.id] = self.members[art.id]
            elif reason := self._language_problem(art):
                skipped.append(Skipped(art.id, reason))
            else:
                lead, full = lead_and_text(art, opts.lead_sentences)
                if not full.strip():
                    skipped.append(Skipped(art.id, "no text left after removing page furniture"))
                else:
                    ready.append((art, lead, full))
        return ready, known, skipped

    def _language_problem(self, art: Article) -> str:
        accepted = self.options.languages
        if accepted is None:
            return ""
        if art.language:
            ok = art.language in accepted
            return "" if ok else f"language {art.language!r} is not one of {accepted}"
        if "en" in accepted and not _looks_english(art.text):
            return "text does not look English (set Article.language if it is)"
        return ""

    def _graph(self, ready, embedder: Embedder | None) -> _Batch:
        """Vectors of the new articles, the candidate graph over them and the indexed
        stories near them, its links and the new articles' local densities."""
        opts = self.options
        if embedder is None:
            from summarize.nlp.embed import default_embedder

            embedder = default_embedder()
        arts = [r[0] for r in ready]
        emb = np.asarray(embedder.encode([r[1] for r in ready]), dtype=np.float64)
        emb /= np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)
        if len(self) and self.dense.shape[1] != emb.shape[1]:
            raise InputError(
                f"The embedder gives {emb.shape[1]}-d vectors but the index holds "
                f"{self.dense.shape[1]}-d ones: use the embedder the index was built with"
            )
        terms = [names_and_numbers(r[2]) for r in ready]
        counts = _hashed_counts([r[1] for r in ready], [r[2] for r in ready], terms, opts)
        df = self.df + np.asarray((counts > 0).sum(axis=0)).ravel()
        lexical = _tfidf(counts, df, self.n_docs + len(arts), opts)
        days = np.array([_day(a.published) for a in arts])
        m, n = len(self), len(arts)
        # Indexed stories whose dates could still reach this batch are candidates.
        near = np.flatnonzero(
            np.isnan(self.last_day) | np.isnan(days).any()
            | (self.last_day >= np.nanmin(days, initial=np.inf) - opts.max_gap_days)
        ) if m else np.zeros(0, int)
        w0 = _weights(opts)[0]
        dense0 = np.vstack([self.dense.reshape(m, -1), emb * w0]) if m else emb * w0
        size0 = np.concatenate([self.counts, np.ones(n, np.int64)])
        lo0 = np.concatenate([self.first_day, days])
        hi0 = np.concatenate([self.last_day, days])
        sq0 = np.concatenate([self.sq, np.einsum("ij,ij->i", emb, emb) * w0**2
                              + np.asarray(lexical.multiply(lexical).sum(axis=1)).ravel()])
        nodes = Groups(
            dense=dense0.copy(), lexical=sp.vstack([self.lexical, lexical], format="csr"),
            size=size0.tolist(), lo=lo0.tolist(), hi=hi0.tolist(),
            frozen=[True] * m + [False] * n, sq=sq0.tolist(),
        )
        pairs, sims = candidate_graph(emb.astype(np.float32), days, opts)
        pairs, sims = [pairs + m], [sims * w0**2]
        if len(near):  # new articles next to indexed stories' mean directions
            centroids = self.dense[near] / np.linalg.norm(self.dense[near], axis=1, keepdims=True)
            r, c, _ = neighbours(emb, centroids, opts.neighbors, False, opts)
            found = np.stack([near[c], r + m], axis=1)
            pairs.append(found)
            sims.append(np.einsum("ij,ij->i", dense0[found[:, 0]], dense0[found[:, 1]]))
        pairs, sims = unique_pairs(np.concatenate(pairs), np.concatenate(sims))
        words = nodes.lexical_dots(pairs)
        sims = sims + words
        density = np.zeros(n)
        if opts.density_neighbors > 0:
            mean = sims / (size0[pairs[:, 0]] * size0[pairs[:, 1]]) if len(pairs) else sims
            near = decayed(mean, pairs, lo0, hi0, opts)
            density = local_density(m + n, pairs, near, opts.density_neighbors,
                                    opts.density_prior, rows=np.arange(m, m + n))[m:]
            nodes.density = np.concatenate([self.density, density]).tolist()
        return _Batch(arts=arts, texts=[(r[0].title, r[1], r[2]) for r in ready], terms=terms,
                      emb=emb,
                      lexical=lexical, m=m, n=n, nodes=nodes, pairs=pairs, sims=sims,
                      words=words, density=density, dense0=dense0, size0=size0, lo0=lo0, hi0=hi0, sq0=sq0,
                      df=df)

    def _rescore(self, g: _Batch, weight: float, only: np.ndarray | None = None):
        """Re-score the candidate pairs of two new articles with the learned pair model
        (:mod:`summarize.events.pairs`): each link moves by ``weight x (p - 0.5)``.
        Returns the links, the new articles' densities measured on them, and the moves.

        With ``only`` (a mask over the nodes), only pairs touching those nodes are scored
        and only their densities measured again; the others keep theirs."""
        from summarize.events.pairs import load_pair_model, mutual_rank

        opts, m = self.options, g.m
        new = (g.pairs >= m).all(axis=1)
        rank = mutual_rank(g.pairs[new] - m, g.sims[new])
        scored = new if only is None else new & only[g.pairs].any(axis=1)
        local = g.pairs[scored] - m
        features = self._pair_features(g, local, g.sims[scored], rank=rank[scored[new]])
        bonus = np.zeros(len(g.pairs))
        bonus[scored] = weight * (load_pair_model().probability(features) - 0.5)
        sims = g.sims + bonus
        density = g.density
        if opts.density_neighbors > 0:
            rows = np.arange(m, m + g.n) if only is None else np.flatnonzero(only)
            mean = sims / (g.size0[g.pairs[:, 0]] * g.size0[g.pairs[:, 1]])
            near = decayed(mean, g.pairs, g.lo0, g.hi0, opts)
            fresh = local_density(m + g.n, g.pairs, near, opts.density_neighbors,
                                  opts.density_prior, rows=rows)[m:]
            density = fresh if only is None else np.where(only[m:], fresh, g.density)
        return sims, density, bonus

    def crowding(self, g: _Batch, groups: list[list[int]],
                 sims: np.ndarray | None = None) -> np.ndarray:
        """Per node, the mean of its ``density_neighbors`` best (decayed) links to nodes of
        *other* groups, missing ones counted as ``density_prior`` (0 for indexed stories);
        ``sims``: the links to read instead of ``g.sims`` (one per pair of ``g.pairs``)."""
        opts, m = self.options, g.m
        label = _group_index(groups, m + g.n)
        a, b = g.pairs[:, 0], g.pairs[:, 1]
        sims = g.sims if sims is None else sims
        near = decayed(sims / (g.size0[a] * g.size0[b]), g.pairs, g.lo0, g.hi0, opts)
        apart = label[a] != label[b]
        return local_density(m + g.n, g.pairs[apart], near[apart], opts.density_neighbors,
                             opts.density_prior, rows=np.arange(m, m + g.n))

    def _split_crowded(self, g: _Batch, groups: list[list[int]]) -> list[list[int]]:
        """Split the stories of new articles that sit in a crowded beat where a linkage
        re-scored by the learned pair model splits them (``ClusterOptions.split_*``)."""
        opts, m = self.options, g.m
        # The crowding read here leaves the embedding part of the links out: a crowded beat
        # is one whose storylines share their words, and the words do not move with the
        # embedder, while int8 vectors moved two AllSides stories across a bar on the whole
        # links (docs/clustering.md, "Crowding on the words").
        crowd = self.crowding(g, groups, g.words if opts.split_words else None)
        crowded = [k for k, group in enumerate(groups)
                   if len(group) > 1 and group[0] >= m
                   and crowd[group].mean() >= opts.split_crowding]
        if not crowded:
            return groups
        # Only the crowded stories' own pairs are re-scored and linked again: a story is
        # cut into its intersections with that linkage's groups, so nothing else matters.
        label = np.full(m + g.n, -1, np.int64)
        for k in crowded:
            label[groups[k]] = k
        sims, density, bonus = self._rescore(g, opts.split_weight, only=label >= 0)
        inside = (label[g.pairs[:, 0]] >= 0) & (label[g.pairs[:, 0]] == label[g.pairs[:, 1]])
        nodes = Groups(
            dense=g.dense0.copy(), lexical=g.nodes.lexical, size=g.size0.tolist(),
            lo=g.lo0.tolist(), hi=g.hi0.tolist(), frozen=[True] * m + [False] * g.n,
            sq=g.sq0.tolist(), density=np.concatenate([self.density, density]).tolist(),
        )
        fine = agglomerate(nodes, g.pairs[inside], sims[inside],
                           replace(opts, threshold=opts.split_threshold), bonus=bonus[inside])
        piece = _group_index(fine, m + g.n)
        split = set(crowded)
        out = [group for k, group in enumerate(groups) if k not in split]
        for k in crowded:
            parts: dict[int, list[int]] = {}
            for i in groups[k]:
                parts.setdefault(int(piece[i]), []).append(i)
            out.extend(parts.values())
        return out

    def _pair_features(self, g: _Batch, local: np.ndarray, links: np.ndarray,
                       rank: np.ndarray | None = None) -> np.ndarray:
        from summarize.events.pairs import PairTexts, pair_features

        w = _weights(self.options)[1:] ** 2
        h = self.options.hash_features
        block = sp.csr_matrix((np.ones(3 * h), (np.arange(3 * h), np.repeat(np.arange(3), h))),
                              shape=(3 * h, 3))
        parts = np.zeros((len(local), 3))
        for s in range(0, len(local), 16384):
            a, b = local[s : s + 16384, 0], local[s : s + 16384, 1]
            parts[s : s + 16384] = (g.lexical[a].multiply(g.lexical[b]) @ block).toarray()
        parts = np.divide(parts, w, out=np.zeros_like(parts), where=w > 0)
        titles, leads, fulls = (list(t) for t in zip(*g.texts))
        return pair_features(local, g.emb, parts, PairTexts(titles, leads, fulls, g.terms), links,
                             g.density, rank=rank)

    def assign(
        self, articles: Sequence[Article], *, embedder: Embedder | None = None
    ) -> AssignResult:
        """Put each new article in an indexed story or a new one; update the index.

        Indexed stories never merge with one another and keep their ids; articles the index
        already holds keep their story. New stories are then linked into threads
        (:mod:`summarize.events.threads`): indexed stories keep their thread, and threads
        never merge.
        """
        opts = self.options
        ready, assignments, skipped = self._prepare(articles)
        if not ready:
            return AssignResult(dict(sorted(assignments.items())), (), tuple(skipped),
                                self._threads_of(assignments))
        g = self._graph(ready, embedder)
        m, n, arts, nodes, pairs = g.m, g.n, g.arts, g.nodes, g.pairs
        dense0, size0, lo0, hi0, sq0 = g.dense0, g.size0, g.lo0, g.hi0, g.sq0
        sims, density, bonus = g.sims, g.density, None
        if opts.pair_weight > 0 and n > 1:
            sims, density, bonus = self._rescore(g, opts.pair_weight)
            if opts.density_neighbors > 0:
                nodes.density = np.concatenate([self.density, density]).tolist()
        groups = agglomerate(nodes, pairs, sims, opts, bonus=bonus)
        if opts.split_weight > 0 and opts.pair_weight == 0 and n > 1 and opts.density_neighbors > 0:
            groups = self._split_crowded(g, groups)
        created: list[str] = []
        owner = np.arange(m + n)  # node -> row of its story in the updated index
        alone = collections.Counter(self.thread_ids)
        for group in sorted(groups, key=lambda g: g[0]):
            if group[0] < m:  # joins an indexed story (a story node sorts first)
                sid, row = self.story_ids[group[0]], group[0]
                if len(group) > 1 and alone[self.thread_ids[row]] == 1:
                    # A story alone in its thread that grew is threaded again: its new
                    # articles may show the storyline it belongs to.
                    self.thread_ids[row] = ""
            else:
                first = min((arts[i - m] for i in group), key=_member_key)
                sid, row = story_id(first.id), len(self.story_ids)
                created.append(sid)
                self.story_ids.append(sid)
                self.thread_ids.append("")
            owner[group] = row
            for i in group:
                if i >= m:
                    assignments[arts[i - m].id] = sid
        total = len(self.story_ids)
        member = sp.csr_matrix((np.ones(m + n), (owner, np.arange(m + n))), shape=(total, m + n))
        self.dense = member @ dense0
        self.lexical = (member @ nodes.lexical).tocsr()
        self.counts = np.asarray(member @ size0).astype(np.int64)
        self.sq = member @ sq0
        self.density = member @ np.concatenate([self.density, density])
        self.first_day = np.full(total, np.nan)
        self.last_day = np.full(total, np.nan)
        np.fmin.at(self.first_day, owner, lo0)
        np.fmax.at(self.last_day, owner, hi0)
        self.df, self.n_docs = g.df, self.n_docs + n
        self.members.update({a.id: assignments[a.id] for a in arts})
        self.thread_ids = assign_threads(
            self.story_ids, self.thread_ids, self.dense, self.lexical, self.counts, self.sq,
            self.first_day, self.last_day, ThreadSettings(
                threshold=opts.thread_threshold, decay_per_day=opts.thread_decay_per_day,
                max_gap_days=opts.thread_max_gap_days, neighbors=opts.neighbors,
                density_neighbors=opts.thread_density_neighbors,
                density_margin=opts.thread_density_margin, density_prior=opts.density_prior,
                distinct_weight=opts.thread_distinct_weight,
                distinct_power=opts.thread_distinct_power,
                exact_limit=opts.exact_limit, probes=opts.probes, seed=opts.seed),
            ThreadTerms(slice(opts.hash_features, 2 * opts.hash_features),  # title + lead
                        self.df[opts.hash_features : 2 * opts.hash_features], self.n_docs),
        )
        return AssignResult(
            dict(sorted(assignments.items())), tuple(sorted(created)), tuple(skipped),
            self._threads_of(assignments),
        )

    def to_dict(self) -> dict:
        """Plain lists, numbers and numpy arrays (see :meth:`from_dict`)."""
        options = asdict(self.options)
        options["languages"] = list(self.options.languages) if self.options.languages else None
        lexical = self.lexical.tocsr()
        nonzero = np.flatnonzero(self.df)
        return {
            "version": self.VERSION,
            "options": options,
            "story_ids": list(self.story_ids),
            "thread_ids": list(self.thread_ids),
            "counts": self.counts.copy(),
            "sq": self.sq.copy(),
            "density": self.density.copy(),
            "first_day": self.first_day.copy(),
            "last_day": self.last_day.copy(),
            "dense": np.asarray(self.dense, dtype=np.float64).reshape(len(self), -1)
            if len(self) else np.zeros((0, 0)),
            "lexical_data": lexical.data.copy(),
            "lexical_indices": lexical.indices.copy(),
            "lexical_indptr": lexical.indptr.copy(),
            "df_indices": nonzero,
            "df_counts": self.df[nonzero],
            "n_docs": self.n_docs,
            "members": dict(self.members),
        }

    @classmethod
    def from_dict(cls, data: dict) -> StoryIndex:
        """Rebuild an index saved with :meth:`to_dict`.

        Raises:
            InputError: when the data is not a saved index of this version.
        """
        try:
            if data["version"] != cls.VERSION:
                raise InputError(f"Saved story index has version {data['version']}, "
                                 f"expected {cls.VERSION}: rebuild it with cluster()")
            options = dict(data["options"])
            # Saved before distinctive terms existed: keep threading it as it was built.
            options.setdefault("thread_distinct_weight", 0.0)
            # Saved before the crowding was read on the words: its bar is on the whole links.
            options.setdefault("split_words", False)
            if options.get("languages") is not None:
                options["languages"] = tuple(options["languages"])
            index = cls(ClusterOptions(**options))
            m = len(data["story_ids"])
            index.story_ids = list(data["story_ids"])
            index.thread_ids = [str(t) for t in data["thread_ids"]]
            if len(index.thread_ids) != m:
                raise ValueError("thread_ids and story_ids differ in length")
            index.counts = np.asarray(data["counts"], np.int64)
            index.sq = np.asarray(data["sq"], float)
            index.density = np.asarray(data["density"], float)
            index.first_day = np.asarray(data["first_day"], float)
            index.last_day = np.asarray(data["last_day"], float)
            index.dense = np.asarray(data["dense"], np.float64).reshape(m, -1) if m else np.zeros((0, 0))
            index.lexical = sp.csr_matrix(
                (data["lexical_data"], data["lexical_indices"], data["lexical_indptr"]),
                shape=(m, 3 * index.options.hash_features),
            )
            index.df[np.asarray(data["df_indices"], np.int64)] = data["df_counts"]
            index.n_docs = int(data["n_docs"])
            index.members = dict(data["members"])
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"Not a saved story index: {exc}") from exc
        return index


def pair_table(
    articles: Sequence[Article],
    *,
    embedder: Embedder | None = None,
    options: ClusterOptions | None = None,
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The candidate pairs :func:`cluster` would link and their pair-model features.

    For fitting and checking the pair model (``benchmarks/train_pairs.py``): returns the
    article ids kept (in the clusterer's order), the ``m x 2`` pairs of rows among them and
    the ``m x len(FEATURES)`` feature matrix (:mod:`summarize.events.pairs`).
    """
    index = StoryIndex(options)
    ready, _, _ = index._prepare(articles)
    if len(ready) < 2:
        return [r[0].id for r in ready], np.zeros((0, 2), int), np.zeros((0, 11))
    g = index._graph(ready, embedder)
    return [a.id for a in g.arts], g.pairs, index._pair_features(g, g.pairs, g.sims)


def cluster_report(
    articles: Sequence[Article],
    *,
    embedder: Embedder | None = None,
    options: ClusterOptions | None = None,
) -> Clustering:
    """Cluster articles into stories and say which articles were skipped and why.

    Articles are skipped when their id repeats an earlier one, their ``language`` is not
    accepted (or, when unknown, the text does not look English), or no text is left once
    page furniture is dropped. Every other article is in exactly one story, and every story
    carries its ``thread_id``: stories (events) of one developing storyline share it.
    """
    from summarize.events.syndication import voices

    result = StoryIndex(options).assign(articles, embedder=embedder)
    by_id: dict[str, Article] = {}
    for art in sorted(articles, key=lambda a: (a.id, a.text)):
        by_id.setdefault(art.id, art)
    groups: dict[str, list[Article]] = {}
    for article_id, sid in result.assignments.items():
        groups.setdefault(sid, []).append(by_id[article_id])
    stories = [
        Story(id=sid, articles=tuple(sorted(members, key=_member_key)), voices=voices(members),
              thread_id=result.threads.get(sid, ""))
        for sid, members in groups.items()
    ]
    stories.sort(key=lambda s: (-len(s.articles), _member_key(s.articles[0])))
    return Clustering(stories=stories, skipped=result.skipped)


def cluster(
    articles: Sequence[Article],
    *,
    embedder: Embedder | None = None,
    options: ClusterOptions | None = None,
) -> list[Story]:
    """Group articles into stories, one per real-world event, largest story first.

    Args:
        articles: Articles in any order; titles and dates help but are optional.
        embedder: Sentence embedder; defaults to MiniLM (:func:`~summarize.nlp.embed.default_embedder`).
        options: Clustering settings; :class:`ClusterOptions` defaults when omitted.

    Returns:
        Stories sorted by size (descending), then by their first member (date, id). Skipped
        articles (see :func:`cluster_report`) are in none of them.
    """
    return cluster_report(articles, embedder=embedder, options=options).stories
