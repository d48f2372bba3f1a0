"""The digest's SQLite state (summarize.digest.store)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest
from conftest import HashingEmbedder, make_article

from summarize.digest.store import (
    SCHEMA_VERSION,
    CachedEmbedder,
    Store,
    StoreBusyError,
    StoreLock,
)
from summarize.errors import InputError
from summarize.events.cluster import StoryIndex


def test_new_store_uses_wal_and_records_its_schema_version(tmp_path):
    with Store(tmp_path / "s.sqlite") as store:
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.db.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]


def test_articles_are_deduplicated_by_url_and_by_content_hash(tmp_path):
    a = make_article("a", "First text.", url="https://x/1")
    same_url = make_article("b", "Edited text.", url="https://x/1")
    same_text = make_article("c", "First text.")
    other = make_article("a", "Another article with the id of the first.")
    with Store(tmp_path / "s.sqlite") as store:
        added = store.add_articles([(a, "h1"), (same_url, "h2"), (same_text, "h1"), (other, "h3")], "2026-11-23")
        assert added.new == ("a", "a-h3")  # a taken id gets the content hash appended
        assert added.known == (("b", "a", "2026-11-23"), ("c", "a", "2026-11-23"))
        again = store.add_articles([(a, "h1")], "2026-11-24")
        assert again.new == () and again.known == (("a", "a", "2026-11-23"),)
        assert store.count_articles() == 2
        assert [x.id for x, _, _ in store.articles_of_day("2026-11-23")] == ["a", "a-h3"]
        assert store.articles_of_day("2026-11-23")[0][0] == a  # round trip of the record


def test_assignments_and_index_are_saved_together_and_reload(tmp_path):
    arts = [make_article(f"n{i}", f"The mayor of Springfield opened the new bridge {i}.",
                         published="2026-11-23") for i in range(3)]
    index = StoryIndex()
    with Store(tmp_path / "s.sqlite") as store:
        store.add_articles([(a, str(i)) for i, a in enumerate(arts)], "2026-11-23")
        assert [a.id for a in store.pending()] == ["n0", "n1", "n2"]
        result = index.assign(store.pending(), embedder=HashingEmbedder())
        store.save_assignments(index, result.assignments, [s.article_id for s in result.skipped])
        assert store.pending() == []
        loaded = store.load_index()
    assert loaded.story_ids == index.story_ids and loaded.members == index.members
    np.testing.assert_allclose(loaded.dense, index.dense)
    assert (loaded.lexical != index.lexical).nnz == 0


def test_store_of_an_unknown_or_newer_schema_version_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.executescript("CREATE TABLE schema_version (version INTEGER); INSERT INTO schema_version VALUES (0);"
                     "CREATE TABLE articles (id TEXT);")
    db.close()
    before = path.read_bytes()
    with pytest.raises(InputError, match="schema version 0, this summarize reads version 2; move the file aside"):
        Store(path)
    assert path.read_bytes() == before and not list(tmp_path.glob("*.bak"))
    newer = tmp_path / "newer.sqlite"
    db = sqlite3.connect(newer)
    db.executescript("CREATE TABLE schema_version (version INTEGER); INSERT INTO schema_version VALUES (9);")
    db.close()
    with pytest.raises(InputError, match="schema version 9.*written by a newer summarize: upgrade summarize"):
        Store(newer)


def _version_1_store(path: Path) -> None:
    """A store as summarize wrote it before schema version 2 (the v1 tables, one article)."""
    from summarize.digest import store as store_module

    db = sqlite3.connect(path)
    db.executescript(store_module._SCHEMA + "INSERT INTO schema_version VALUES (1);")
    db.execute("INSERT INTO articles (id, url, content_hash, day, story_id, data) VALUES (?, ?, ?, ?, ?, ?)",
               ("a1", "https://x.example/1", "h1", "2023-11-06", "s-1",
                '{"id": "a1", "text": "Old text.", "title": "", "outlet": "X", "published": "2023-11-06", '
                '"url": "https://x.example/1", "furniture": []}'))
    db.commit()
    db.close()


def test_a_version_1_store_is_upgraded_in_place_after_a_backup(tmp_path):
    path = tmp_path / "v1.sqlite"
    _version_1_store(path)
    with Store(path) as store:
        assert store.migrated_from == 1 and store.backup == tmp_path / "v1.sqlite.v1.bak"
        assert [a.id for a in store.story_articles("s-1", "2023-11-07")] == ["a1"]  # nothing lost
        store.put_vectors([("k", np.ones(3, dtype=np.float32))])
        assert store.get_vectors(["k", "missing"])["k"].tolist() == [1.0, 1.0, 1.0]
    backup = sqlite3.connect(tmp_path / "v1.sqlite.v1.bak")
    assert backup.execute("SELECT max(version) FROM schema_version").fetchone() == (1,)
    assert backup.execute("SELECT id FROM articles").fetchall() == [("a1",)]
    backup.close()
    with Store(path) as again:  # opened again: already version 2, nothing to do
        assert again.migrated_from is None and again.backup is None


def test_a_failed_upgrade_leaves_the_version_1_file_as_it_was(tmp_path, monkeypatch):
    from summarize.digest import store as store_module

    path = tmp_path / "v1.sqlite"
    _version_1_store(path)
    monkeypatch.setitem(store_module.MIGRATIONS, 1, store_module.MIGRATIONS[1] + ["CREATE TABLE articles (x)"])
    with pytest.raises(InputError, match="already exists"):
        Store(path)
    db = sqlite3.connect(path)
    assert db.execute("SELECT max(version) FROM schema_version").fetchone() == (1,)
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "embeddings" not in tables and "updates" not in tables
    db.close()


def test_cached_embedder_embeds_each_text_once_and_only_when_needed(tmp_path):
    inner = HashingEmbedder()
    with Store(tmp_path / "s.sqlite") as store:
        cached = CachedEmbedder(inner, store)
        first = cached.encode(["alpha beta gamma", "delta epsilon", "alpha beta gamma"])
        assert inner.calls == 1 and cached.misses == 2 and cached.hits == 1
        again = cached.encode(["delta epsilon", "alpha beta gamma"])
        assert inner.calls == 1 and cached.hits == 3
        np.testing.assert_array_equal(again, first[[1, 0]])
        np.testing.assert_array_equal(first, inner.encode(["alpha beta gamma", "delta epsilon", "alpha beta gamma"]))
        assert cached.name == inner.name


def test_a_file_that_is_not_sqlite_is_refused(tmp_path):
    path = tmp_path / "s.sqlite"
    path.write_text("not a database at all " * 100)
    with pytest.raises(InputError, match="not a summarize store"):
        Store(path)


def test_lock_is_exclusive(tmp_path):
    with StoreLock(tmp_path / "s.sqlite"):
        with pytest.raises(StoreBusyError, match="another digest run holds") as info:
            StoreLock(tmp_path / "s.sqlite").__enter__()
        assert info.value.exit_code == 75
    with StoreLock(tmp_path / "s.sqlite"):  # released
        pass
