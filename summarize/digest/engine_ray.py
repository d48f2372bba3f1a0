"""The nightly digest on a Ray cluster (Moritz et al., 2018): ``summarize digest --engine ray``.

One pool of :class:`DigestWorker` actors, one per CPU of the cluster unless told otherwise,
does the three stages :mod:`summarize.digest.engine` hands out: cleaning (batches of
articles), embedding (batches of texts the store does not hold yet) and brief writing
(batches of stories). Each actor builds the sentence embedder once and the writer model once,
on first use, and keeps them for the night: one pool rather than one per stage, so a 2-core
machine holds one copy of MiniLM per worker, not two. Plain actors rather than Ray Data:
the batches are short lists of strings and records that the driver must take back in order
(cleaning, embedding) or write as they come (briefs); Ray Data's streaming executor, Arrow
blocks and its own operator processes cost more on a small machine than they save there
(``docs/scale.md``).

The store stays on the driver, its only writer. Actors never touch it: what they make comes
back as values and the driver stores it under keys derived from the content (an article's
content hash, a brief's :func:`~summarize.digest.rank.brief_key` of story id and member
hashes, a vector's :meth:`~summarize.digest.store.Store.vector_key`), so a task Ray retries
after a worker died writes the same rows again, never a second copy. Actors are restarted
(``max_restarts``) and their calls retried (``max_task_retries``) when a worker process dies;
a driver killed mid-run is resumed by running the same command again, as with the local engine.

Ray is imported when this module is, and this module only when ``--engine ray`` asks for it.
"""

from __future__ import annotations

import os
import resource
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Self

import numpy as np

from summarize.digest.engine import write_brief
from summarize.digest.store import Store
from summarize.errors import (
    InputError,
    ResourceMissingError,
    StoreBusyError,
    SummarizeError,
)
from summarize.ingest.prepare import cleaned
from summarize.nlp.embed import Embedder, default_embedder
from summarize.options import Options
from summarize.records import Article, Brief, Skipped, Story

try:
    import ray
    from ray.util import ActorPool
except ImportError as exc:  # the [ray] extra is optional
    raise ResourceMissingError("--engine ray needs Ray: pip install 'summarize[ray]' (ray==2.60.0)") from exc

MAX_RESTARTS = 3  # a worker process that dies is started again this many times per actor
MAX_TASK_RETRIES = 3  # and the call it was running is sent again (to the restarted actor)
CLEAN_BATCH = 200  # articles per cleaning call
EMBED_BATCH = 256  # texts per embedding call
BRIEF_BATCH = 8  # stories per brief call: small, so a lost worker costs little and briefs stream back


class _Recording:
    """An embedder that remembers each vector it made, keyed as the store keys them, so the
    driver can store what a worker embedded while writing briefs."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name = getattr(inner, "name", type(inner).__name__)
        self.made: dict[str, np.ndarray] = {}

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        vectors = np.asarray(self.inner.encode(list(texts)), dtype=np.float32)
        for text, vector in zip(texts, vectors):
            self.made.setdefault(Store.vector_key(self.name, text), vector)
        return vectors


class DigestWorker:
    """One worker of the pool (a Ray actor): cleans, embeds and writes briefs.

    Args:
        make_embedder: Builds this worker's embedder (called once, on first use); it must
            build the embedder the driver names, or the store's vectors would mix models.
    """

    def __init__(self, make_embedder: Callable[[], Embedder]) -> None:
        self._make_embedder = make_embedder
        self._embedder: Embedder | None = None

    def _vectors(self) -> Embedder:
        if self._embedder is None:
            self._embedder = self._make_embedder()
        return self._embedder

    def pid(self) -> int:
        return os.getpid()

    def peak_rss_mib(self) -> int:
        """This worker's peak resident memory (for ``benchmarks/bench_scale.py``)."""
        return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)

    def embedder_name(self) -> str:
        embedder = self._vectors()
        return getattr(embedder, "name", type(embedder).__name__)

    def clean(self, raw: list[Article]) -> tuple[list[tuple[Article, str]], list[Skipped]]:
        skipped: list[Skipped] = []
        return list(cleaned(raw, skipped)), skipped

    def encode(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self._vectors().encode(texts), dtype=np.float32)

    def briefs(self, jobs: list[tuple[str, Story]], options: Options) -> tuple[list[tuple[str, dict]], list]:
        recording = _Recording(self._vectors())
        made = [(key, write_brief(story, options, recording)[0].to_dict()) for key, story in jobs]
        return made, list(recording.made.items())


def _batches(items: Sequence[Any], size: int) -> list[list[Any]]:
    return [list(items[i:i + size]) for i in range(0, len(items), size)]


class _PoolEmbedder:
    """The driver's view of the pool as an :class:`~summarize.nlp.embed.Embedder`: texts go
    out in batches and come back in order."""

    def __init__(self, engine: RayEngine, name: str) -> None:
        self._engine = engine
        self.name = name

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        parts = self._engine._map("encode", _batches(list(texts), EMBED_BATCH) or [[]])
        return np.concatenate(parts, axis=0)


