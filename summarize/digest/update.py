"""What is new in a continuing story: today's claims that earlier coverage did not report.

The nightly digest shows a story again when new articles join it. Its brief is made from
today's articles alone, and readers who saw yesterday's brief want to know what changed.
:func:`whats_new` compares today's evidence with what came before: the articles of the
story from earlier days and the earlier brief itself.

* **New claims.** A claim group of today's evidence is new when its claim similarity (the
  evidence stage's mix of embedding cosine and TF-IDF, :func:`summarize.evidence.score.claim_similarity`)
  to every earlier sentence stays below the same-claim threshold. The most salient new
  claims are stated, most salient first, within ``words`` words, each cited to every
  article of today that reports it.
* **Changed figures.** A quantity of today that the disagreement rules
  (:func:`summarize.evidence.disagree.find_conflicts`) find inconsistent with the same quantity in an
  earlier sentence about the same claim ("12 dead" yesterday, "20 dead" today).
* **New outlets.** Outlets reporting today that earlier coverage did not include.

With a generative model the new claims are rewritten with the ``update`` prompt (the
earlier brief is given as context) and every written sentence is aligned, verified and
repaired against today's sources exactly as a brief is (:func:`summarize.briefing.attribute.attribute_generated`);
a sentence that turns out to restate the earlier coverage is dropped.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from summarize.briefing.attribute import attribute_generated, source_list, supports_of
from summarize.evidence.disagree import find_conflicts, subject_phrase
from summarize.evidence.score import ScoreOptions, claim_similarity, lexical_similarity
from summarize.evidence.select import Selected, strip_dateline, words
from summarize.nlp import segment
from summarize.nlp.embed import Embedder
from summarize.options import Options
from summarize.records import (
    Article,
    Brief,
    BriefSentence,
    ClaimGroup,
    Evidence,
    ScoredSentence,
    Sentence,
)
from summarize.write import prompting
from summarize.write.abstractive import looks_like_instructions
from summarize.write.base import Draft, EvidenceItem, Writer
from summarize.write.writers import get_writer

SHARE_OF_BUDGET = 0.5  # "what is new" gets up to half the brief's word budget ...
MAX_SENTENCES = 3  # ... and at most this many sentences
EARLIER = "earlier"  # the voice of earlier sentences when figures are compared
# A changed figure needs a closer match than a disagreement between outlets (0.4): across
# days a story reports many counts of one unit (each aftershock has a depth), and only a
# sentence about the same thing can update it.
CHANGE_MIN_SIMILARITY = 0.5


@dataclass(frozen=True)
class Change:
    """A figure reported differently today than in the earlier coverage."""

    topic: str
    before: str
    after: str
    citations: tuple[int, ...]


@dataclass(frozen=True)
class Update:
    """What is new in a continuing story since ``since``.

    Attributes:
        since: The day of the earlier digest.
        sentences: New claims, cited to today's sources (``Brief.sources`` numbering).
        changed: Figures that changed since the earlier coverage.
        new_outlets: Outlets reporting today that earlier coverage did not include.
        metadata: How it was made: ``method`` (extractive or the model), candidate and new
            claim counts, timings, and the writer's kept/repaired/dropped counts.
    """

    since: str
    sentences: tuple[BriefSentence, ...] = ()
    changed: tuple[Change, ...] = ()
    new_outlets: tuple[str, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict, hash=False)

    @property
    def empty(self) -> bool:
        return not (self.sentences or self.changed)

    def to_dict(self) -> dict[str, Any]:
        return {
            "since": self.since,
            "sentences": [s.to_dict() for s in self.sentences],
            "changed": [{"topic": c.topic, "before": c.before, "after": c.after, "citations": list(c.citations)}
                        for c in self.changed],
            "new_outlets": list(self.new_outlets),
            "metadata": self.metadata,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Update:
        return cls(
            since=data["since"],
            sentences=tuple(BriefSentence.from_dict(s) for s in data.get("sentences", [])),
            changed=tuple(Change(c["topic"], c["before"], c["after"], tuple(c["citations"]))
                          for c in data.get("changed", [])),
            new_outlets=tuple(data.get("new_outlets", [])),
            metadata=dict(data.get("metadata", {})),
        )


def earlier_sentences(earlier_articles: list[Article], earlier_brief: Brief | None) -> list[str]:
    """Everything a reader could already know: the earlier brief and the earlier articles."""
    texts: list[str] = []
    if earlier_brief is not None:
        texts += [s.text for s in earlier_brief.sentences]
        texts += [f.text for f in earlier_brief.facts + earlier_brief.unique]
    for article in earlier_articles:
        texts += [s.text for s in segment.sentences(article)]
    return list(dict.fromkeys(t for t in texts if t.strip()))


def _similarity(today: list[str], today_vecs: np.ndarray, known: list[str], known_vecs: np.ndarray,
                options: ScoreOptions) -> np.ndarray:
    """Claim similarity, rows today's sentences, columns the earlier ones."""
    semantic = today_vecs @ known_vecs.T
    lexical = lexical_similarity(today + known)[: len(today), len(today):]
    return claim_similarity(semantic, lexical, options)


