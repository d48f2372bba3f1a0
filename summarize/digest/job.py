"""The nightly digest: a day's articles in, one ranked page of cited story briefs out.

ingest (files, folders, JSONL, RSS/Atom) -> clean -> store (dedup) -> assign stories
(:class:`~summarize.events.cluster.StoryIndex`, ids stable across days) -> rank -> brief (cached)
-> what is new in continuing stories (:mod:`summarize.digest.update`, cached) -> render ``digest.md``, ``digest.json`` (``docs/digest-schema.md``), ``digest.html``.

State lives in a :class:`~summarize.digest.store.Store`; see there why a run killed at any point
can simply be started again: every stage commits before the next begins, and ``checkpoint``
(a callable given to :func:`run`) is told the name of each stage as it commits, which is how
the tests kill a run at a chosen moment. Exit codes of ``summarize digest``: 0 done, 2 bad input
(or a store of a newer or unknown schema version; an older one is upgraded), 3 a missing
model or resource, 4 the model failed, 5 an output cannot be written, 6 the store cannot be
used (read-only, disk full, damaged: a person must act), 75 another run holds the store or
SQLite or the system failed temporarily (the only code worth retrying). See
``docs/digest-schema.md``.

A run takes at most ``limits.max_articles_per_night`` new articles, in input order; the rest
are not stored and are listed as skipped (the first :data:`DEFERRED_LISTED` one by one, the
others in one entry), so they come in when the inputs give them again.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date as Date
from datetime import timedelta
from pathlib import Path
from typing import Any

from summarize.digest import update
from summarize.digest.engine import Engine, LocalEngine, write_brief
from summarize.digest.rank import ISO_DAY, brief_key, member_key, score, update_key
from summarize.digest.records import Digest, DigestStory, Previous
from summarize.digest.render import write_log, write_outputs
from summarize.digest.store import (
    CachedEmbedder,
    PastStory,
    Store,
    StoreLock,
    sqlite_error,
)
from summarize.digest.update import Update
from summarize.errors import InputError, StoreError
from summarize.events import syndication
from summarize.events.cluster import StoryIndex
from summarize.evidence.score import score_story
from summarize.files import ensure_folder
from summarize.ingest.prepare import cleaned, read_inputs
from summarize.nlp.embed import Embedder, default_embedder
from summarize.options import Options
from summarize.records import Article, Brief, Evidence, Skipped, Story

FUTURE_TOLERANCE_DAYS = 1  # time zones: "tomorrow" in Sydney is still today here
STAGES = ("articles", "stories", "brief", "update")  # what ``checkpoint`` is told, as each commits
DEFERRED_LISTED = 1_000  # articles over the nightly limit listed one by one; the rest in one entry

Progress = Callable[[str, int, int], None]
Checkpoint = Callable[[str], None]


def _dated(article: Article, day: Date, skipped: list[Skipped]) -> Article:
    """Undated articles get the digest day; a date after the digest day is kept but noted."""
    match = ISO_DAY.match(article.published)
    if not match:
        why = "no publication date" if not article.published else f"unreadable date {article.published!r}"
        skipped.append(Skipped(article.id, f"{why}; dated to the digest day {day}", kept=True))
        return replace(article, published=day.isoformat())
    try:
        published = Date(*map(int, match.groups()))
    except ValueError:
        skipped.append(Skipped(article.id, f"impossible date {article.published!r}; dated to {day}", kept=True))
        return replace(article, published=day.isoformat())
    if (published - day).days > FUTURE_TOLERANCE_DAYS:
        skipped.append(Skipped(article.id, f"published date {article.published} is after the digest day "
                                           f"{day} (wrong clock or feed?); kept as given", kept=True))
    return article


def prepare(raw: Sequence[Article], day: Date, skipped: list[Skipped],
            engine: Engine | None = None) -> list[tuple[Article, str]]:
    """Cleaned (by ``engine``), dated articles with their content hash; those left without text are skipped."""
    pairs = engine.clean(raw, skipped) if engine is not None else cleaned(raw, skipped)
    return [(_dated(article, day, skipped), digest_hash) for article, digest_hash in pairs]


def _update(db: Store, story: Story, made: Brief, evidence: Evidence | None, past: PastStory,
            earlier: dict[str, Any] | None, key: str, opts: Options, vectors: Embedder, day: Date,
            checkpoint: Checkpoint) -> Update:
    """What is new in a continuing story since its earlier digest (cached like briefs)."""
    ukey = update_key(key, past)
    if (data := db.get_update(ukey)) is not None:
        return Update.from_dict(data)
    if evidence is None:  # the brief came from the cache; its evidence is cheap to rebuild (vectors are stored)
        evidence = score_story(replace(story, voices=syndication.voices(story.articles)), vectors)
    made_update = update.whats_new(
        evidence, made, since=past.day, earlier_articles=db.story_articles(story.id, day.isoformat()),
        earlier_brief=Brief.from_dict(earlier) if earlier else None, embedder=vectors, options=opts,
    )
    db.put_update(ukey, story.id, day.isoformat(), made_update.to_dict())
    checkpoint("update")
    return made_update


def run(
    inputs: Sequence[str | Path],
    *,
    date: str,
    out_dir: str | Path,
    store: str | Path,
    options: Options | None = None,
    embedder: Embedder | None = None,
    progress: Progress | None = None,
    checkpoint: Checkpoint | None = None,
    engine: Engine | None = None,
) -> Digest:
    """Run the digest of ``date`` and write ``digest.md``/``.json``/``.html`` into ``out_dir``.

    ``progress(stage, done, total)`` is told how far the run is; ``checkpoint(stage)`` is
    called right after each stage of :data:`STAGES` is committed to the store. ``engine``
    runs cleaning, embedding and brief writing (:mod:`summarize.digest.engine`; default: this
    process); everything else, and every write to the store, stays here.

    Raises:
        InputError: a bad date, no readable article at all, a store of a newer or unknown schema, a failed upgrade.
        StoreBusyError: another run holds the store, or a temporary failure (exit code 75).
        StoreError: the store or its folder cannot be created, opened or written (read-only, disk
            full), or the store is damaged (exit code 6).
        OutputError: the output folder cannot be created, or an output cannot be written.
    """
    try:
        day = Date.fromisoformat(date)
    except ValueError:
        raise InputError(f"--date {date!r} is not a date; use YYYY-MM-DD") from None
    opts = options or Options()
    out = ensure_folder(Path(out_dir), "output")
    ensure_folder(Path(store).parent, "store", StoreError)
    tell = progress or (lambda stage, done, total: None)
    with StoreLock(Path(store)), Store(store) as db, engine or LocalEngine() as work:
        try:
            return _run(db, inputs, day, out, opts, embedder, tell, checkpoint or (lambda stage: None), work)
        except sqlite3.DatabaseError as exc:
            raise sqlite_error(db.path, exc) from None


def _ingest(db: Store, inputs: Sequence[str | Path], day: Date, skipped: list[Skipped], opts: Options,
            engine: Engine):
    """Read, clean and store the inputs (committed before anything else happens)."""
    raw = read_inputs(inputs, skipped, opts.limits)
    if not raw and not db.articles_of_day(day.isoformat()):
        reasons = "; ".join(s.reason for s in skipped) or "no inputs"
        raise InputError(f"no readable article for {day}: {reasons}")
    limit = opts.limits.max_articles_per_night
    notes: list[Skipped] = []
    added = db.add_articles(prepare(raw, day, notes, engine), day.isoformat(), limit=limit)
    # An article left for a later run is noted (a re-dated article...) when it is taken.
    later = set(added.deferred) - set(added.new)
    skipped.extend(s for s in notes if not (s.kept and s.id in later))
    for given, stored, first in added.known:
        if first != day.isoformat():
            skipped.append(Skipped(given, f"already in the store as {stored} (from {first})"))
    why = (f"over the nightly limit of {limit} new articles (limits.max_articles_per_night); "
           "not stored, give it again in a later run")
    skipped.extend(Skipped(given, why) for given in added.deferred[:DEFERRED_LISTED])
    if (rest := len(added.deferred) - DEFERRED_LISTED) > 0:
        skipped.append(Skipped("limits.max_articles_per_night",
                               f"{rest} more new articles over the nightly limit of {limit} are not listed "
                               f"one by one (the first {DEFERRED_LISTED} are); not stored, give them again "
                               "in a later run"))
    return raw, added


REBUILD_DAYS = 30  # an index of an earlier clusterer is rebuilt from this many days of articles


def _assign(db: Store, embedder: Embedder, skipped: list[Skipped], day: Date) -> StoryIndex | None:
    """Put every stored article without a story (this run's, or a killed run's) in one, and
    return the story index as saved (``None`` when there is none yet).

    A story index saved by an earlier clusterer (another ``StoryIndex.VERSION``) is rebuilt
    from the articles of the last :data:`REBUILD_DAYS` days, so continuing stories still
    find their earlier days: a story keeps its id when its first article stays first
    (ids derive from it); the embeddings come from the store's cache.
    """
    pending = db.pending()
    index = db.load_index()
    if not pending:
        return index
    if index is None and db.index_outdated():
        since = (day - timedelta(days=REBUILD_DAYS)).isoformat()
        earlier = [a for a in db.placed_since(since) if a.id not in {p.id for p in pending}]
        skipped.append(Skipped("story index", f"saved by an earlier clusterer; rebuilt from {len(earlier)} "
                                              f"articles stored since {since}", kept=True))
        pending = earlier + pending
    index = index or StoryIndex()
    result = index.assign(pending, embedder=embedder)
    db.save_assignments(index, result.assignments, [s.id for s in result.skipped])
    skipped.extend(Skipped(s.id, f"not placed in a story: {s.reason}") for s in result.skipped)
    return index


RELATED_MAX = 5  # related stories named per story: the latest of its thread


def _with_related(db: Store, index: StoryIndex | None, results: list[DigestStory],
                  day: Date) -> list[DigestStory]:
    """Each story with the other stories of its thread (``events.threads``) that a reader
    has seen: on tonight's page, or in an earlier digest (with that brief's title)."""
    if index is None:
        return results
    tonight = {s.story_id: s.title for s in results}
    tomorrow = (day + timedelta(days=1)).isoformat()

    def title(story_id: str) -> str:
        if story_id in tonight:
            return tonight[story_id]
        past = db.previous(story_id, tomorrow)
        brief = db.get_brief(past.brief_key) if past else None
        return (brief or {}).get("title", "")

    out = []
    for story in results:
        named = [(sid, t) for sid in index.related(story.story_id) if (t := title(sid))]
        out.append(replace(story, related=tuple(named[-RELATED_MAX:])))
    return out


def _day_stories(db: Store, day: Date, skipped: list[Skipped]) -> tuple[list[tuple[float, Story]], dict[str, str]]:
    """The day's stories, ranked, and the content hash of each of their articles."""
    noted = {s.id for s in skipped}
    groups: dict[str, list[Article]] = {}
    hashes: dict[str, str] = {}
    for article, digest_hash, sid in db.articles_of_day(day.isoformat()):
        hashes[article.id] = digest_hash
        if sid:
            groups.setdefault(sid, []).append(article)
        elif sid == "" and article.id not in noted:
            skipped.append(Skipped(article.id, "not placed in any story (language or no text); kept in the store"))
    # Voices (syndication) are only worked out for stories that need a new brief.
    found = [Story(id=sid, articles=tuple(sorted(m, key=member_key))) for sid, m in groups.items()]
    return sorted(((score(s, day), s) for s in found), key=lambda p: (-p[0], p[1].id)), hashes


