"""Where the nightly digest's heavy work runs: in this process, or on a Ray cluster.

:func:`summarize.digest.job.run` hands three stages to an engine and keeps the rest (the
store, story assignment, ranking, "what is new", the outputs) on the driver, the one process
that writes the store:

* ``clean``: raw articles -> cleaned articles with their content hash (and what was skipped),
  in input order;
* ``embedder``: wraps the run's embedder, so the vectors the store does not hold yet are made
  where the engine runs them;
* ``briefs``: stories -> their briefs, made ahead of the ranked loop. The local engine makes
  them ahead only when asked (``LocalEngine(width=4)``) and with a generative writer:
  :func:`write_briefs` writes ``width`` stories side by side and decodes their claim prompts
  together (decoding is memory-bound: a pass reads every weight once, whatever the number
  of rows). By default, and always for extractive briefs, each brief is written inside the
  loop, as the digest always has.

:class:`LocalEngine` is the default and is the single-process digest.
:class:`~summarize.digest.engine_ray.RayEngine` (``summarize digest --engine ray``, the
``[ray]`` extra) is imported only when the command asks for it, so ``import summarize`` never
imports Ray.
See ``docs/scale.md``.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, Self

from summarize.briefing.compose import brief_story
from summarize.events import syndication
from summarize.evidence.score import score_story
from summarize.ingest.prepare import cleaned
from summarize.nlp.embed import Embedder
from summarize.options import Options
from summarize.records import Article, Brief, Evidence, Skipped, Story
from summarize.write.base import Writer

ENGINES = ("local", "ray")


def write_brief(story: Story, opts: Options, vectors: Embedder,
                writer: Writer | None = None) -> tuple[Brief, Evidence]:
    """A new brief of ``story`` and the evidence it was made from (what every engine runs);
    ``writer`` is ``opts.model``'s unless given (the batched digest gives one whose model
    calls are decoded together with other stories')."""
    story = replace(story, voices=syndication.voices(story.articles))
    timings: dict[str, float] = {}
    evidence = score_story(story, vectors, timings=timings)
    return brief_story(story, opts, embedder=vectors, timings=timings, evidence=evidence, writer=writer), evidence


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
        vector)`` pairs made on the way (for the store). ``embedder`` is the run's, backed by
        the store: call it only from the thread iterating the batches (the Ray engine makes
        its vectors on its workers instead)."""
        ...


@dataclass
class _Embed:
    texts: list[str]
    result: Any = None
    error: BaseException | None = None
    ready: threading.Event = field(default_factory=threading.Event)


class _Handed:
    """The threads' embedder: each call is handed to the thread iterating :func:`write_briefs`."""

    def __init__(self, inbox: queue.Queue, name: str) -> None:
        self._inbox = inbox
        self.name = name

    def encode(self, texts: Sequence[str]) -> Any:
        ask = _Embed(list(texts))
        self._inbox.put(ask)
        ask.ready.wait()
        if ask.error is not None:
            raise ask.error
        return ask.result


def batching_model(options: Options) -> Any:
    """The model the writer of ``options.model`` would use, when its calls can be batched
    (a claim-level writer over a model with ``generate_many``); else ``None``."""
    from summarize.write.fusion import FusionWriter
    from summarize.write.writers import get_writer

    writer = get_writer(options.model)
    if type(writer) is not FusionWriter or writer.decoding is not None or options.sample:
        return None  # sampling stays one call per claim: its seed is per call
    model = writer.model
    return model if callable(getattr(model, "generate_many", None)) else None