def _brief_sentence(group: ClaimGroup, evidence: Evidence, numbers: dict[str, int]) -> BriefSentence:
    chosen = Selected(group=group, representative=group.seed, text=strip_dateline(group.seed.sentence.text))
    support = supports_of(chosen, numbers, evidence)
    return BriefSentence(
        text=chosen.text, citations=tuple(sorted({sp.n for sp in support})), support=support,
        salience=group.salience, agreement=group.support, status="extracted", parts=group.seed.parts,
    )


def _changes(evidence: Evidence, known: list[str], sim: np.ndarray, numbers: dict[str, int]) -> list[Change]:
    """Figures of today's sentences that disagree with the same figure in an earlier sentence."""
    past = [ScoredSentence(Sentence(EARLIER, i, 0, len(t), t), EARLIER, 0.0, 0.0, 0.0, 0.0)
            for i, t in enumerate(known)]
    today = list(evidence.sentences)
    n = len(today)
    both = np.zeros((n + len(past), n + len(past)))
    both[:n, n:] = sim
    both[n:, :n] = sim.T
    voices = {s.sentence.article_id: s.voice for s in today} | {EARLIER: EARLIER}
    changes: list[Change] = []
    seen: set[tuple[str, str]] = set()
    # Across days a changed figure is what the disagreement rules call an update (or, when
    # nothing dates the earlier sentence, a plain difference): both are changes here.
    for conflict in find_conflicts(today + past, both, voices, min_similarity=CHANGE_MIN_SIMILARITY,
                                   kinds=("real", "update")):
        before, after = (conflict.a, conflict.b) if conflict.a.sentence.article_id == EARLIER else (conflict.b, conflict.a)
        if before.sentence.article_id != EARLIER or after.sentence.article_id == EARLIER:
            continue
        key = (before.sentence.text, after.sentence.text)  # one line per pair of sentences
        if key in seen:
            continue
        seen.add(key)
        # Cite every article of today that reports the new figure (its claim group).
        group = next((s.group for s in today if s.sentence == after.sentence), -1)
        articles = evidence.groups[group].article_ids if group >= 0 else (after.sentence.article_id,)
        changes.append(Change(topic=subject_phrase(conflict), before=strip_dateline(before.sentence.text),
                              after=strip_dateline(after.sentence.text),
                              citations=tuple(sorted({numbers[a] for a in articles}))))
    return changes


def whats_new(
    evidence: Evidence,
    today: Brief,
    *,
    since: str,
    earlier_articles: list[Article],
    earlier_brief: Brief | None,
    embedder: Embedder,
    options: Options,
    writer: Writer | None = None,
) -> Update:
    """What today's evidence adds to the earlier coverage of the same story.

    Args:
        evidence: Today's evidence (``summarize.evidence.score.score_story`` of today's articles).
        today: Today's brief of that evidence; citations use its source numbering.
        since: The day of the earlier digest.
        earlier_articles: The story's articles from earlier days.
        earlier_brief: The brief the earlier digest showed, if it is known.
        embedder: Embeds the earlier sentences (a cached embedder makes this free).
        options: ``words`` sets the budget (half of it); ``model`` picks the writer.
        writer: A ready writer (tests pass one over a fake model); by default the one
            ``options.model`` names. Only a generative writer rewrites the new claims.
    """
    started = time.perf_counter()
    score_options = ScoreOptions()
    numbers = {src.article_id: src.n for src in today.sources}
    known = earlier_sentences(earlier_articles, earlier_brief)
    earlier_outlets = {a.display_outlet for a in earlier_articles}
    if earlier_brief is not None:
        earlier_outlets |= {s.outlet for s in earlier_brief.sources}
    new_outlets = tuple(dict.fromkeys(s.outlet for s in today.sources if s.outlet not in earlier_outlets))
    meta: dict[str, Any] = {"method": "extractive", "earlier_sentences": len(known),
                            "claims_today": len(evidence.groups)}
    if not known or len(evidence.sentences) == 0:
        fresh = list(evidence.groups)
        changes: list[Change] = []
    else:
        texts = [s.sentence.text for s in evidence.sentences]
        sim = _similarity(texts, evidence.vectors, known, embedder.encode(known), score_options)
        best = sim.max(axis=1)
        position = {(s.sentence.article_id, s.sentence.index): i for i, s in enumerate(evidence.sentences)}
        # A claim is new when none of its members is the same claim as an earlier sentence.
        fresh = [g for g in evidence.groups
                 if max(best[position[(m.sentence.article_id, m.sentence.index)]] for m in g.members)
                 < score_options.claim_threshold]
        changes = _changes(evidence, known, sim, numbers)
    meta["new_claims"] = len(fresh)
    budget = max(20, int(options.words * SHARE_OF_BUDGET))
    chosen: list[ClaimGroup] = []
    used = 0
    for group in sorted(fresh, key=lambda g: (-g.support, -g.salience, g.id)):
        length = words(strip_dateline(group.seed.sentence.text))
        if len(chosen) >= MAX_SENTENCES or (chosen and used + length > 1.2 * budget):
            continue
        chosen.append(group)
        used += length
    # In article order, as a brief reads.
    order = {a.id: i for i, a in enumerate(evidence.story.articles)}
    chosen.sort(key=lambda g: (order[g.seed.sentence.article_id], g.seed.sentence.index))
    sentences = tuple(_brief_sentence(g, evidence, numbers) for g in chosen)
    if writer is None and chosen:
        writer = get_writer(options.model)
    if chosen and writer.generative:
        sentences, written = _rewrite(evidence, today, earlier_brief, chosen, known, embedder, options, writer,
                                      since, budget)
        meta.update(written)
    meta["seconds"] = round(time.perf_counter() - started, 3)
    return Update(since=since, sentences=sentences, changed=tuple(changes), new_outlets=new_outlets, metadata=meta)


