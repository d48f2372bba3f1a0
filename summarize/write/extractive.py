"""The extractive writer: the brief is the representative source sentence of each selected
claim, copied as reported (no model)."""

from __future__ import annotations

from typing import Any

from summarize.errors import ModelError
from summarize.evidence.select import Selected
from summarize.options import Options
from summarize.records import Evidence
from summarize.write.base import Draft
from summarize.write.prompting import Prompt


class ExtractiveWriter:
    """Copies the representative source sentence of each selected claim."""

    name = "extractive"
    generative = False

    def write(self, evidence: Evidence, selected: list[Selected], options: Options) -> Draft:
        return Draft(
            sentences=tuple(s.text for s in selected),
            origins=tuple(selected),
            metadata={"writer": self.name},
        )

    def generate_text(self, prompt: Prompt, words: int, log: list[dict[str, Any]], options: Options) -> str:
        raise ModelError("the extractive writer copies source sentences and writes no free text; "
                         "choose a generative model (model='default', 'fast', or a model id or folder)")


def register(registry) -> None:
    """Built-in plugin hook."""
    from summarize.registry import WRITERS

    registry.register(WRITERS, "extractive", ExtractiveWriter)
