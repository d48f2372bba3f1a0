"""The public entry points: :func:`load`, :func:`stories`, :func:`brief`, :func:`briefs`.

load -> clean -> (cluster) -> score -> select -> write -> attribute -> Brief
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field
from importlib import metadata as importlib_metadata
from typing import Any

from summarize.briefing.attribute import (
    attribute,
    attribute_generated,
    disagreement_sentences,
    source_list,
)
from summarize.errors import InputError
from summarize.evidence.score import WEIGHTS, score_story
from summarize.evidence.select import select, strip_dateline
from summarize.ingest import clean as clean_stage
from summarize.ingest import loaders as load_stage
from summarize.nlp.embed import Embedder, default_embedder
from summarize.options import Options
from summarize.records import Article, Brief, Disagreement, Evidence, Fact, Story
from summarize.write.abstractive import get_writer

log = logging.getLogger("summarize")

FACT_MIN_SUPPORT = 3


@dataclass
class Prepared:
    """Cleaned, de-duplicated articles and what was set aside (with the reason)."""

    articles: list[Article]
    skipped: list[dict[str, str]] = field(default_factory=list)


def prepare(inputs: Any) -> Prepared:
    """Read, clean and de-duplicate articles; refuse input that leaves nothing to summarize."""
    skipped: list[dict[str, str]] = []
    raw = load_stage.read(inputs, skipped)
    if not raw and len(skipped) == 1:
        raise InputError(skipped[0]["reason"])
    if not raw and not skipped:
        raise InputError("no articles given; pass file paths, a folder, text, or dicts with 'text'")
    kept: list[Article] = []
    seen_text: dict[str, str] = {}
    seen_ids: dict[str, int] = {}
    for article in raw:
        cleaned = clean_stage.clean(article)
        if not cleaned.text.strip():
            skipped.append({"id": article.id, "reason": "no article text left after removing page furniture"})
            continue
        digest = hashlib.sha1(" ".join(cleaned.text.split()).encode("utf-8")).hexdigest()
        if digest in seen_text:
            skipped.append({"id": article.id, "reason": f"exact duplicate of {seen_text[digest]}"})
            continue
        if cleaned.id in seen_ids:  # same id, different text: keep both, make the id unique
            seen_ids[cleaned.id] += 1
            cleaned = _renamed(cleaned, f"{cleaned.id}-{seen_ids[cleaned.id]}")
        seen_ids.setdefault(cleaned.id, 1)
        seen_text[digest] = cleaned.id
        kept.append(cleaned)
    for item in skipped:
        log.warning("skipped %s: %s", item["id"], item["reason"])
    if not kept:
        reasons = "; ".join(f"{s['id']}: {s['reason']}" for s in skipped)
        raise InputError(f"no usable article text in the input ({reasons})")
    return Prepared(kept, skipped)


def _renamed(article: Article, new_id: str) -> Article:
    from dataclasses import replace

    return replace(article, id=new_id)


def load(inputs: Any) -> list[Article]:
    """Read and clean articles from paths, folders, text, dicts or :class:`Article` objects."""
    return prepare(inputs).articles


def _story_of(articles: list[Article]) -> Story:
    """All the given articles as one story, ordered and named the way the clusterer does."""
    from summarize.events import cluster, syndication

    ordered = sorted(articles, key=lambda a: (not a.published, a.published, a.id))
    return Story(
        id=cluster.story_id(ordered[0].id), articles=tuple(ordered), voices=syndication.voices(ordered)
    )


def stories(inputs: Any, *, embedder: Embedder | None = None, **options: Any) -> list[Story]:
    """Group a mixed pile of articles into stories (one story per real-world event).

    Articles the clusterer cannot place (no text, another language) are left out and logged.
    """
    opts = Options.build(**options)
    prepared = prepare(inputs)
    return _cluster(prepared, opts, embedder or default_embedder())


def _cluster(prepared: Prepared, opts: Options, embedder: Embedder) -> list[Story]:
    """Cluster prepared articles; what the clusterer skips joins ``prepared.skipped``."""
    from summarize.events import cluster

    cluster_options = cluster.ClusterOptions()
    if opts.cluster_threshold is not None:
        from dataclasses import replace

        cluster_options = replace(cluster_options, threshold=opts.cluster_threshold)
    report = cluster.cluster_report(prepared.articles, embedder=embedder, options=cluster_options)
    for item in report.skipped:
        log.warning("skipped %s: %s", item.article_id, item.reason)
        prepared.skipped.append({"id": item.article_id, "reason": item.reason})
    return report.stories


def brief(inputs: Any, *, embedder: Embedder | None = None, **options: Any) -> Brief:
    """A cited brief of one story made of all the given articles.

    Args:
        inputs: Paths, a folder, ``"-"``, article text, dicts or :class:`Article` objects.
        embedder: Sentence embedder (defaults to the shared all-MiniLM-L6-v2).
        **options: Fields of :class:`~summarize.options.Options` (``words``, ``model``, ...).

    Raises:
        InputError: the input holds no usable article.
    """
    opts = Options.build(**options)
    start = time.perf_counter()
    prepared = prepare(inputs)
    loaded = time.perf_counter()
    story = _story_of(prepared.articles)
    timings = {"load_clean": loaded - start, "cluster": time.perf_counter() - loaded}
    return brief_story(story, opts, embedder=embedder, skipped=prepared.skipped, timings=timings)


def briefs(inputs: Any, *, embedder: Embedder | None = None, **options: Any) -> list[Brief]:
    """One cited brief per story found in a mixed pile of articles, largest story first."""
    opts = Options.build(**options)
    start = time.perf_counter()
    prepared = prepare(inputs)
    loaded = time.perf_counter()
    embedder = embedder or default_embedder()
    found = _cluster(prepared, opts, embedder)
    found = [s for s in found if len(s.articles) >= opts.min_story_articles]
    shared = {"load_clean": loaded - start, "cluster": time.perf_counter() - loaded}
    return [brief_story(s, opts, embedder=embedder, skipped=prepared.skipped, timings=dict(shared))
            for s in found]


def _versions() -> dict[str, str]:
    out = {}
    for dist in ("summarize", "sentence-transformers", "transformers", "torch", "nltk"):
        try:
            out[dist] = importlib_metadata.version(dist)
        except importlib_metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out


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
    skipped: list[dict[str, str]] | None = None,
    timings: dict[str, float] | None = None,
    evidence: Evidence | None = None,
) -> Brief:
    """Score, select, write and attribute one story.

    ``evidence`` is the story's :func:`~summarize.evidence.score.score_story` result when the caller
    already has it (the digest reuses it for "what is new"); it is computed otherwise.

    ``timings`` (seconds per stage, e.g. ``load_clean`` and ``cluster`` measured by the
    caller) is completed with ``segment``, ``embed``, ``score``, ``select``, ``write`` and
    ``attribute`` and stored in ``metadata["timings_s"]``.
    """
    embedder = embedder or default_embedder()
    timings = dict(timings or {})
    if evidence is None:
        evidence = score_story(story, embedder, timings=timings)
    t0 = time.perf_counter()
    chosen = select(evidence, opts.words, max_sentence_words=opts.sentence_words)
    timings["select"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    draft = get_writer(opts.model).write(evidence, chosen, opts)
    timings["write"] = time.perf_counter() - t0
    sources = source_list(evidence)
    numbers = {s.article_id: s.n for s in sources}
    t0 = time.perf_counter()
    if all(origin is not None for origin in draft.origins):
        sentences = attribute(draft, evidence, sources)
        counts = {"extracted": len(sentences), "kept": 0, "repaired": 0, "dropped": 0}
    else:
        # Disagreements are stated inside the word budget, not on top of it.
        stated = tuple(disagreement_sentences(evidence, sources))
        budget = max(opts.words // 2, opts.words - sum(len(s.text.split()) for s in stated))
        generated, counts = attribute_generated(draft, evidence, sources, embedder, chosen, budget)
        sentences = generated + stated
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
        )
        for c in evidence.conflicts
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
        "skipped": list(skipped or []),
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
