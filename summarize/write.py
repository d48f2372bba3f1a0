"""Writer stage: turn the selected evidence into the sentences of a brief.

A writer implements one method, :meth:`Writer.write`. The extractive writer copies the
representative sentence of each selected claim (no model). Abstractive writers generate
text from numbered evidence; the attribute stage then finds the citations of every
generated sentence itself, whatever the model printed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from summarize.options import Options
from summarize.records import Evidence
from summarize.select import Selected


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


class Writer(Protocol):
    name: str

    def write(self, evidence: Evidence, selected: list[Selected], options: Options) -> Draft: ...


class ExtractiveWriter:
    """Copies the representative source sentence of each selected claim."""

    name = "extractive"

    def write(self, evidence: Evidence, selected: list[Selected], options: Options) -> Draft:
        return Draft(
            sentences=tuple(s.text for s in selected),
            origins=tuple(selected),
            metadata={"writer": self.name},
        )


WRITERS: dict[str, type] = {"extractive": ExtractiveWriter}


def get_writer(model: str) -> Writer:
    """The writer for a model name (``"extractive"`` needs no model)."""
    if model in WRITERS:
        return WRITERS[model]()
    from summarize.errors import InputError

    raise InputError(
        f"unknown model {model!r}; this version writes briefs with model='extractive'"
    )
