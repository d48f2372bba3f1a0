"""Compose one story's brief: score, select, write, attribute, then facts and metadata.

score (:mod:`summarize.evidence.score`) -> select (:mod:`summarize.evidence.select`) ->
write (a writer from :mod:`summarize.write.writers`) -> attribute
(:mod:`summarize.briefing.attribute`) -> :class:`~summarize.records.Brief`, with the facts
three or more voices confirm, the claims one voice makes, the disagreements, and metadata
saying how it was made. Used by :func:`summarize.brief` and by the nightly digest alike.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from importlib import metadata as importlib_metadata

from summarize.briefing.attribute import (
    attribute,
    attribute_fused,
    attribute_generated,
    disagreement_sentences,
    source_list,
)
from summarize.evidence import disagree, timeline
from summarize.evidence.score import WEIGHTS, score_story
from summarize.evidence.select import select
from summarize.nlp.embed import Embedder, default_embedder
from summarize.nlp.text import strip_dateline
from summarize.options import Options
from summarize.records import (
    Brief,
    BriefSentence,
    Disagreement,
    Evidence,
    Fact,
    Skipped,
    Story,
)
from summarize.write.base import Writer
from summarize.write.writers import get_writer

FACT_MIN_SUPPORT = 3


def _versions() -> dict[str, str]:
    out = {}
    for dist in ("summarize", "sentence-transformers", "transformers", "torch", "nltk"):
        try:
            out[dist] = importlib_metadata.version(dist)
        except importlib_metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out


def order_by_time(sentences: Sequence[BriefSentence], evidence: Evidence) -> tuple[BriefSentence, ...]:
    """A story told over several days reads in the order things happened.

    When the story's articles were published on more than one day, the brief's sentences
    are put in order of the event time of their first source sentence (its article's date
    and its own words, "on Monday", "Nov. 2": :func:`summarize.evidence.timeline.event_time`);
    ties and sentences with no known time keep the writer's order. A one-day story is left
    as written.
    """
    published = {a.id: a.published or timeline.opening_date(a.text) for a in evidence.story.articles}
    if len({p[:10] for p in published.values() if p}) < 2:
        return tuple(sentences)

    def when(s: BriefSentence) -> str:
        for sp in s.support:
            w = timeline.event_time(sp.text, published.get(sp.article_id, ""))
            if w is not None:
                return w.iso()
        return ""

    times = [when(s) for s in sentences]
    known = [t for t in times if t]
    if not known:
        return tuple(sentences)
    # A sentence with no known time keeps the time of the one before it (or the earliest).
    filled, last = [], min(known)
    for t in times:
        last = t or last
        filled.append(last)
    order = sorted(range(len(sentences)), key=lambda i: (filled[i], i))
    return tuple(sentences[i] for i in order)


def _title(evidence: Evidence, cited: dict[str, int]) -> str:
    titled = [a for a in evidence.story.articles if a.title]
    if not titled:
        return ""
    return max(titled, key=lambda a: (cited.get(a.id, 0), -evidence.story.articles.index(a))).title


def brief_story(
    story: Story,
    opts: Options,
    *,
    embedder: Embedder | None = None,
    skipped: Sequence[Skipped] = (),
    timings: dict[str, float] | None = None,
    evidence: Evidence | None = None,
    writer: Writer | None = None,
) -> Brief:
    """Score, select, write and attribute one story.

    ``evidence`` is the story's :func:`~summarize.evidence.score.score_story` result when the caller
    already has it (the digest reuses it for "what is new"); it is computed otherwise.
    ``writer`` is a ready writer (tests pass one over a fake model); by default the one
    :func:`~summarize.write.writers.get_writer` gives for ``opts.model``.

    ``timings`` (seconds per stage, e.g. ``load_clean`` and ``cluster`` measured by the
    caller) is completed with ``segment``, ``embed``, ``score``, ``select``, ``write`` and
    ``attribute`` and stored in ``metadata["timings_s"]``.
    """
    embedder = embedder or default_embedder()
    timings = dict(timings or {})
    if evidence is None:
        evidence = score_story(story, embedder, timings=timings)
    t0 = time.perf_counter()
    chosen = select(evidence, opts.words, max_sentence_words=opts.sentence_words, method=opts.selection)
    timings["select"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    writer = writer or get_writer(opts.model)
    draft = writer.write(evidence, chosen, opts)
    timings["write"] = time.perf_counter() - t0
    sources = source_list(evidence)
    numbers = {s.article_id: s.n for s in sources}
    t0 = time.perf_counter()
    if not writer.generative:
        sentences = order_by_time(attribute(draft, evidence, sources), evidence)
        counts = {"extracted": len(sentences), "kept": 0, "repaired": 0, "dropped": 0}
    else:
        # Disagreements are stated inside the word budget, not on top of it.
        stated = tuple(disagreement_sentences(evidence, sources))
        budget = max(opts.words // 2, opts.words - sum(len(s.text.split()) for s in stated))
        if draft.sentences and all(o is not None for o in draft.origins):  # one sentence per claim
            generated, counts = attribute_fused(draft, evidence, sources, embedder, budget)
        else:
            generated, counts = attribute_generated(draft, evidence, sources, embedder, chosen, budget)
        sentences = order_by_time(generated, evidence) + stated
    timings["attribute"] = time.perf_counter() - t0

    facts = tuple(
        Fact(text=strip_dateline(g.seed.sentence.text),
             citations=tuple(sorted({numbers[a] for a in g.article_ids})),
             support=g.support)
        for g in sorted(evidence.groups, key=lambda g: (-g.support, -g.salience, g.id))
        if g.support >= FACT_MIN_SUPPORT
    )
    unique = tuple(
        Fact(text=strip_dateline(g.seed.sentence.text), citations=(numbers[g.seed.sentence.article_id],),
             support=1)
        for g in evidence.unique
    )
    disagreements = tuple(
        Disagreement(
            topic=c.topic, kind=c.kind,
            a_text=c.a.sentence.text, a_citations=(numbers[c.a.sentence.article_id],),
            b_text=c.b.sentence.text, b_citations=(numbers[c.b.sentence.article_id],),
            subject=disagree.subject_phrase(c), when=c.b.when if c.kind == "update" or c.a.when == c.b.when else "",
            a_figure=disagree.figure_text(c.a), b_figure=disagree.figure_text(c.b),
        )
        for c in (*evidence.conflicts, *evidence.updates)
    )
    cited: dict[str, int] = {}
    for s in sentences:
        for sp in s.support:
            cited[sp.article_id] = cited.get(sp.article_id, 0) + 1
    metadata = {
        "model": opts.model,
        "options": opts.to_dict(),
        "versions": _versions(),
        "embedder": getattr(embedder, "name", type(embedder).__name__),
        "salience_weights": dict(WEIGHTS),
        "story": {"id": story.id, "articles": [a.id for a in story.articles],
                  "voices": [list(v) for v in story.voices]},
        "skipped": [s.to_dict() for s in skipped],
        "words": sum(len(s.text.split()) for s in sentences),
        "counts": counts,
        "writer": draft.metadata,
        "timings_s": {k: round(v, 3) for k, v in timings.items()},
    }
    return Brief(
        story_id=story.id,
        title=_title(evidence, cited),
        sentences=sentences,
        sources=sources,
        facts=facts,
        disagreements=disagreements,
        unique=unique,
        metadata=metadata,
    )
