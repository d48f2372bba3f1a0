"""Generation calls of several threads decoded together: :class:`GenerationBatcher`.

A brief's claims are written one after another, each answer deciding whether the word
budget is full (:mod:`summarize.write.fusion`), so one story's claims cannot all be asked at
once; different stories' can. Threads that each write one story share a batcher as their
model: when every such thread is waiting for an answer, their prompts become one
:meth:`~summarize.models.generative.GenerativeModel.generate_many` call. Decoding on a CPU is
memory-bound (every weight is read once per step whatever the number of rows): 24 claim
prompts of a night took 87 s in batches of 4 against 112 s one by one (``docs/models.md``).
The nightly digest uses it
(:func:`summarize.digest.engine.write_briefs`).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any


@dataclass
class _Ask:
    prompt: Any
    max_new_tokens: int
    options: Any
    result: Any = None
    error: BaseException | None = None
    done: bool = False


class GenerationBatcher:
    """A generative model shared by writer threads, whose ``generate`` calls are decoded together.

    Each call waits until every thread :meth:`joined` and not yet :meth:`left` is waiting
    too; then one of them runs all the waiting prompts as one
    :meth:`~summarize.models.generative.GenerativeModel.generate_many` call (one per set
    of decoding options) and hands each thread its answer. A batch of one is the model's
    own :meth:`generate` (prompt lookup). Every call runs on one thread of the batcher's
    own (:meth:`close` ends it): OpenMP keeps a team of worker threads for each thread that
    starts parallel work, so writer threads taking turns would leave one team each. Other
    attributes (``spec``, ``runtime``, ``default_options``) are the model's.

    Args:
        model: A :class:`~summarize.models.generative.GenerativeModel` (or any object with
            ``generate`` and ``generate_many``).
    """

    def __init__(self, model: Any) -> None:
        self.model = model
        self.batches: list[int] = []  # the size of every call made, in order
        self._cond = threading.Condition()
        self._waiting: list[_Ask] = []
        self._members = 0
        self._running = False
        self._runner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="model")

    def __getattr__(self, name: str) -> Any:
        if name == "generate_batch":  # the fusion writer's batched mode would bypass the batcher
            raise AttributeError(name)
        return getattr(self.__dict__["model"], name)

    def joined(self) -> None:
        """A thread that will call :meth:`generate` starts."""
        with self._cond:
            self._members += 1

    def left(self) -> None:
        """That thread is done: the others no longer wait for it."""
        with self._cond:
            self._members -= 1
            self._cond.notify_all()

    def generate(self, prompt: Any, max_new_tokens: int = 256, options: Any = None) -> Any:
        ask = _Ask(prompt, max_new_tokens, options)
        with self._cond:
            self._waiting.append(ask)
            self._cond.notify_all()
            while not ask.done:
                if not self._running and self._waiting and len(self._waiting) >= self._members:
                    batch, self._waiting, self._running = self._waiting, [], True
                    self._cond.release()
                    try:
                        self._runner.submit(self._run, batch).result()
                    finally:
                        self._cond.acquire()
                        self._running = False
                        self._cond.notify_all()
                else:
                    self._cond.wait()
        if ask.error is not None:
            raise ask.error
        return ask.result

    def close(self) -> None:
        """End the thread that runs the model calls (after the one running, if any)."""
        self._runner.shutdown(wait=True)

    def _run(self, batch: list[_Ask]) -> None:
        groups: dict[Any, list[_Ask]] = {}
        for ask in batch:
            groups.setdefault(ask.options, []).append(ask)
        for options, asks in groups.items():
            self.batches.append(len(asks))
            try:
                if len(asks) == 1:
                    results = [self.model.generate(asks[0].prompt, asks[0].max_new_tokens, options)]
                else:
                    results = self.model.generate_many([a.prompt for a in asks],
                                                       [a.max_new_tokens for a in asks], options)
            except BaseException as exc:  # every waiting thread sees the model's failure
                for ask in asks:
                    ask.error, ask.done = exc, True
                continue
            for ask, result in zip(asks, results):
                ask.result, ask.done = result, True