def _rewrite(evidence: Evidence, today: Brief, earlier_brief: Brief | None, chosen: list[ClaimGroup],
             known: list[str], embedder: Embedder, options: Options, writer: Writer, since: str,
             budget: int) -> tuple[tuple[BriefSentence, ...], dict]:
    """The new claims in the model's words, verified against today's sources.

    A new claim that reads as an instruction to a language model (an injected "ignore your
    instructions ...") is withheld, from the prompt and from the update, as the brief's
    writer withholds it."""
    withheld = [g for g in chosen if looks_like_instructions(g.seed.sentence.text)]
    chosen = [g for g in chosen if g not in withheld]
    if not chosen:
        return (), {"method": getattr(writer, "spec", options.model), "counts": {"withheld": len(withheld)},
                    "generations": []}
    items = [EvidenceItem(n=i + 1, text=strip_dateline(g.seed.sentence.text), support=g.support)
             for i, g in enumerate(chosen)]
    previous = earlier_brief.plain_text if earlier_brief is not None else " ".join(known[:6])
    prompt = prompting.render("update", evidence=items, words=budget, previous=previous, previous_date=since)
    log: list[dict[str, Any]] = []
    text = writer.generate_text(prompt, budget, log, options)
    split = tuple(segment.split(text))
    draft = Draft(sentences=split, origins=(None,) * len(split))
    written, counts = attribute_generated(draft, evidence, source_list(evidence), embedder, [], budget)
    # A written sentence that restates earlier coverage is not news.
    if written and known:
        vecs = embedder.encode([s.text for s in written])
        sim = _similarity([s.text for s in written], vecs, known, embedder.encode(known), ScoreOptions())
        stale = sim.max(axis=1) >= ScoreOptions().claim_threshold
        counts["stale"] = int(stale.sum())
        written = tuple(s for s, old in zip(written, stale) if not old)
    # New claims the model left out are added as they were reported, within the budget; a
    # claim counts as told when a written sentence is supported by one of its sentences or
    # says nearly the same (cosine 0.8).
    numbers = {src.article_id: src.n for src in today.sources}
    told = {(sp.article_id, sp.start) for x in written for sp in x.support}
    said = embedder.encode([x.text for x in written]) if written else np.zeros((0, 1))
    total = sum(words(x.text) for x in written)
    added = []
    for group in chosen:
        seed = group.seed.sentence
        if any((m.sentence.article_id, m.sentence.start) in told for m in group.members):
            continue
        if len(said) and float((said @ evidence.vector(seed.article_id, seed.index)).max()) > 0.8:
            continue
        if (written or added) and total + words(strip_dateline(seed.text)) > 1.2 * budget:
            continue
        added.append(_brief_sentence(group, evidence, numbers))
        total += words(added[-1].text)
    counts["extracted"] = len(added)
    counts["withheld"] = len(withheld)
    written = tuple(written) + tuple(added)
    return written, {"method": getattr(writer, "spec", options.model), "prompt": prompt.describe(),
                     "generations": log, "counts": counts, "raw": text}
