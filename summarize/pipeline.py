"""The public entry points: :func:`load`, :func:`stories`, :func:`brief`, :func:`briefs`.

ingest (read, clean, de-duplicate) -> events (cluster into stories) -> briefing (score,
select, write, attribute) -> :class:`~summarize.records.Brief`. This module only wires the
rooms together; each stage lives in its own subpackage.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from typing import Any

from summarize.briefing.compose import brief_story
from summarize.errors import InputError
from summarize.events import cluster, syndication
from summarize.ingest.prepare import Prepared, prepare, why
from summarize.nlp.embed import Embedder, default_embedder
from summarize.options import Options
from summarize.records import Article, Brief, Skipped, Story

log = logging.getLogger("summarize")


def load(inputs: Any) -> list[Article]:
    """Read and clean articles from paths, folders, text, dicts or :class:`Article` objects."""
    return prepare(inputs).articles


def _story_of(articles: list[Article]) -> Story:
    """All the given articles as one story, ordered and named the way the clusterer does."""
    ordered = sorted(articles, key=lambda a: (not a.published, a.published, a.id))
    return Story(
        id=cluster.story_id(ordered[0].id), articles=tuple(ordered), voices=syndication.voices(ordered)
    )


def stories(inputs: Any, *, embedder: Embedder | None = None, **options: Any) -> list[Story]:
    """Group a mixed pile of articles into stories (one story per real-world event).

    Articles the clusterer cannot place (no text, another language) are left out and logged.
    """
    opts = Options.build(**options)
    prepared = prepare(inputs, opts.limits)
    return _cluster(prepared, opts, embedder or default_embedder())


def _cluster(prepared: Prepared, opts: Options, embedder: Embedder) -> list[Story]:
    """Cluster prepared articles; what the clusterer skips joins ``prepared.skipped``."""
    cluster_options = cluster.ClusterOptions()
    if opts.pair_model:
        cluster_options = replace(cluster_options, **cluster.PAIR_MODEL_SETTING)
    if opts.cluster_threshold is not None:
        cluster_options = replace(cluster_options, threshold=opts.cluster_threshold)
    report = cluster.cluster_report(prepared.articles, embedder=embedder, options=cluster_options)
    for item in report.skipped:
        log.warning("skipped %s: %s", item.id, item.reason)
        prepared.skipped.append(Skipped(item.id, item.reason))
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
    prepared = prepare(inputs, opts.limits)
    loaded = time.perf_counter()
    story = _story_of(prepared.articles)
    timings = {"load_clean": loaded - start, "cluster": time.perf_counter() - loaded}
    return brief_story(story, opts, embedder=embedder, skipped=prepared.skipped, timings=timings)


def briefs(inputs: Any, *, embedder: Embedder | None = None, **options: Any) -> list[Brief]:
    """One cited brief per story found in a mixed pile of articles, largest story first.

    Raises:
        InputError: the input holds no usable article, or the clusterer set every article
            aside (another language, no text): the message says why.
    """
    opts = Options.build(**options)
    start = time.perf_counter()
    prepared = prepare(inputs, opts.limits)
    loaded = time.perf_counter()
    embedder = embedder or default_embedder()
    found = _cluster(prepared, opts, embedder)
    if not found:
        left_out = [s for s in prepared.skipped if not s.kept]
        raise InputError(f"no story to brief: every article was set aside ({why(left_out)})")
    found = [s for s in found if len(s.articles) >= opts.min_story_articles]
    shared = {"load_clean": loaded - start, "cluster": time.perf_counter() - loaded}
    return [brief_story(s, opts, embedder=embedder, skipped=prepared.skipped, timings=dict(shared))
            for s in found]
