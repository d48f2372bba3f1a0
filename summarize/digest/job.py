"""The nightly digest: a day's articles in, one ranked page of cited story briefs out.

ingest (files, folders, JSONL, RSS/Atom) -> clean -> store (dedup) -> assign stories
(:class:`~summarize.events.cluster.StoryIndex`, ids stable across days) -> rank -> brief (cached)
-> what is new in continuing stories (:mod:`summarize.digest.update`, cached) -> render ``digest.md``, ``digest.json`` (``docs/digest-schema.md``), ``digest.html``.

State lives in a :class:`~summarize.digest.store.Store`; see there why a run killed at any point
can simply be started again. Exit codes of ``summarize digest``: 0 done, 2 bad input
(or a store of a newer or unknown schema version; an older one is upgraded), 3 a missing
model or resource, 75 another run holds the store or SQLite failed temporarily (retry later).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date as Date
from pathlib import Path
from typing import Any

import click

from summarize.digest.render import (  # noqa: F401 - the renderers are part of this module's API
    SCHEMA_VERSION,
    to_dict,
    to_html,
    to_markdown,
    write_log,
    write_outputs,
)
from summarize.digest.store import (
    CachedEmbedder,
    PastStory,
    Store,
    StoreLock,
    sqlite_error,
)
from summarize.digest.update import Update
from summarize.errors import InputError
from summarize.files import ensure_folder
from summarize.ingest import clean as clean_stage
from summarize.ingest import feeds, loaders
from summarize.nlp.embed import Embedder
from summarize.options import Options
from summarize.records import Article, Brief, Evidence, Story

CACHE_VERSION = 1  # bump when a change to the pipeline should invalidate cached briefs
FUTURE_TOLERANCE_DAYS = 1  # time zones: "tomorrow" in Sydney is still today here
TITLE_WORDS = 12  # a headline made from the brief when no article has a title
KILL_ENV = "SUMMARIZE_DIGEST_KILL_AT"  # test hook: SIGKILL self after a stage commits
_ISO_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Skip:
    """An input left out of the digest, or (``kept``) let in with a change or a warning, and why."""

    id: str
    reason: str
    kept: bool = False


@dataclass(frozen=True)
class Previous:
    """The earlier digest a continuing story last appeared in."""

    date: str
    story_id: str
    href: str
    title: str = ""


@dataclass(frozen=True)
class DigestStory:
    """One ranked story of a digest with its brief."""

    rank: int
    story_id: str
    score: float
    brief: Brief
    article_ids: tuple[str, ...]
    outlets: tuple[str, ...]
    cached: bool = False
    previous: Previous | None = None
    update: Update | None = None  # what is new since ``previous``

    @property
    def title(self) -> str:
        """The brief's title, else the earlier brief's, else the opening words of the brief."""
        return self.brief.title or (self.previous.title if self.previous else "") or lead_title(self.brief)


def lead_title(brief: Brief, words: int = TITLE_WORDS) -> str:
    """A headline for a story no article gave one: the brief's first sentence, cut at ``words``."""
    if not brief.sentences:
        return "Untitled story"
    tokens = brief.sentences[0].text.split()
    if len(tokens) <= words:
        return " ".join(tokens).rstrip(".")
    return " ".join(tokens[:words]).rstrip(",;:") + "…"


@dataclass(frozen=True)
class Digest:
    """A day's digest. ``counts``: articles read/new/known/skipped/noted, stories, briefs cached/written."""

    date: str
    stories: tuple[DigestStory, ...]
    skipped: tuple[Skip, ...] = ()
    counts: dict[str, int] = field(default_factory=dict, hash=False)
    model: str = "extractive"


# --- ingest --------------------------------------------------------------------------


def _files(path: Path) -> list[Path]:
    wanted = loaders.SUPPORTED - {""} | feeds.FEED_SUFFIXES
    return sorted(
        p for p in path.rglob("*")
        if p.is_file() and p.suffix.lower() in wanted and not p.name.startswith(".")
        and p.name not in {"references.jsonl", loaders.METADATA_FILE}
    )


