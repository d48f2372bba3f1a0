"""Evidence stage: salience, claim groups and cross-outlet agreement for one story.

Salience of a sentence combines three parts, each scaled to 0..1 and exposed on
:class:`~summarize.records.ScoredSentence`::

    salience = 0.5 * centrality + 0.2 * position + 0.3 * coverage

* centrality: LexRank (Erkan & Radev, 2004) over a sentence graph of the whole story whose
  edge weights mix MiniLM embedding cosine and TF-IDF cosine half and half
  (``CENTRALITY_LEXICAL_WEIGHT``), scaled by its maximum;
* position: ``1 / sqrt(1 + index)`` of the sentence in its article (news puts the gist first);
* coverage: weighted share of the story's key terms (stems found in at least two voices,
  weighted by how many voices use them) and named entities that the sentence mentions.

Claim groups gather sentences from different voices that report the same thing: embedding
similarity mixed with TF-IDF similarity of stems (see :func:`claim_similarity`). A group is built
around its most salient unassigned sentence (a star, not a chain, so groups never drift),
with at most one sentence per article. Support is the number of distinct voices in the
group: two articles of one outlet, or syndicated copies (``Story.voices``), count once.

Only a whole sentence can be a claim: one that :func:`summarize.nlp.hygiene.problem` finds
broken (an unbalanced or cut quote, a lower-case or unfinished fragment, glued words), or
one in the middle of a quotation of several sentences
(:func:`summarize.nlp.hygiene.inside_quotation`: a speaker's words would read as the
brief's), still counts for centrality but joins no claim group, so no brief, fact list or unique-claims
list quotes it, and it is never one side of a disagreement or an update.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

import numpy as np

from summarize.events.syndication import voice_map
from summarize.nlp import hygiene, segment
from summarize.nlp.embed import Embedder
from summarize.nlp.text import entities, stems
from summarize.records import ClaimGroup, Evidence, ScoredSentence, Sentence, Story

WEIGHTS = {"centrality": 0.5, "position": 0.2, "coverage": 0.3}
POSITION_DECAY = 0.5
CENTRALITY_LEXICAL_WEIGHT = 0.5

_COMPLETE = re.compile(r"[.!?…][\"'”’)\]]*\s*$")


@dataclass(frozen=True)
class ScoreOptions:
    """Thresholds of the evidence stage (defaults chosen on the seeds and MultiLing)."""

    lexrank_threshold: float = 0.2
    damping: float = 0.85
    claim_threshold: float = 0.45
    claim_embedding_only: float = 0.88
    lexical_weight: float = 0.5
    min_words: int = 4
    max_words: int = 80


def lexrank(sim: np.ndarray, threshold: float, damping: float, iterations: int = 100) -> np.ndarray:
    """Continuous LexRank scores (Erkan & Radev, 2004) of a cosine similarity matrix."""
    n = sim.shape[0]
    if n == 0:
        return np.zeros(0)
    graph = np.where(sim >= threshold, sim, 0.0)
    np.fill_diagonal(graph, 0.0)
    rows = graph.sum(axis=1, keepdims=True)
    transition = np.divide(graph, rows, out=np.full_like(graph, 1.0 / n), where=rows > 0)
    scores = np.full(n, 1.0 / n)
    for _ in range(iterations):
        new = (1 - damping) / n + damping * transition.T @ scores
        if np.abs(new - scores).sum() < 1e-9:
            scores = new
            break
        scores = new
    return scores


def _scale(values: np.ndarray) -> np.ndarray:
    top = float(values.max()) if values.size else 0.0
    return values / top if top > 0 else values


def key_terms(texts_by_voice: dict[str, list[str]], limit: int = 40) -> dict[str, float]:
    """Stems used by at least two voices (or, with one voice, frequent stems), weighted."""
    voice_count: Counter[str] = Counter()
    freq: Counter[str] = Counter()
    for texts in texts_by_voice.values():
        voice_stems = [s for t in texts for s in stems(t)]
        freq.update(voice_stems)
        voice_count.update(set(voice_stems))
    min_voices = 2 if len(texts_by_voice) > 1 else 1
    weighted = {
        s: voice_count[s] * math.log1p(freq[s])
        for s in voice_count
        if voice_count[s] >= min_voices and not s[0].isdigit()
    }
    top = sorted(weighted.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    return dict(top)


def lexical_similarity(texts: list[str]) -> np.ndarray:
    """Cosine similarity of TF-IDF vectors (stems and stem bigrams) fitted on the story.

    Inside one story every sentence shares the story's names, so IDF makes the rarer words
    two sentences share ("work in progress", "two and a half hours") count most.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    def analyze(text: str) -> list[str]:
        st = stems(text)
        return st + [f"{a} {b}" for a, b in zip(st, st[1:])]

    if not any(stems(t) for t in texts):
        return np.zeros((len(texts), len(texts)))
    matrix = TfidfVectorizer(analyzer=analyze, sublinear_tf=True).fit_transform(texts)
    return (matrix @ matrix.T).toarray()


