"""Where the nightly digest's heavy work runs: in this process, or on a Ray cluster.

:func:`summarize.digest.job.run` hands three stages to an engine and keeps the rest (the
store, story assignment, ranking, "what is new", the outputs) on the driver, the one process
that writes the store:

* ``clean``: raw articles -> cleaned articles with their content hash (and what was skipped),
  in input order;
* ``embedder``: wraps the run's embedder, so the vectors the store does not hold yet are made
  where the engine runs them;
* ``briefs``: stories -> their briefs, made ahead of the ranked loop (the local engine makes
  none ahead: it writes each brief inside the loop, as the digest always has).

:class:`LocalEngine` is the default and is exactly the single-process digest.
:class:`~summarize.digest.engine_ray.RayEngine` (``summarize digest --engine ray``, the
``[ray]`` extra) is imported only when the command asks for it, so ``import summarize`` never
imports Ray.
See ``docs/scale.md``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from typing import Any, Protocol, Self

from summarize.briefing.compose import brief_story
from summarize.events import syndication
from summarize.evidence.score import score_story
from summarize.ingest.prepare import cleaned
from summarize.nlp.embed import Embedder
from summarize.options import Options
from summarize.records import Article, Brief, Evidence, Skipped, Story

ENGINES = ("local", "ray")


def write_brief(story: Story, opts: Options, vectors: Embedder) -> tuple[Brief, Evidence]:
    """A new brief of ``story`` and the evidence it was made from (what every engine runs)."""
    story = replace(story, voices=syndication.voices(story.articles))
    timings: dict[str, float] = {}
    evidence = score_story(story, vectors, timings=timings)
    return brief_story(story, opts, embedder=vectors, timings=timings, evidence=evidence), evidence


class Engine(Protocol):
    """Runs the digest's cleaning, embedding and brief writing (see the module docstring)."""

    name: str

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc: object) -> None: ...

    def clean(self, raw: Sequence[Article], skipped: list[Skipped]) -> list[tuple[Article, str]]: ...

    def embedder(self, embedder: Embedder) -> Embedder: ...

    def briefs(self, jobs: Sequence[tuple[str, Story]], options: Options,
               embedder: Embedder) -> Iterator[tuple[list[tuple[str, Brief]], list[tuple[str, Any]]]]:
        """Batches of ``(brief key, brief)`` as they are made, each with the ``(vector key,
        vector)`` pairs made on the way (for the store)."""
        ...


class LocalEngine:
    """Everything in this process: the digest as it runs on one machine."""

    name = "local"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def clean(self, raw: Iterable[Article], skipped: list[Skipped]) -> list[tuple[Article, str]]:
        return list(cleaned(raw, skipped))

    def embedder(self, embedder: Embedder) -> Embedder:
        return embedder

    def briefs(self, jobs, options, embedder):
        """None ahead of the loop: :func:`~summarize.digest.job.run` writes each brief in turn."""
        return iter(())