def read_inputs(inputs: Sequence[str | Path], skipped: list[Skip]) -> list[Article]:
    """Articles of every file, folder, JSONL or feed file; unusable files go to ``skipped``."""
    articles: list[Article] = []
    for item in inputs:
        if feeds.is_url(str(item)):
            found: list[dict[str, str]] = []
            try:
                articles.extend(feeds.fetch_feed(str(item), found))
            except InputError as exc:
                found.append({"id": str(item), "reason": str(exc)})
            skipped.extend(Skip(s["id"], s["reason"]) for s in found)
            continue
        path = Path(item)
        if not path.exists():
            skipped.append(Skip(str(path), f"{path}: no such file or folder"))
            continue
        for file in _files(path) if path.is_dir() else [path]:
            found = []
            try:
                if feeds.looks_like_feed(file):
                    articles.extend(feeds.read_feed(file, found))
                else:
                    articles.extend(loaders.read([file], found))
            except InputError as exc:
                found.append({"id": str(file), "reason": str(exc)})
            skipped.extend(Skip(s["id"], s["reason"]) for s in found)
    return articles


def content_hash(text: str) -> str:
    return hashlib.sha1(" ".join(text.split()).encode("utf-8")).hexdigest()


def _dated(article: Article, day: Date, skipped: list[Skip]) -> Article:
    """Undated articles get the digest day; a date after the digest day is kept but noted."""
    match = _ISO_DAY.match(article.published)
    if not match:
        why = "no publication date" if not article.published else f"unreadable date {article.published!r}"
        skipped.append(Skip(article.id, f"{why}; dated to the digest day {day}", kept=True))
        return replace(article, published=day.isoformat())
    try:
        published = Date(*map(int, match.groups()))
    except ValueError:
        skipped.append(Skip(article.id, f"impossible date {article.published!r}; dated to {day}", kept=True))
        return replace(article, published=day.isoformat())
    if (published - day).days > FUTURE_TOLERANCE_DAYS:
        skipped.append(Skip(article.id, f"published date {article.published} is after the digest day "
                                        f"{day} (wrong clock or feed?); kept as given", kept=True))
    return article


def prepare(raw: Sequence[Article], day: Date, skipped: list[Skip]) -> list[tuple[Article, str]]:
    """Cleaned, dated articles with their content hash; those left without text are skipped."""
    out = []
    for article in raw:
        cleaned = clean_stage.clean(article)
        if not cleaned.text.strip():
            skipped.append(Skip(article.id, "no article text left after removing page furniture"))
            continue
        out.append((_dated(cleaned, day, skipped), content_hash(cleaned.text)))
    return out


# --- stories, ranking, briefs ----------------------------------------------------------


def _key(article: Article) -> tuple[bool, str, str]:
    return (not article.published, article.published, article.id)


def _day_of(published: str) -> Date | None:
    match = _ISO_DAY.match(published)
    return Date(*map(int, match.groups())) if match else None


def score(story: Story, day: Date) -> float:
    """Rank of a story: distinct outlets count most, then recency, then size.

    ``2 * outlets + 1 / (1 + age in days of the newest article) + 0.5 * log2(1 + articles)``;
    unknown outlets count by article id, so they are never merged into one.
    """
    import math

    newest = max((d for a in story.articles if (d := _day_of(a.published))), default=day)
    age = max(0, (day - newest).days)
    return round(2 * len(story.outlets) + 1 / (1 + age) + 0.5 * math.log2(1 + len(story.articles)), 4)


def brief_key(story: Story, hashes: dict[str, str], opts: Options, embedder_name: str) -> str:
    """What a brief is made from: member ids and content hashes, options, model, embedder."""
    payload = {
        "cache": CACHE_VERSION, "story": story.id, "options": opts.to_dict(), "model": opts.model,
        "embedder": embedder_name, "articles": sorted((a.id, hashes[a.id]) for a in story.articles),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode("utf-8")).hexdigest()


def _brief(story: Story, opts: Options, vectors: Embedder) -> tuple[Brief, Evidence]:
    """A new brief of ``story`` and the evidence it was made from."""
    from summarize import pipeline
    from summarize.events import syndication
    from summarize.evidence.score import score_story

    story = replace(story, voices=syndication.voices(story.articles))
    timings: dict[str, float] = {}
    evidence = score_story(story, vectors, timings=timings)
    return pipeline.brief_story(story, opts, embedder=vectors, timings=timings, evidence=evidence), evidence


def update_key(brief_key_: str, past: PastStory) -> str:
    """What "what is new" is made from: today's brief and the earlier digest's brief."""
    payload = {"cache": CACHE_VERSION, "brief": brief_key_, "previous": [past.day, past.brief_key]}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode("utf-8")).hexdigest()


