"""The one ingest path: read, clean, hash, de-duplicate, and say what was set aside.

:func:`summarize.brief` and the nightly digest both read their articles here:

* :func:`prepare` (the library): paths, folders, ``"-"``, text, dicts or articles ->
  cleaned articles, exact duplicates dropped, repeated ids made unique.
* :func:`read_inputs` (the digest): files, folders, JSONL, RSS/Atom feed files and feed
  URLs -> raw articles; then :func:`cleaned` yields each cleaned article with its
  :func:`~summarize.nlp.text.content_hash`, which the digest's store de-duplicates on.

Whatever cannot be used is recorded as a :class:`~summarize.records.Skipped` with the
reason, never dropped silently.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from summarize.errors import InputError
from summarize.ingest import feeds, loaders
from summarize.ingest.clean import clean
from summarize.nlp.text import content_hash
from summarize.options import Limits
from summarize.records import Article, Skipped

log = logging.getLogger("summarize")

NO_TEXT = "no article text left after removing page furniture"


@dataclass
class Prepared:
    """Cleaned, de-duplicated articles and what was set aside (with the reason)."""

    articles: list[Article]
    skipped: list[Skipped] = field(default_factory=list)


def cleaned(raw: Iterable[Article], skipped: list[Skipped]) -> Iterator[tuple[Article, str]]:
    """Each article cleaned of page furniture, with its content hash; an article with no
    text left is recorded in ``skipped`` instead."""
    for article in raw:
        tidy = clean(article)
        if not tidy.text.strip():
            skipped.append(Skipped(article.id, NO_TEXT))
            continue
        yield tidy, content_hash(tidy.text)


def prepare(inputs: Any, limits: Limits | None = None) -> Prepared:
    """Read, clean and de-duplicate articles; refuse input that leaves nothing to summarize.

    Raises:
        InputError: nothing was given, or nothing usable is left (the message lists why).
    """
    skipped: list[Skipped] = []
    raw = loaders.read(inputs, skipped, limits)
    if not raw and len(skipped) == 1:
        raise InputError(skipped[0].reason)
    if not raw and not skipped:
        raise InputError("no articles given; pass file paths, a folder, text, or dicts with 'text'")
    kept: list[Article] = []
    seen_text: dict[str, str] = {}
    seen_ids: dict[str, int] = {}
    for article, digest in cleaned(raw, skipped):
        if digest in seen_text:
            skipped.append(Skipped(article.id, f"exact duplicate of {seen_text[digest]}"))
            continue
        if article.id in seen_ids:  # same id, different text: keep both, make the id unique
            seen_ids[article.id] += 1
            article = replace(article, id=f"{article.id}-{seen_ids[article.id]}")
        seen_ids.setdefault(article.id, 1)
        seen_text[digest] = article.id
        kept.append(article)
    for item in skipped:
        log.warning("skipped %s: %s", item.id, item.reason)
    if not kept:
        reasons = "; ".join(f"{s.id}: {s.reason}" for s in skipped)
        raise InputError(f"no usable article text in the input ({reasons})")
    return Prepared(kept, skipped)


def _files(path: Path) -> list[Path]:
    wanted = loaders.SUPPORTED - {""} | feeds.FEED_SUFFIXES
    return sorted(
        p for p in path.rglob("*")
        if p.is_file() and p.suffix.lower() in wanted and not p.name.startswith(".")
        and p.name not in {"references.jsonl", loaders.METADATA_FILE}
    )


def read_inputs(inputs: Sequence[str | Path], skipped: list[Skipped], limits: Limits | None = None) -> list[Article]:
    """Articles of every file, folder, JSONL, feed file or feed URL; unusable ones go to
    ``skipped`` and the rest are read."""
    articles: list[Article] = []
    for item in inputs:
        if feeds.is_url(str(item)):
            try:
                articles.extend(feeds.fetch_feed(str(item), skipped, limits))
            except InputError as exc:
                skipped.append(Skipped(str(item), str(exc)))
            continue
        path = Path(item)
        if not path.exists():
            skipped.append(Skipped(str(path), f"{path}: no such file or folder"))
            continue
        for file in _files(path) if path.is_dir() else [path]:
            try:
                if feeds.looks_like_feed(file):
                    articles.extend(feeds.read_feed(file, skipped, limits))
                else:
                    articles.extend(loaders.read([file], skipped, limits))
            except InputError as exc:
                skipped.append(Skipped(str(file), str(exc)))
    return articles