def _briefs_ahead(db: Store, engine: Engine, ranked: list[tuple[float, Story]], hashes: dict[str, str],
                  opts: Options, vectors: CachedEmbedder, day: Date, tell: Progress,
                  checkpoint: Checkpoint) -> set[str]:
    """The keys of the briefs ``engine`` wrote ahead of the ranked loop (none for the local
    engine), each stored with the vectors made for it as it came back.

    Keys are content keys, so a brief a retried task sends twice is stored once, and a brief
    already stored (an earlier night, a killed run) is not asked for.
    """
    jobs: dict[str, Story] = {}
    for _, story in ranked:
        key = brief_key(story, hashes, opts, vectors.name)
        if key not in jobs and db.get_brief(key) is None:
            jobs[key] = story
    done: set[str] = set()
    for made, made_vectors in engine.briefs(list(jobs.items()), opts, vectors):
        db.put_vectors(made_vectors)
        for key, brief in made:
            if key in jobs and key not in done:
                db.put_brief(key, jobs[key].id, day.isoformat(), brief.to_dict())
                done.add(key)
                checkpoint("brief")
        tell("brief", len(done), len(jobs))
    return done


def _run(db: Store, inputs: Sequence[str | Path], day: Date, out: Path, opts: Options,
         embedder: Embedder | None, tell: Progress, checkpoint: Checkpoint, engine: Engine) -> Digest:
    skipped: list[Skipped] = []
    tell("read", 0, len(inputs))
    raw, added = _ingest(db, inputs, day, skipped, opts, engine)
    checkpoint("articles")
    tell("cluster", 0, 1)
    # Vectors are kept in the store; the model loads only if some text was never embedded.
    vectors = CachedEmbedder(engine.embedder(embedder if embedder is not None else default_embedder()), db)
    index = _assign(db, vectors, skipped, day)
    checkpoint("stories")
    ranked, hashes = _day_stories(db, day, skipped)
    made_ahead = _briefs_ahead(db, engine, ranked, hashes, opts, vectors, day, tell, checkpoint)

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
            made, evidence = write_brief(story, opts, vectors)
            db.put_brief(key, story.id, day.isoformat(), made.to_dict())
            checkpoint("brief")
        previous = update = None
        if past := db.previous(story.id, day.isoformat()):
            href = os.path.relpath(Path(past.out_dir) / "digest.html", out.resolve()) + f"#{past.story_id}"
            earlier = db.get_brief(past.brief_key)
            previous = Previous(past.day, past.story_id, href, (earlier or {}).get("title", ""))
            update = _update(db, story, made, evidence, past, earlier, key, opts, vectors, day, checkpoint)
        results.append(DigestStory(rank, story.id, value, made, tuple(a.id for a in story.articles),
                                   story.outlets, cached is not None and key not in made_ahead, previous, update))
        keys.append((story.id, key))
    tell("brief", len(ranked), len(ranked))
    results = _with_related(db, index, results, day)

    cached_count = sum(s.cached for s in results)
    counts = {"read": len(raw), "new": len(added.new), "known": len(added.known),
              "deferred": len(added.deferred),
              "skipped": sum(not s.kept for s in skipped), "noted": sum(s.kept for s in skipped),
              "stories": len(results),
              "briefs_cached": cached_count, "briefs_written": len(results) - cached_count}
    result = Digest(day.isoformat(), tuple(results), tuple(skipped), counts, opts.model)
    write_outputs(result, out)
    db.finish_run(day.isoformat(), str(out.resolve()), keys)
    write_log(out / "digest.log", result)
    return result