def _update(db: Store, story: Story, made: Brief, evidence: Evidence | None, past: PastStory,
            earlier: dict[str, Any] | None, key: str, opts: Options, vectors: Embedder, day: Date) -> Update:
    """What is new in a continuing story since its earlier digest (cached like briefs)."""
    from summarize.digest import update
    from summarize.evidence.score import score_story

    ukey = update_key(key, past)
    if (data := db.get_update(ukey)) is not None:
        return Update.from_dict(data)
    if evidence is None:  # the brief came from the cache; its evidence is cheap to rebuild (vectors are stored)
        from summarize.events import syndication

        evidence = score_story(replace(story, voices=syndication.voices(story.articles)), vectors)
    made_update = update.whats_new(
        evidence, made, since=past.day, earlier_articles=db.story_articles(story.id, day.isoformat()),
        earlier_brief=Brief.from_dict(earlier) if earlier else None, embedder=vectors, options=opts,
    )
    db.put_update(ukey, story.id, day.isoformat(), made_update.to_dict())
    _hook("update")
    return made_update


def _hook(stage: str) -> None:
    if os.environ.get(KILL_ENV) == stage:
        os.kill(os.getpid(), signal.SIGKILL)


def run(
    inputs: Sequence[str | Path],
    *,
    date: str,
    out_dir: str | Path,
    store: str | Path,
    options: Options | None = None,
    embedder: Embedder | None = None,
    progress: Progress | None = None,
) -> Digest:
    """Run the digest of ``date`` and write ``digest.md``/``.json``/``.html`` into ``out_dir``.

    Raises:
        InputError: a bad date, no readable article at all, a store of a newer or unknown schema, a failed upgrade.
        StoreBusyError: another run holds the store (exit code 75).
        OutputError: the output or store folder cannot be created, or an output cannot be written.
    """
    try:
        day = Date.fromisoformat(date)
    except ValueError:
        raise InputError(f"--date {date!r} is not a date; use YYYY-MM-DD") from None
    opts = options or Options()
    out = ensure_folder(Path(out_dir), "output")
    ensure_folder(Path(store).parent, "store")
    tell = progress or (lambda stage, done, total: None)
    with StoreLock(Path(store)), Store(store) as db:
        try:
            return _run(db, inputs, day, out, opts, embedder, tell)
        except sqlite3.DatabaseError as exc:
            raise sqlite_error(db.path, exc) from None


def _ingest(db: Store, inputs: Sequence[str | Path], day: Date, skipped: list[Skip]):
    """Read, clean and store the inputs (committed before anything else happens)."""
    raw = read_inputs(inputs, skipped)
    if not raw and not db.articles_of_day(day.isoformat()):
        reasons = "; ".join(s.reason for s in skipped) or "no inputs"
        raise InputError(f"no readable article for {day}: {reasons}")
    added = db.add_articles(prepare(raw, day, skipped), day.isoformat())
    for given, stored, first in added.known:
        if first != day.isoformat():
            skipped.append(Skip(given, f"already in the store as {stored} (from {first})"))
    return raw, added


def _assign(db: Store, embedder: Embedder, skipped: list[Skip]) -> None:
    """Put every stored article without a story (this run's, or a killed run's) in one."""
    from summarize.events.cluster import StoryIndex

    pending = db.pending()
    if not pending:
        return
    index = db.load_index() or StoryIndex()
    result = index.assign(pending, embedder=embedder)
    db.save_assignments(index, result.assignments, [s.article_id for s in result.skipped])
    skipped.extend(Skip(s.article_id, f"not placed in a story: {s.reason}") for s in result.skipped)


def _day_stories(db: Store, day: Date, skipped: list[Skip]) -> tuple[list[tuple[float, Story]], dict[str, str]]:
    """The day's stories, ranked, and the content hash of each of their articles."""
    noted = {s.id for s in skipped}
    groups: dict[str, list[Article]] = {}
    hashes: dict[str, str] = {}
    for article, digest_hash, sid in db.articles_of_day(day.isoformat()):
        hashes[article.id] = digest_hash
        if sid:
            groups.setdefault(sid, []).append(article)
        elif sid == "" and article.id not in noted:
            skipped.append(Skip(article.id, "not placed in any story (language or no text); kept in the store"))
    # Voices (syndication) are only worked out for stories that need a new brief.
    found = [Story(id=sid, articles=tuple(sorted(m, key=_key))) for sid, m in groups.items()]
    return sorted(((score(s, day), s) for s in found), key=lambda p: (-p[0], p[1].id)), hashes