class RayEngine:
    """The digest's heavy stages on a Ray cluster; use as a context manager (``job.run`` does).

    Args:
        address: The cluster: ``"auto"`` (``$RAY_ADDRESS`` or the cluster started on this
            machine with ``ray start``) or ``HOST:PORT`` of its head.
        workers: Actors in the pool; defaults to the cluster's CPUs.
        embedder_factory: Builds each worker's embedder; defaults to
            :func:`~summarize.nlp.embed.default_embedder`. Must be importable on the workers.
        brief_batch: Stories per brief call.
    """

    name = "ray"

    def __init__(self, address: str = "auto", workers: int | None = None,
                 embedder_factory: Callable[[], Embedder] | None = None, brief_batch: int = BRIEF_BATCH) -> None:
        if workers is not None and workers < 1:
            raise InputError(f"--ray-workers must be at least 1, not {workers}")
        self.brief_batch = max(1, brief_batch)
        self.calls: Counter[str] = Counter()  # batches sent, by worker method
        self.address = address
        self.requested = workers
        self.embedder_factory = embedder_factory or default_embedder
        self.workers: list[Any] = []  # the actor handles, in pool order (tests kill one by its pid)
        self._pool: Any = None
        self._connected = False
        self._depth = 0  # nested ``with`` blocks share one pool (a caller may hold it around job.run)

    def __enter__(self) -> Self:
        self._depth += 1
        if self._depth == 1:
            try:
                self._start()
            except BaseException:
                self._depth = 0
                raise
        return self

    def _start(self) -> None:
        if not ray.is_initialized():
            try:
                ray.init(address=self.address, log_to_driver=False, configure_logging=False,
                         namespace="summarize")
            except (ConnectionError, ValueError, RuntimeError) as exc:
                raise ResourceMissingError(
                    f"no Ray cluster at {self.address!r} ({exc}); start one with "
                    "'ray start --head' (docs/scale.md) or give --ray-address HOST:PORT") from None
            self._connected = True
        count = self.requested or max(1, int(ray.cluster_resources().get("CPU", 1)))
        actor = ray.remote(num_cpus=1, max_restarts=MAX_RESTARTS, max_task_retries=MAX_TASK_RETRIES)(DigestWorker)
        self.workers = [actor.remote(self.embedder_factory) for _ in range(count)]
        self._pool = ActorPool(self.workers)

    def __exit__(self, *exc: object) -> None:
        self._depth -= 1
        if self._depth:
            return
        for worker in self.workers:
            ray.kill(worker, no_restart=True)
        self.workers, self._pool = [], None
        if self._connected:
            ray.shutdown()
            self._connected = False

    def _calls(self, method: str, batches: list[Any], *args: Any, ordered: bool = True) -> Iterator[Any]:
        """Each batch through ``method`` of some worker; a worker lost for good, or the cluster
        gone, is a temporary failure (exit code 75: the store holds what was done)."""
        if self._pool is None:
            raise RuntimeError("RayEngine is used outside its 'with' block")
        mapped = self._pool.map if ordered else self._pool.map_unordered
        self.calls[method] += len(batches)
        try:
            yield from mapped(lambda worker, batch: getattr(worker, method).remote(batch, *args), batches)
        except ray.exceptions.RayTaskError as exc:
            cause = exc.cause if isinstance(getattr(exc, "cause", None), BaseException) else None
            if isinstance(cause, SummarizeError):
                raise cause from None
            raise
        except (ray.exceptions.RayActorError, ray.exceptions.ObjectLostError,
                ray.exceptions.RaySystemError) as exc:
            raise StoreBusyError(f"a Ray worker was lost for good ({type(exc).__name__}: {exc}); "
                                 "what was done is stored, run the same command again") from None

    def _map(self, method: str, batches: list[Any], *args: Any) -> list[Any]:
        return list(self._calls(method, batches, *args))

    def clean(self, raw: Sequence[Article], skipped: list[Skipped]) -> list[tuple[Article, str]]:
        pairs: list[tuple[Article, str]] = []
        for kept, dropped in self._calls("clean", _batches(list(raw), CLEAN_BATCH)):
            pairs.extend(kept)
            skipped.extend(dropped)
        return pairs

    def embedder(self, embedder: Embedder) -> Embedder:
        name = getattr(embedder, "name", type(embedder).__name__)
        theirs = set(ray.get([w.embedder_name.remote() for w in self.workers]))
        if theirs != {name}:
            raise InputError(f"the Ray workers embed with {', '.join(sorted(theirs))} but this run embeds with "
                             f"{name}; give RayEngine(embedder_factory=...) the run's embedder")
        return _PoolEmbedder(self, name)

    def briefs(self, jobs: Sequence[tuple[str, Story]], options: Options,
               embedder: Embedder) -> Iterator[tuple[list[tuple[str, Brief]], list[tuple[str, np.ndarray]]]]:
        """Batches of ``(key, brief)`` as workers finish them, with the vectors they made."""
        for made, vectors in self._calls("briefs", _batches(list(jobs), self.brief_batch), options, ordered=False):
            yield [(key, Brief.from_dict(data)) for key, data in made], vectors