def claim_similarity(semantic: np.ndarray, lexical: np.ndarray, options: ScoreOptions) -> np.ndarray:
    """How strongly two sentences report the same claim: embeddings and shared rare words.

    MiniLM puts every sentence of one story close together (0.6-0.8 cosine for different
    claims about the same trip), so embeddings alone cannot tell claims apart; the TF-IDF
    part can. A pair is one claim when the mix reaches ``claim_threshold``, or when the
    embeddings alone are near-paraphrase close (``claim_embedding_only``).
    """
    w = options.lexical_weight
    mixed = (1 - w) * semantic + w * lexical
    return np.where(semantic >= options.claim_embedding_only, np.maximum(mixed, options.claim_threshold), mixed)


def _claim_groups(
    scored: list[ScoredSentence], claim: np.ndarray, eligible: list[int], options: ScoreOptions
) -> list[list[int]]:
    order = sorted(eligible, key=lambda i: (-scored[i].salience, scored[i].sentence.article_id,
                                            scored[i].sentence.index))
    assigned: set[int] = set()
    groups: list[list[int]] = []
    for seed in order:
        if seed in assigned:
            continue
        members = [seed]
        assigned.add(seed)
        seed_sent = scored[seed].sentence
        best: dict[str, tuple[float, int]] = {}
        for j in order:
            if j in assigned:
                continue
            other = scored[j].sentence
            if other.article_id == seed_sent.article_id:
                continue
            s = float(claim[seed, j])
            if s >= options.claim_threshold:
                if other.article_id not in best or s > best[other.article_id][0]:
                    best[other.article_id] = (s, j)
        for _, j in sorted(best.values(), key=lambda t: (-t[0], t[1])):
            members.append(j)
            assigned.add(j)
        groups.append(members)
    return groups


