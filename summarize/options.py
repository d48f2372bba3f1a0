"""One options object, built once and handed to every stage.

Precedence: defaults <- config file (TOML, ``[summarize]`` table) <- CLI flags <- keyword
arguments. Unknown names are an error, not silently ignored.
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from summarize.errors import InputError


@dataclass(frozen=True)
class Limits:
    """Bounds on the work one input can cause (``docs/limits.md``). Set them in the config
    file's ``[summarize.limits]`` table; what a limit cuts or refuses is reported in
    ``skipped`` (left out) or ``noted`` (kept, changed), never dropped silently.

    Attributes:
        max_file_bytes: Largest input file read (text, HTML, JSON, JSONL, feed file).
        max_article_chars: Longest article text kept; a longer one is cut at a sentence end.
        max_sentences: Most sentences of one article that are scored.
        max_json_depth: Deepest nesting of arrays and objects accepted in JSON input.
        max_html_depth: Deepest element nesting of an HTML page that is read for text.
        feed_timeout_s: Longest wait for any one read of a feed URL.
        feed_deadline_s: Longest time one feed URL may take in all (a trickling server is cut off).
        max_feed_bytes: Largest feed body read from a URL.
        max_redirects: Most redirects followed for one feed URL.
        allow_private_hosts: Fetch feed URLs on loopback, private, link-local or multicast
            addresses (off: only public hosts, checked after DNS and on every redirect).
        max_articles_per_night: Most new articles one digest run takes in.
        follow_symlinks: Read a symlink in an input folder whose target lies outside that
            folder (off: it is skipped with the reason "symlink leaves the input folder").
    """

    max_file_bytes: int = 20 * 1024 * 1024
    max_article_chars: int = 200_000
    max_sentences: int = 2_000
    max_json_depth: int = 64
    max_html_depth: int = 256
    feed_timeout_s: float = 30.0
    feed_deadline_s: float = 60.0
    max_feed_bytes: int = 20 * 1024 * 1024
    max_redirects: int = 5
    allow_private_hosts: bool = False
    max_articles_per_night: int = 20_000
    follow_symlinks: bool = False

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("allow_private_hosts", "follow_symlinks"):
                if not isinstance(value, bool):
                    raise InputError(f"limits.{f.name} must be true or false, got {value!r}")
            elif isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise InputError(f"limits.{f.name} must be a positive number, got {value!r}")

    @classmethod
    def build(cls, values: dict[str, Any] | Limits | None) -> Limits:
        """Limits from a ``[summarize.limits]`` table (unknown names are an error)."""
        if values is None or isinstance(values, Limits):
            return values or cls()
        if not isinstance(values, dict):
            raise InputError(f"limits must be a table of names and values, got {values!r}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise InputError(f"unknown limit(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        return cls(**values)


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
        selection: How claims are chosen (``docs/selection.md``): ``"ilp"`` (concept
            coverage solved exactly, the default), ``"greedy"`` (the same objective, greedy)
            or ``"mmr"`` (maximal marginal relevance, the method before issue 15).
        min_story_articles: Stories with fewer articles are still briefed (1 = keep all).
        cluster_threshold: Similarity threshold of story clustering; ``None`` uses the
            clusterer's documented default.
        pair_model: Re-score article pairs with the learned pair model
            (``docs/clustering.md``), for one-beat streams without dates: it tells apart
            same-beat events a day apart (AllSides undated B-cubed 0.770 -> 0.857) but splits
            topics followed for weeks (MultiLing 0.991 -> 0.619), so it is off by default.
        sample: Generative writer only: sample instead of greedy decoding (greedy, the
            default, is deterministic).
        temperature: Sampling temperature (with ``sample``).
        top_p: Nucleus sampling mass (with ``sample``).
        seed: Seed of the sampler: the same seed gives the same brief.
        limits: Bounds on the work one input can cause (:class:`Limits`).
    """

    words: int = 120
    model: str = "extractive"
    max_sentence_words: int | None = None
    selection: str = "ilp"
    min_story_articles: int = 1
    cluster_threshold: float | None = None
    pair_model: bool = False
    sample: bool = False
    temperature: float = 0.7
    top_p: float = 0.95
    seed: int = 0
    limits: Limits = field(default_factory=Limits)

    def __post_init__(self) -> None:
        object.__setattr__(self, "limits", Limits.build(self.limits))
        if not isinstance(self.words, int) or self.words < 10:
            raise InputError(f"words must be a whole number of at least 10, got {self.words!r}")
        if self.temperature <= 0 or not 0 < self.top_p <= 1:
            raise InputError("temperature must be > 0 and top_p in (0, 1]")
        if self.selection not in ("ilp", "greedy", "mmr"):
            raise InputError(f"selection must be 'ilp', 'greedy' or 'mmr', got {self.selection!r}")
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