def _run(db: Store, inputs: Sequence[str | Path], day: Date, out: Path, opts: Options,
         embedder: Embedder | None, tell: Progress) -> Digest:
    from summarize.nlp.embed import default_embedder

    skipped: list[Skip] = []
    tell("read", 0, len(inputs))
    raw, added = _ingest(db, inputs, day, skipped)
    _hook("articles")
    tell("cluster", 0, 1)
    # Vectors are kept in the store; the model loads only if some text was never embedded.
    vectors = CachedEmbedder(embedder if embedder is not None else default_embedder(), db)
    _assign(db, vectors, skipped)
    _hook("stories")
    ranked, hashes = _day_stories(db, day, skipped)

    results: list[DigestStory] = []
    keys: list[tuple[str, str]] = []
    for rank, (value, story) in enumerate(ranked, start=1):
        tell("brief", rank - 1, len(ranked))
        key = brief_key(story, hashes, opts, vectors.name)
        cached = db.get_brief(key)
        evidence = None
        if cached is not None:
            made = Brief.from_dict(cached)
        else:
            made, evidence = _brief(story, opts, vectors)
            db.put_brief(key, story.id, day.isoformat(), made.to_dict())
            _hook("brief")
        previous = update = None
        if past := db.previous(story.id, day.isoformat()):
            href = os.path.relpath(Path(past.out_dir) / "digest.html", out.resolve()) + f"#{past.story_id}"
            earlier = db.get_brief(past.brief_key)
            previous = Previous(past.day, past.story_id, href, (earlier or {}).get("title", ""))
            update = _update(db, story, made, evidence, past, earlier, key, opts, vectors, day)
        results.append(DigestStory(rank, story.id, value, made, tuple(a.id for a in story.articles),
                                   story.outlets, cached is not None, previous, update))
        keys.append((story.id, key))
    tell("brief", len(ranked), len(ranked))

    cached_count = sum(s.cached for s in results)
    counts = {"read": len(raw), "new": len(added.new), "known": len(added.known),
              "skipped": sum(not s.kept for s in skipped), "noted": sum(s.kept for s in skipped),
              "stories": len(results),
              "briefs_cached": cached_count, "briefs_written": len(results) - cached_count}
    result = Digest(day.isoformat(), tuple(results), tuple(skipped), counts, opts.model)
    write_outputs(result, out)
    db.finish_run(day.isoformat(), str(out.resolve()), keys)
    write_log(out / "digest.log", result)
    return result


# --- command line ----------------------------------------------------------------------


def _default_store() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(base) / "summarize" / "digest.sqlite"


@click.command("digest")
@click.option("--input", "inputs", multiple=True, required=True,
              help="File, folder, .jsonl, RSS/Atom feed file or feed URL (repeatable).")
@click.option("--date", "day", required=True, help="Digest day, YYYY-MM-DD.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for digest.md, digest.json, digest.html and digest.log.")
@click.option("--store", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="SQLite state file [$XDG_STATE_HOME/summarize/digest.sqlite].")
@click.option("--model", default=None, help="extractive | default | fast | a model id or folder.")
@click.option("--words", type=int, default=None, help="Target length of each brief in words [120].")
@click.option("--quiet", is_flag=True, help="No progress bar or summary (for cron).")
def digest_command(inputs, day, out_dir, store, model, words, quiet) -> None:
    """Brief the day's stories into OUT/digest.{md,json,html}.

    Exit codes: 0 done, 2 bad input, 3 missing model or resource, 4 the model failed,
    5 an output or the store's folder cannot be written, 75 another run holds the store
    (try again later).
    """
    options = Options.build(model=model, words=words)
    store = store or _default_store()
    if quiet:
        result = run(list(inputs), date=day, out_dir=out_dir, store=store, options=options)
    else:
        from rich.console import Console
        from rich.progress import Progress as Bar

        with Bar(console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task("digest", total=None)

            def tell(stage: str, done: int, total: int) -> None:
                bar.update(task, description=stage, completed=done, total=total or None)

            result = run(list(inputs), date=day, out_dir=out_dir, store=store, options=options, progress=tell)
    if not quiet:
        c = result.counts
        click.echo(f"{result.date}: {c['stories']} stories ({c['briefs_written']} written, "
                   f"{c['briefs_cached']} cached) from {c['new']} new articles; {c['skipped']} skipped, "
                   f"{c['noted']} noted in {out_dir}/digest.log", err=True)
