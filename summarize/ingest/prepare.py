"""The one ingest path: read, clean, hash, de-duplicate, and say what was set aside.

:func:`summarize.brief` and the nightly digest both read their articles here:

* :func:`prepare` (the library): paths, folders, ``"-"``, text, dicts or articles ->
  cleaned articles, exact duplicates dropped, repeated ids made unique.
* :func:`read_inputs` (the digest): files, folders, JSONL, RSS/Atom feed files and feed
  URLs -> raw articles; then :func:`cleaned` yields each cleaned article with its
  :func:`~summarize.nlp.text.content_hash`, which the digest's store de-duplicates on.

Whatever cannot be used is recorded as a :class:`~summarize.records.Skipped` with the
reason, never dropped silently: a bad file, line or record, a file over a limit, a symlink
out of an input folder, an article in another language (:func:`foreign_script`: checked
before cleaning, which would otherwise take a paragraph of Chinese for page furniture), an
article with no text left. What a limit cuts but keeps is noted the same way
(``kept=True``). See ``docs/limits.md``.
"""

from __future__ import annotations

import logging
import re
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

# Letters of the scripts English is not written in, and the language a reader would guess.
_SCRIPTS = (
    ("Russian", "Cyrillic", re.compile(r"[\u0400-\u04ff\u0500-\u052f]")),
    ("Arabic", "Arabic", re.compile(r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")),
    ("Japanese", "kana", re.compile(r"[\u3040-\u30ff]")),
    ("Chinese", "Han", re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")),
    ("Korean", "Hangul", re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")),
    ("Hebrew", "Hebrew", re.compile(r"[\u0590-\u05ff]")),
    ("Greek", "Greek", re.compile(r"[\u0370-\u03ff]")),
    ("Hindi", "Devanagari", re.compile(r"[\u0900-\u097f]")),
    ("Thai", "Thai", re.compile(r"[\u0e00-\u0e7f]")),
)
_LETTER = re.compile(r"[^\W\d_]")
_SAMPLE_CHARS = 20_000


def foreign_script(text: str) -> str:
    """``"Russian: Cyrillic script"`` when most letters of ``text`` are of a script English is
    not written in, else ``""``. A cheap check on the first 20,000 characters; Latin-script
    languages are left to the clusterer's stop-word check (``events/cluster.py``)."""
    sample = text[:_SAMPLE_CHARS]
    letters = len(_LETTER.findall(sample))
    if not letters:
        return ""
    counts = {language: (len(pattern.findall(sample)), script) for language, script, pattern in _SCRIPTS}
    kana, han = counts["Japanese"][0], counts["Chinese"][0]
    if kana and (kana + han) * 2 > letters:  # Japanese writes with kana and Han together
        return "Japanese: kana and Han script"
    found, language, script = max((n, language, script) for language, (n, script) in counts.items())
    return f"{language}: {script} script" if found * 2 > letters else ""


def _language_problem(article: Article) -> str:
    if article.language == "en":
        return ""
    found = foreign_script(article.text)
    return f"not English (looks like {found}); summarize briefs English articles only" if found else ""


@dataclass
class Prepared:
    """Cleaned, de-duplicated articles and what was set aside (with the reason)."""

    articles: list[Article]
    skipped: list[Skipped] = field(default_factory=list)


def cleaned(raw: Iterable[Article], skipped: list[Skipped]) -> Iterator[tuple[Article, str]]:
    """Each article cleaned of page furniture, with its content hash; an article in another
    language, or with no text left, is recorded in ``skipped`` instead."""
    for article in raw:
        problem = _language_problem(article)
        if problem:
            skipped.append(Skipped(article.id, problem))
            continue
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
        raise InputError(said(skipped[0]))
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
        log.warning("%s %s: %s", "noted" if item.kept else "skipped", item.id, item.reason)
    if not kept:
        raise InputError(f"no usable article text in the input ({why([s for s in skipped if not s.kept])})")
    return Prepared(kept, skipped)


def said(item: Skipped) -> str:
    """``"id: reason"``, or the reason alone when it already names the input."""
    return item.reason if item.reason.startswith(item.id) else f"{item.id}: {item.reason}"


def why(skipped: Sequence[Skipped], most: int = 5) -> str:
    """What was set aside and why, on one line: the first ``most`` items, then a count."""
    listed = "; ".join(said(s) for s in skipped[:most])
    return listed + (f"; and {len(skipped) - most} more" if len(skipped) > most else "")


def read_inputs(inputs: Sequence[str | Path], skipped: list[Skipped], limits: Limits | None = None) -> list[Article]:
    """Articles of every file, folder, JSONL, feed file or feed URL; unusable ones (a bad
    file, JSON line or record, a symlink out of a folder) go to ``skipped`` and the rest are
    read, each cut to ``limits`` (:func:`~summarize.ingest.loaders.bound`, noted in
    ``skipped``)."""
    articles: list[Article] = []
    for item in inputs:
        if feeds.is_url(str(item)):
            try:
                articles.extend(loaders.bound(a, limits, skipped) for a in feeds.fetch_feed(str(item), skipped, limits))
            except InputError as exc:
                skipped.append(Skipped(str(item), str(exc)))
            continue
        path = Path(item)
        if not path.exists():
            skipped.append(Skipped(str(path), f"{path}: no such file or folder"))
            continue
        wanted = loaders.SUPPORTED - {""} | feeds.FEED_SUFFIXES
        for file in loaders.folder_files(path, wanted, skipped, limits) if path.is_dir() else [path]:
            try:
                if feeds.looks_like_feed(file):
                    articles.extend(loaders.bound(a, limits, skipped) for a in feeds.read_feed(file, skipped, limits))
                else:
                    articles.extend(loaders.read([file], skipped, limits))
            except InputError as exc:
                skipped.append(Skipped(str(file), str(exc)))
    return articles
