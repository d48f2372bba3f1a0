"""One options object, built once and handed to every stage.

Precedence: defaults <- config file (TOML, ``[summarize]`` table) <- CLI flags <- keyword
arguments. Unknown names are an error, not silently ignored.
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from summarize.errors import InputError


@dataclass(frozen=True)
class Options:
    """Options of a summarization run.

    Attributes:
        words: Target length of a brief in words (held within +-20%).
        model: ``"extractive"`` (selection only), ``"default"``, ``"fast"``, ``"tiny"``, or a
            Hugging Face model id / local folder for the abstractive writer.
        max_sentence_words: Source sentences longer than this are avoided as representatives
            when a shorter report of the same claim exists; ``None``: a quarter of ``words``,
            kept between 40 and 60.
        min_story_articles: Stories with fewer articles are still briefed (1 = keep all).
        cluster_threshold: Similarity threshold of story clustering; ``None`` uses the
            clusterer's documented default.
        sample: Generative writer only: sample instead of greedy decoding (greedy, the
            default, is deterministic).
        temperature: Sampling temperature (with ``sample``).
        top_p: Nucleus sampling mass (with ``sample``).
        seed: Seed of the sampler: the same seed gives the same brief.
    """

    words: int = 120
    model: str = "extractive"
    max_sentence_words: int | None = None
    min_story_articles: int = 1
    cluster_threshold: float | None = None
    sample: bool = False
    temperature: float = 0.7
    top_p: float = 0.95
    seed: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.words, int) or self.words < 10:
            raise InputError(f"words must be a whole number of at least 10, got {self.words!r}")
        if self.temperature <= 0 or not 0 < self.top_p <= 1:
            raise InputError("temperature must be > 0 and top_p in (0, 1]")
        if not self.model or not isinstance(self.model, str):
            raise InputError("model must be 'extractive', 'default', 'fast', or a model id or folder")

    @classmethod
    def build(cls, config: str | Path | None = None, **overrides: Any) -> Options:
        """Defaults, then the config file, then ``overrides`` (``None`` values are ignored)."""
        values: dict[str, Any] = {}
        if config is not None:
            try:
                data = tomllib.loads(Path(config).read_text(encoding="utf-8"))
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise InputError(f"{config}: cannot read the config file: {exc}") from None
            values.update(data.get("summarize", data))
        values.update({k: v for k, v in overrides.items() if v is not None})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise InputError(f"unknown option(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        return cls(**values)

    @property
    def sentence_words(self) -> int:
        if self.max_sentence_words is not None:
            return self.max_sentence_words
        return max(40, min(60, self.words // 4))

    def with_(self, **changes: Any) -> Options:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