def write_briefs(jobs: Sequence[tuple[str, Story]], options: Options, embedder: Embedder,
                 width: int) -> Iterator[tuple[str, Brief, Evidence]]:
    """``(key, brief, evidence)`` of every job, as they are made, ``width`` stories at a time.

    Each story is written in its own thread by :func:`write_brief`, the code that writes it
    alone, with a writer whose model is a
    :class:`~summarize.models.batching.GenerationBatcher` shared by the threads: when every
    busy thread waits for an answer, their prompts are decoded together. The last story
    decodes alone, with prompt lookup. Under greedy decoding the briefs are those written one
    story at a time up to float rounding differences between kernels for different row
    counts (``tests/digest/test_batched_briefs.py``); with ``default`` in bf16 those
    differences reworded 5 of 61 briefs of a 200-article night. ``embedder`` is called only from the
    thread iterating this generator (the digest's store, which caches the vectors, stays
    in the thread that opened it): the threads hand it their texts.

    Raises:
        ValueError: ``options.model`` has no batchable writer (see :func:`batching_model`).
        Whatever a brief raised, after the other threads stopped.
    """
    from summarize.models.batching import GenerationBatcher
    from summarize.write.fusion import FusionWriter

    model = batching_model(options)
    if model is None:
        raise ValueError(f"the writer of {options.model!r} cannot batch its model calls")
    batcher = GenerationBatcher(model)
    todo: queue.Queue = queue.Queue()
    for job in jobs:
        todo.put(job)
    inbox: queue.Queue = queue.Queue()
    handed = _Handed(inbox, getattr(embedder, "name", type(embedder).__name__))
    stop = threading.Event()

    def work() -> None:
        try:
            writer = FusionWriter(options.model, model=batcher)
            while not stop.is_set():
                try:
                    key, story = todo.get_nowait()
                except queue.Empty:
                    return
                brief, evidence = write_brief(story, options, handed, writer=writer)
                inbox.put(("brief", key, brief, evidence))
        except BaseException as exc:
            stop.set()
            inbox.put(("error", exc))
        finally:
            batcher.left()
            inbox.put(("left",))

    count = max(1, min(width, len(jobs)))
    threads = [threading.Thread(target=work, name=f"brief-writer-{i}", daemon=True) for i in range(count)]
    for _ in threads:
        batcher.joined()
    for thread in threads:
        thread.start()
    running, failure = count, None
    try:
        while running:
            item = inbox.get()
            if isinstance(item, _Embed):
                _serve(item, embedder)
            elif item[0] == "brief":
                if failure is None:
                    yield item[1], item[2], item[3]
            elif item[0] == "error":
                failure = failure or item[1]
            else:
                running -= 1
    finally:
        stop.set()  # no new story; the threads finish the one they write (the caller stopped early)
        while running:
            item = inbox.get()
            if isinstance(item, _Embed):
                _serve(item, embedder)
            elif item[0] == "left":
                running -= 1
        batcher.close()
    if failure is not None:
        raise failure


def _serve(ask: _Embed, embedder: Embedder) -> None:
    try:
        ask.result = embedder.encode(ask.texts)
    except BaseException as exc:
        ask.error = exc
    ask.ready.set()


# Stories written side by side by the local engine when the writer has a model. 1 (off) by
# default: on a 200-article night with `default` (bf16) 4 side by side took 612 s against
# 1,114 s, but 5 of 61 briefs were worded differently from the brief each story gets alone
# (near-ties that a 4-row decoding step rounds the other way; docs/models.md).
BATCH_WIDTH = 1


class LocalEngine:
    """Everything in this process: the digest as it runs on one machine.

    Args:
        width: Stories whose briefs are written side by side, their model calls decoded
            together (:func:`write_briefs`), when the writer is a claim-level
            writer over a model; 1 writes each brief in turn inside the ranked loop, as
            extractive briefs always are.
    """

    name = "local"

    def __init__(self, width: int = BATCH_WIDTH) -> None:
        if width < 1:
            raise ValueError("width must be at least 1")
        self.width = width

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def clean(self, raw: Iterable[Article], skipped: list[Skipped]) -> list[tuple[Article, str]]:
        return list(cleaned(raw, skipped))

    def embedder(self, embedder: Embedder) -> Embedder:
        return embedder

    def briefs(self, jobs, options, embedder):
        """With a model and ``width`` > 1, every brief ahead of the loop, ``width`` stories at a
        time (``embedder`` is called from the iterating thread only, so it may be the store's);
        else none: :func:`~summarize.digest.job.run` writes each brief in turn."""
        if self.width < 2 or len(jobs) < 2 or batching_model(options) is None:
            return iter(())
        return (([(key, brief)], []) for key, brief, _ in write_briefs(jobs, options, embedder, self.width))