def score_story(
    story: Story,
    embedder: Embedder,
    options: ScoreOptions | None = None,
    timings: dict[str, float] | None = None,
) -> Evidence:
    """Score every sentence of a story and group sentences into claims.

    Args:
        story: The story to score.
        embedder: Sentence embedder.
        options: Thresholds; :class:`ScoreOptions` defaults when omitted.
        timings: If given, seconds spent splitting, embedding and scoring are added to it
            under ``segment``, ``embed`` and ``score``.
    """
    options = options or ScoreOptions()
    clock = _Clock(timings)
    voices = voice_map(story)
    sentences: list[Sentence] = []
    for article in story.articles:
        sentences.extend(segment.sentences(article))
    clock.lap("segment")
    if not sentences:
        return Evidence(story=story, sentences=(), groups=())
    vectors = embedder.encode([s.text for s in sentences])
    clock.lap("embed")
    sim = vectors @ vectors.T
    lexical = lexical_similarity([s.text for s in sentences])
    w = CENTRALITY_LEXICAL_WEIGHT
    centrality = _scale(lexrank((1 - w) * sim + w * lexical, options.lexrank_threshold, options.damping))

    texts_by_voice: dict[str, list[str]] = {}
    for s in sentences:
        texts_by_voice.setdefault(voices[s.article_id], []).append(s.text)
    terms = key_terms(texts_by_voice)
    total_weight = sum(sorted(terms.values(), reverse=True)[:12]) or 1.0
    story_entities = Counter(e for s in sentences for e in entities(s.text))

    coverage = np.zeros(len(sentences))
    for i, s in enumerate(sentences):
        own = set(stems(s.text))
        term_part = sum(w for t, w in terms.items() if t in own) / total_weight
        ents = entities(s.text)
        ent_part = sum(1 for e in ents if story_entities[e] > 1) / 4.0
        coverage[i] = min(1.0, 0.8 * term_part + 0.2 * min(1.0, ent_part))
    coverage = _scale(coverage)

    scored: list[ScoredSentence] = []
    for i, s in enumerate(sentences):
        position = (1.0 + s.index) ** -POSITION_DECAY
        salience = (
            WEIGHTS["centrality"] * centrality[i]
            + WEIGHTS["position"] * position
            + WEIGHTS["coverage"] * coverage[i]
        )
        scored.append(ScoredSentence(
            sentence=s, voice=voices[s.article_id], centrality=round(float(centrality[i]), 6),
            position=round(position, 6), coverage=round(float(coverage[i]), 6),
            salience=round(float(salience), 6),
        ))

    texts = {a.id: a.text for a in story.articles}
    names = {a.id: hygiene.names_in(a.text) for a in story.articles}
    whole = [i for i, s in enumerate(sentences) if not hygiene.problem(s.text, names[s.article_id])]
    eligible = [
        i for i in whole
        if options.min_words <= len(sentences[i].text.split()) <= options.max_words
        and not _standfirst(texts[sentences[i].article_id], sentences[i])
        and not hygiene.inside_quotation(texts[sentences[i].article_id], sentences[i].start)
    ]
    claim = claim_similarity(sim, lexical, options)
    raw_groups = _claim_groups(scored, claim, eligible, options)
    groups: list[ClaimGroup] = []
    for gid, members in enumerate(raw_groups):
        support = len({scored[i].voice for i in members})
        for i in members:
            scored[i] = _with_group(scored[i], gid, support)
        groups.append(ClaimGroup(
            id=gid, members=tuple(scored[i] for i in members), support=support,
            salience=scored[members[0]].salience,
        ))

    from summarize.evidence import disagree, timeline

    published = {a.id: a.published or timeline.opening_date(a.text) for a in story.articles}
    # A broken sentence is never quoted, so it cannot be one side of a stated disagreement.
    found = disagree.find_conflicts([scored[i] for i in whole], claim[np.ix_(whole, whole)], voices,
                                    published=published, kinds=("real", "update"))
    conflicts = [c for c in found if c.kind == "number"]
    updates = [c for c in found if c.kind == "update" and disagree.running_tally(c)]
    unique = tuple(unique_claims(groups))
    clock.lap("score")
    return Evidence(
        story=story, sentences=tuple(scored), groups=tuple(groups), conflicts=tuple(conflicts),
        updates=tuple(updates), unique=unique, key_terms=tuple(terms), vectors=vectors,
    )


class _Clock:
    """Adds the seconds since the last lap to a timings dict (when one is given)."""

    def __init__(self, timings: dict[str, float] | None) -> None:
        import time

        self._timings, self._now = timings, time.perf_counter
        self._last = self._now()

    def lap(self, name: str) -> None:
        now = self._now()
        if self._timings is not None:
            self._timings[name] = self._timings.get(name, 0.0) + now - self._last
        self._last = now


def _standfirst(text: str, s: Sentence) -> bool:
    """A paragraph of its own without final punctuation: a standfirst or teaser line.

    It still counts for centrality, but it is not a claim to quote in a brief.
    """
    alone = (s.start == 0 or text[s.start - 1] == "\n") and (s.end == len(text) or text[s.end] == "\n")
    return alone and not _COMPLETE.search(s.text)


def _with_group(s: ScoredSentence, group: int, support: int) -> ScoredSentence:
    from dataclasses import replace

    return replace(s, group=group, agreement=support)


def unique_claims(groups: list[ClaimGroup], per_voice: int = 2, quantile: float = 0.5) -> list[ClaimGroup]:
    """Notable claims that only one voice makes: its most salient single-voice groups.

    "Notable" means the group's salience is at or above the story's ``quantile`` of group
    saliences; at most ``per_voice`` claims are kept for each voice.
    """
    if not groups or len({m.voice for g in groups for m in g.members}) < 2:
        return []
    cut = float(np.quantile([g.salience for g in groups], quantile))
    kept: list[ClaimGroup] = []
    per: Counter[str] = Counter()
    for g in sorted(groups, key=lambda g: (-g.salience, g.id)):
        if g.support == 1 and g.salience >= cut and per[g.seed.voice] < per_voice:
            per[g.seed.voice] += 1
            kept.append(g)
    return kept
