"""The digest's state in one SQLite file: articles, the story index, briefs, past digests.

Written for a nightly job that may be killed at any moment. Each step commits in its own
transaction, in this order, and every step is idempotent, so a rerun picks up where the
killed run stopped:

1. ``add_articles``: new articles (deduplicated by URL and by content hash) with the day
   they arrived and no story yet.
2. ``save_assignments``: the story of each pending article together with the updated
   :class:`~summarize.events.cluster.StoryIndex` (one transaction, so they never disagree).
3. ``put_brief``: one cached brief per story, keyed by what it was made from.
4. ``finish_run``: the day's story list, for continuity links from later days.

The file uses WAL journaling (readers never block the writer) and carries its schema
version in ``schema_version``. A file of an older version is upgraded in place by the
migrations in :data:`MIGRATIONS`, after a copy of it is saved beside it
(``<store>.v<N>.bak``), all in one transaction, so a failed or killed upgrade leaves the old
file as it was. A file of a newer version (written by a newer summarize) is refused with a
message that says what to do. :class:`StoreLock` keeps two runs apart; it locks the real
file (symlinks resolved), so two paths to one store share one lock.

Opening checks the file (``PRAGMA quick_check``) before anything is written: a damaged store
is refused as it is, byte for byte. Failures are classified by what a retry can do
(:func:`sqlite_error`, :func:`summarize.errors.os_error`): SQLite busy or locked, and errnos
such as ``EAGAIN``, are a :class:`~summarize.errors.StoreBusyError` (exit 75, retry later);
a read-only or unpermitted file or folder, a full disk or quota, a damaged file, an I/O error
are a :class:`~summarize.errors.StoreError` (exit 6, a person must act); a file that is not
a summarize store, or of another schema version, an :class:`~summarize.errors.InputError`.
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Self

import numpy as np

from summarize.errors import (
    InputError,
    StoreBusyError,
    StoreError,
    SummarizeError,
    os_error,
)
from summarize.events.cluster import StoryIndex
from summarize.records import Article

SCHEMA_VERSION = 2

_SCHEMA = """
CREATE TABLE schema_version (version INTEGER NOT NULL);
CREATE TABLE articles (
    id TEXT PRIMARY KEY,
    url TEXT,
    content_hash TEXT NOT NULL UNIQUE,
    day TEXT NOT NULL,
    story_id TEXT,
    data TEXT NOT NULL
);
CREATE UNIQUE INDEX articles_url ON articles(url) WHERE url IS NOT NULL;
CREATE INDEX articles_day ON articles(day);
CREATE INDEX articles_pending ON articles(story_id) WHERE story_id IS NULL;
CREATE TABLE story_index (id INTEGER PRIMARY KEY CHECK (id = 1), meta TEXT NOT NULL, arrays BLOB NOT NULL);
CREATE TABLE briefs (key TEXT PRIMARY KEY, story_id TEXT NOT NULL, day TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE digest_stories (
    day TEXT NOT NULL, story_id TEXT NOT NULL, rank INTEGER NOT NULL, brief_key TEXT NOT NULL,
    out_dir TEXT NOT NULL, PRIMARY KEY (day, story_id)
);
"""
# Version 2: sentence embeddings cached by content (a story that grows is not re-embedded,
# and "what is new" compares against earlier articles without embedding them again), and
# the "what is new" of continuing stories cached like briefs.
_SCHEMA_V2 = """
CREATE INDEX articles_story ON articles(story_id);
CREATE TABLE embeddings (key TEXT PRIMARY KEY, vector BLOB NOT NULL);
CREATE TABLE updates (key TEXT PRIMARY KEY, story_id TEXT NOT NULL, day TEXT NOT NULL, data TEXT NOT NULL);
"""


def _statements(script: str) -> list[str]:
    return [s for s in script.split(";") if s.strip()]


# MIGRATIONS[n] upgrades a version-n file to version n + 1 inside the caller's transaction.
MIGRATIONS: dict[int, list[str]] = {1: _statements(_SCHEMA_V2)}


@dataclass(frozen=True)
class Added:
    """Outcome of :meth:`Store.add_articles`.

    Attributes:
        new: Ids of the articles stored by this call.
        known: Input id -> stored id of articles the store already held (same URL or text),
            with the day they were first stored.
        deferred: Input ids of new articles not stored because ``limit`` new ones were.
    """

    new: tuple[str, ...]
    known: tuple[tuple[str, str, str], ...]
    deferred: tuple[str, ...] = ()


@dataclass(frozen=True)
class PastStory:
    """Where an earlier digest showed a story."""

    day: str
    story_id: str
    out_dir: str
    brief_key: str


def article_to_json(article: Article) -> str:
    return json.dumps(asdict(article), ensure_ascii=False)


def article_from_json(text: str) -> Article:
    data = json.loads(text)
    data["furniture"] = tuple(data.get("furniture", ()))
    return Article(**data)


class StoreLock:
    """An exclusive ``flock`` on ``<store>.lock`` beside the real store file, held for a whole run.

    The store path is resolved first (:meth:`Path.resolve`), so a symlink to the store, or to
    a folder on its path, reaches the same lock file. (Hard links and bind mounts are not
    followed: give every job the same path.)

    Raises:
        StoreBusyError: another process holds the lock, or the system said "try again".
        StoreError: the lock file cannot be created or written (read-only folder, disk full...).
    """

    def __init__(self, store_path: str | Path) -> None:
        try:
            real = Path(store_path).resolve()
        except (OSError, RuntimeError) as exc:  # a symlink loop
            raise StoreError(f"{store_path}: cannot find the store's real path: {exc}") from None
        self.path = Path(f"{real}.lock")
        self._fd: int | None = None

    def __enter__(self) -> Self:
        try:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise os_error(exc, f"{self.path}: cannot create the lock file", StoreError) from None
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._close()
            raise StoreBusyError(f"another digest run holds {self.path}; try again when it has finished") from None
        except OSError as exc:
            self._close()
            raise os_error(exc, f"{self.path}: cannot lock", StoreError) from None
        try:
            os.ftruncate(self._fd, 0)
            os.write(self._fd, f"{os.getpid()}\n".encode())
        except OSError as exc:
            self.__exit__()
            raise os_error(exc, f"{self.path}: cannot write the lock file", StoreError) from None
        return self

    def _close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


class Store:
    """The SQLite state file of the digest (see the module docstring for the write order)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.migrated_from: int | None = None  # schema version upgraded by this open, if any
        self.backup: Path | None = None  # the copy saved before that upgrade
        if not self.path.parent.is_dir():
            raise StoreError(f"{self.path}: the folder {self.path.parent} does not exist")
        try:
            self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        except sqlite3.DatabaseError as exc:
            raise sqlite_error(self.path, exc) from None
        try:
            # The file and its schema are checked first: a file that is refused is left
            # byte for byte as it was.
            self._check_integrity()
            self._check_schema()
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.DatabaseError as exc:
            self.db.close()
            raise sqlite_error(self.path, exc) from None
        except BaseException:
            self.db.close()
            raise

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_integrity(self) -> None:
        """``PRAGMA quick_check`` (every page and b-tree is read; indexes are not compared
        with their tables): garbage anywhere in the file is found before the first write."""
        problems = [r[0] for r in self.db.execute("PRAGMA quick_check(3)") if r[0] != "ok"]
        if problems:
            raise StoreError(_damaged(self.path, "; ".join(problems)))

    def _check_schema(self) -> None:
        tables = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not tables:
            with self.transaction():
                for statement in _statements(_SCHEMA) + _statements(_SCHEMA_V2):
                    self.db.execute(statement)
                self.db.execute("INSERT INTO schema_version VALUES (?)", (SCHEMA_VERSION,))
            return
        version = None
        if "schema_version" in tables:
            row = self.db.execute("SELECT max(version) FROM schema_version").fetchone()
            version = row[0] if row else None
        if version == SCHEMA_VERSION:
            return
        if version is None or version > SCHEMA_VERSION or version not in MIGRATIONS:
            found = "no schema version" if version is None else f"schema version {version}"
            hint = ("it was written by a newer summarize: upgrade summarize, or pass another --store"
                    if version is not None and version > SCHEMA_VERSION else
                    "move the file aside to start a new store (its articles can be fed in again)")
            raise InputError(f"{self.path}: the store has {found}, this summarize reads version "
                             f"{SCHEMA_VERSION}; {hint}")
        backup = self._back_up(version)
        start = version
        try:
            with self.transaction() as db:
                while version < SCHEMA_VERSION:
                    for statement in MIGRATIONS[version]:
                        db.execute(statement)
                    version += 1
                    db.execute("INSERT INTO schema_version VALUES (?)", (version,))
        except StoreBusyError as exc:
            raise StoreBusyError(f"{exc} (while upgrading it from schema version {start}; "
                                 "the file is unchanged)") from None
        except SummarizeError as exc:
            raise InputError(f"{self.path}: upgrading the store from schema version {start} to {SCHEMA_VERSION} "
                             f"failed ({exc}); the file is unchanged and a copy is in {backup}") from None
        self.migrated_from, self.backup = start, backup

    def _back_up(self, version: int) -> Path:
        """Copy the whole file to ``<store>.v<version>.bak`` (temp file + rename) before an upgrade."""
        target = self.path.with_name(f"{self.path.name}.v{version}.bak")
        temp = target.with_name(f".{target.name}.tmp")
        try:
            copy = sqlite3.connect(temp)
            try:
                self.db.backup(copy)
            finally:
                copy.close()
            os.replace(temp, target)
        except OSError as exc:
            temp.unlink(missing_ok=True)
            raise os_error(exc, f"{target}: cannot save the copy made before the upgrade", StoreError) from None
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return target

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT``, rolled back on any error.

        SQLite may have rolled back already (a full disk does that); the first error is the
        one reported, never the "no transaction is active" of a second rollback.
        """
        try:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
                self.db.execute("COMMIT")
            except BaseException:
                if self.db.in_transaction:
                    try:
                        self.db.execute("ROLLBACK")
                    except sqlite3.DatabaseError:
                        pass  # the error being raised says more
                raise
        except sqlite3.DatabaseError as exc:
            raise sqlite_error(self.path, exc) from None

    # --- articles --------------------------------------------------------------------

    def add_articles(self, articles: Iterable[tuple[Article, str]], day: str,
                     limit: int | None = None) -> Added:
        """Store ``(article, content_hash)`` pairs not seen before, in one transaction.

        An article is already known when its URL or its content hash is stored. A new
        article whose id is taken by a different stored article gets ``<id>-<hash8>``.
        Once ``limit`` new articles are stored, further new ones are not stored but listed
        in :attr:`Added.deferred` (known ones are still recognised).
        """
        new: list[str] = []
        known: list[tuple[str, str, str]] = []
        deferred: list[str] = []
        with self.transaction() as db:
            for article, content_hash in articles:
                row = db.execute(
                    "SELECT id, day FROM articles WHERE content_hash = ? OR (url = ? AND url IS NOT NULL)",
                    (content_hash, article.url or None),
                ).fetchone()
                if row:
                    known.append((article.id, row[0], row[1]))
                    continue
                if limit is not None and len(new) >= limit:
                    deferred.append(article.id)
                    continue
                if db.execute("SELECT 1 FROM articles WHERE id = ?", (article.id,)).fetchone():
                    from dataclasses import replace

                    article = replace(article, id=f"{article.id}-{content_hash[:8]}")
                db.execute(
                    "INSERT INTO articles (id, url, content_hash, day, story_id, data) VALUES (?, ?, ?, ?, NULL, ?)",
                    (article.id, article.url or None, content_hash, day, article_to_json(article)),
                )
                new.append(article.id)
        return Added(tuple(new), tuple(known), tuple(deferred))

    def pending(self) -> list[Article]:
        """Stored articles that have no story yet (new, or left by a killed run)."""
        rows = self.db.execute("SELECT data FROM articles WHERE story_id IS NULL ORDER BY id")
        return [article_from_json(r[0]) for r in rows]

    def articles_of_day(self, day: str) -> list[tuple[Article, str, str | None]]:
        """``(article, content_hash, story_id)`` of the articles first stored on ``day``."""
        rows = self.db.execute(
            "SELECT data, content_hash, story_id FROM articles WHERE day = ? ORDER BY id", (day,)
        )
        return [(article_from_json(d), h, s) for d, h, s in rows]

    def count_articles(self) -> int:
        return self.db.execute("SELECT count(*) FROM articles").fetchone()[0]

    def index_outdated(self) -> bool:
        """A story index is saved, but by a clusterer of another version."""
        row = self.db.execute("SELECT meta FROM story_index WHERE id = 1").fetchone()
        return row is not None and json.loads(row[0]).get("version") != StoryIndex.VERSION

    def placed_since(self, day: str) -> list[Article]:
        """Articles first stored on or after ``day`` that already have a story."""
        rows = self.db.execute(
            "SELECT data FROM articles WHERE day >= ? AND story_id IS NOT NULL AND story_id != '' ORDER BY id",
            (day,),
        )
        return [article_from_json(r[0]) for r in rows]

    def story_articles(self, story_id: str, before: str) -> list[Article]:
        """The articles of ``story_id`` first stored before the day ``before``."""
        rows = self.db.execute(
            "SELECT data FROM articles WHERE story_id = ? AND day < ? ORDER BY day, id", (story_id, before)
        )
        return [article_from_json(r[0]) for r in rows]

    # --- cached embeddings -------------------------------------------------------------

    @staticmethod
    def vector_key(embedder_name: str, text: str) -> str:
        return hashlib.sha1(f"{embedder_name}\0{text}".encode()).hexdigest()

    def get_vectors(self, keys: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored vectors of ``keys`` (those not stored are missing from the result)."""
        found: dict[str, np.ndarray] = {}
        for start in range(0, len(keys), 500):  # SQLite's limit on bound parameters
            chunk = list(keys[start:start + 500])
            marks = ",".join("?" * len(chunk))
            for key, blob in self.db.execute(f"SELECT key, vector FROM embeddings WHERE key IN ({marks})", chunk):
                found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_vectors(self, pairs: Iterable[tuple[str, np.ndarray]]) -> None:
        with self.transaction() as db:
            db.executemany("INSERT OR REPLACE INTO embeddings (key, vector) VALUES (?, ?)",
                           [(k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in pairs])

    # --- the story index ---------------------------------------------------------------

    def load_index(self) -> StoryIndex | None:
        """The saved story index; ``None`` when there is none yet or it was saved by an
        earlier clusterer (see :meth:`index_outdated`): the caller then rebuilds it."""
        row = self.db.execute("SELECT meta, arrays FROM story_index WHERE id = 1").fetchone()
        if row is None:
            return None
        data = json.loads(row[0])
        if data.get("version") != StoryIndex.VERSION:
            return None
        with np.load(io.BytesIO(row[1]), allow_pickle=False) as arrays:
            data.update({k: arrays[k] for k in arrays.files})
        return StoryIndex.from_dict(data)

    def save_assignments(self, index: StoryIndex, assignments: dict[str, str],
                         unplaceable: Sequence[str] = ()) -> None:
        """Record each article's story and the index that placed it, atomically.

        Articles the clusterer cannot place (``unplaceable``) get the story id ``""`` so
        they are not retried every night; they stay in the store.
        """
        data = index.to_dict()
        arrays = {k: v for k, v in data.items() if isinstance(v, np.ndarray)}
        meta = {k: v for k, v in data.items() if k not in arrays}
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        with self.transaction() as db:
            db.executemany("UPDATE articles SET story_id = ? WHERE id = ?",
                           [(sid, aid) for aid, sid in assignments.items()])
            db.executemany("UPDATE articles SET story_id = '' WHERE id = ?", [(a,) for a in unplaceable])
            db.execute("INSERT OR REPLACE INTO story_index (id, meta, arrays) VALUES (1, ?, ?)",
                       (json.dumps(meta), buffer.getvalue()))

    # --- briefs and past digests -------------------------------------------------------

    def get_brief(self, key: str) -> dict[str, Any] | None:
        return self._get_cached("briefs", key)

    def put_brief(self, key: str, story_id: str, day: str, data: dict[str, Any]) -> None:
        self._put_cached("briefs", key, story_id, day, data)

    def get_update(self, key: str) -> dict[str, Any] | None:
        return self._get_cached("updates", key)

    def put_update(self, key: str, story_id: str, day: str, data: dict[str, Any]) -> None:
        self._put_cached("updates", key, story_id, day, data)

    _CACHES = ("briefs", "updates")  # JSON documents keyed by content: (key, story_id, day, data)

    def _get_cached(self, table: str, key: str) -> dict[str, Any] | None:
        assert table in self._CACHES  # table names cannot be bound as parameters
        row = self.db.execute(f"SELECT data FROM {table} WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def _put_cached(self, table: str, key: str, story_id: str, day: str, data: dict[str, Any]) -> None:
        assert table in self._CACHES
        with self.transaction() as db:
            db.execute(f"INSERT OR REPLACE INTO {table} (key, story_id, day, data) VALUES (?, ?, ?, ?)",
                       (key, story_id, day, json.dumps(data, ensure_ascii=False)))

    def previous(self, story_id: str, day: str) -> PastStory | None:
        """The latest digest before ``day`` that showed ``story_id``."""
        row = self.db.execute(
            "SELECT day, story_id, out_dir, brief_key FROM digest_stories WHERE story_id = ? AND day < ? "
            "ORDER BY day DESC LIMIT 1", (story_id, day),
        ).fetchone()
        return PastStory(*row) if row else None

    def finish_run(self, day: str, out_dir: str, ranked: Sequence[tuple[str, str]]) -> None:
        """Replace ``day``'s story list with ``(story_id, brief_key)`` in rank order."""
        with self.transaction() as db:
            db.execute("DELETE FROM digest_stories WHERE day = ?", (day,))
            db.executemany(
                "INSERT INTO digest_stories (day, story_id, rank, brief_key, out_dir) VALUES (?, ?, ?, ?, ?)",
                [(day, sid, rank, key, out_dir) for rank, (sid, key) in enumerate(ranked, start=1)],
            )


class CachedEmbedder:
    """An embedder whose vectors are kept in the store, keyed by embedder name and text.

    Only texts never embedded before reach the wrapped embedder (which is then loaded, not
    before). ``name`` is the wrapped embedder's, so brief keys do not change.
    """

    def __init__(self, embedder: Any, store: Store) -> None:
        self.inner = embedder
        self.store = store
        self.hits = 0
        self.misses = 0

    @property
    def name(self) -> str:
        return getattr(self.inner, "name", type(self.inner).__name__)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        keys = [Store.vector_key(self.name, t) for t in texts]
        found = self.store.get_vectors(keys)
        todo = list(dict.fromkeys(k for k in keys if k not in found))
        if todo:
            first = {k: t for t, k in zip(texts, keys)}
            fresh = np.asarray(self.inner.encode([first[k] for k in todo]), dtype=np.float32)
            self.store.put_vectors(zip(todo, fresh))
            found.update(zip(todo, fresh))
        self.misses += len(todo)
        self.hits += len(texts) - len(todo)
        if not texts:
            return np.asarray(self.inner.encode([]), dtype=np.float32)
        return np.stack([found[k] for k in keys])


# SQLite's primary result codes (extended codes carry them in the low byte).
SQLITE_PERM, SQLITE_BUSY, SQLITE_LOCKED, SQLITE_READONLY, SQLITE_IOERR = 3, 5, 6, 8, 10
SQLITE_CORRUPT, SQLITE_FULL, SQLITE_CANTOPEN, SQLITE_PROTOCOL, SQLITE_AUTH, SQLITE_NOTADB = 11, 13, 14, 15, 23, 26
# What SQLite says for each, for an error that carries no code.
_MESSAGES = (("locked", SQLITE_LOCKED), ("busy", SQLITE_BUSY), ("readonly", SQLITE_READONLY),
             ("disk is full", SQLITE_FULL), ("malformed", SQLITE_CORRUPT), ("not a database", SQLITE_NOTADB),
             ("disk i/o error", SQLITE_IOERR), ("unable to open", SQLITE_CANTOPEN),
             ("not authorized", SQLITE_AUTH), ("locking protocol", SQLITE_PROTOCOL))


def _code(exc: sqlite3.Error) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF
    message = str(exc).lower()
    return next((c for words, c in _MESSAGES if words in message), None)


def _damaged(path: Path, detail: str) -> str:
    return (f"{path}: the store is damaged ({detail}); it was left as it is: restore it from a backup, "
            "or move it aside to start a new store (its articles can be fed in again)")


def sqlite_error(path: Path, exc: sqlite3.Error) -> SummarizeError:
    """The error to raise for ``exc``, by what trying again can do.

    Temporary (:class:`StoreBusyError`, exit 75): busy, locked, a locking-protocol race.
    Not a store this summarize can read (:class:`InputError`, exit 2): not a database.
    Everything else is permanent (:class:`StoreError`, exit 6): read-only or not permitted,
    full, damaged, I/O error, cannot open, and any error not known to be temporary.
    """
    message = str(exc)
    code = _code(exc)
    if code in (SQLITE_BUSY, SQLITE_LOCKED, SQLITE_PROTOCOL):
        return StoreBusyError(f"{path}: the store is busy ({message}); try again later")
    if code == SQLITE_NOTADB:
        return InputError(f"{path}: not a summarize store ({message}); move it aside or pass another --store")
    if code == SQLITE_CORRUPT:
        return StoreError(_damaged(path, message))
    if code in (SQLITE_READONLY, SQLITE_PERM, SQLITE_AUTH):
        return StoreError(f"{path}: the store cannot be written ({message}): the file, its folder or the "
                          "file system is read-only or not permitted; fix that, or pass another --store")
    if code == SQLITE_FULL:
        return StoreError(f"{path}: the disk under the store is full ({message}); free space or raise "
                          "the quota, then run again")
    if code == SQLITE_CANTOPEN:
        return StoreError(f"{path}: the store cannot be opened ({message}): the file and its folder must "
                          "exist and be readable and writable (not read-only)")
    if code == SQLITE_IOERR:
        return StoreError(f"{path}: I/O error on the store ({message}); check the disk")
    return StoreError(f"{path}: SQLite error on the store ({message})")
