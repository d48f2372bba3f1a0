"""The digest's SQLite state (summarize.store)."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest
from conftest import HashingEmbedder, make_article

from summarize.cluster import StoryIndex
from summarize.errors import InputError
from summarize.store import SCHEMA_VERSION, Store, StoreBusyError, StoreLock


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


def test_store_of_another_schema_version_is_refused_with_a_clear_message(tmp_path):
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.executescript("CREATE TABLE schema_version (version INTEGER); INSERT INTO schema_version VALUES (0);"
                     "CREATE TABLE articles (id TEXT);")
    db.close()
    with pytest.raises(InputError, match="schema version 0, this summarize reads version 1; move the file aside"):
        Store(path)


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
