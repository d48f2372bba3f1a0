"""The writer contract: what every writer gets, what it returns, and what callers may use.

A writer turns the selected evidence of a story into the sentences of a brief. It either
copies source sentences (``generative = False``: each sentence has its origin, and the
attribute stage cites the claim group it came from) or generates new text
(``generative = True``: every sentence is aligned back to the sources and verified). Which
one it is is :attr:`Writer.generative`, and nothing else decides it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from summarize.evidence.select import Selected
from summarize.options import Options
from summarize.records import Evidence
from summarize.write.prompting import Prompt


@dataclass(frozen=True)
class Draft:
    """What a writer wrote.

    Attributes:
        sentences: The written sentences, without citation markers.
        origins: For each sentence, the selected claim it copies verbatim, or ``None`` when
            it was generated and must be aligned to its sources.
        metadata: Writer details for the brief's metadata (model, prompt, timings).
    """

    sentences: tuple[str, ...]
    origins: tuple[Selected | None, ...]
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class EvidenceItem:
    """One numbered line of evidence in a prompt: ``n``, the text, how many voices report it."""

    n: int
    text: str
    support: int


@runtime_checkable
class Writer(Protocol):
    """Everything the pipeline, the digest and the benchmark use of a writer.

    Attributes:
        name: Short name for the brief's metadata.
        generative: ``True`` when the writer generates text (its sentences are aligned and
            verified), ``False`` when it copies selected source sentences.
    """

    name: str
    generative: bool

    def write(self, evidence: Evidence, selected: list[Selected], options: Options) -> Draft:
        """The sentences of a brief of ``evidence`` from the ``selected`` claims."""
        ...

    def generate_text(self, prompt: Prompt, words: int, log: list[dict[str, Any]], options: Options) -> str:
        """The answer to any rendered prompt, about ``words`` long (generative writers only;
        a copying writer raises :class:`~summarize.errors.ModelError`). Each model call is
        appended to ``log``."""
        ...


class GenerativeModelLike(Protocol):
    """What the abstractive writer needs of a model (see
    :class:`summarize.models.generative.GenerativeModel`)."""

    spec: str

    def generate(self, prompt: Any, max_new_tokens: int = 256, options: Any = None) -> Any: ...

    def count_tokens(self, text: str) -> int: ...
