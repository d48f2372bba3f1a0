"""Faults of the nightly digest: which exits are temporary (75, retry) and which are permanent,
output file modes, a log that cannot be forged, the lock through symlinks, a damaged store,
and the limit on new articles per night."""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT, TRIP, HashingEmbedder, make_article

from summarize import files
from summarize.cli import cli
from summarize.digest import job as digest
from summarize.digest.records import Digest
from summarize.digest.render import write_log
from summarize.digest.store import Store, StoreLock, sqlite_error
from summarize.errors import InputError, OutputError, StoreBusyError, StoreError
from summarize.options import Limits, Options
from summarize.records import Skipped

DAY = "2023-11-06"


def _run(inputs, out, store, **kw):
    return digest.run([str(i) for i in inputs], date=DAY, out_dir=out, store=store,
                      embedder=HashingEmbedder(), **kw)


def _cli(tmp_path, store, *extra):
    """``summarize digest`` in this process (so monkeypatched faults apply); the embedder is the fake."""
    return CliRunner().invoke(cli, ["digest", "--input", TRIP[0], "--date", DAY, "--out", str(tmp_path / "out"),
                                    "--store", str(store), "--quiet", *extra])


@pytest.fixture
def fake_model(monkeypatch):
    """The CLI builds its own embedder: make it the fast fake."""
    monkeypatch.setattr(digest, "default_embedder", HashingEmbedder)


def _stored_store(tmp_path: Path) -> Path:
    """A store that already holds a day (so a later run has to write to it)."""
    store = tmp_path / "state.sqlite"
    _run(TRIP[1:], tmp_path / "first", store)
    return store


def _connect_with(monkeypatch, change):
    """Every ``sqlite3.connect`` of the store goes through ``change(path, kwargs) -> connection``."""
    real = sqlite3.connect

    def connect(path, *args, **kwargs):
        if str(path).endswith("state.sqlite"):
            return change(real, path, kwargs)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", connect)


# --- 1. temporary or permanent -----------------------------------------------------------


def test_a_read_only_store_is_a_permanent_store_error_not_75(tmp_path, monkeypatch, fake_model):
    store = _stored_store(tmp_path)
    # SQLite itself answers "attempt to write a readonly database" (SQLITE_READONLY).
    _connect_with(monkeypatch, lambda real, path, kw: real(f"file:{path}?mode=ro", uri=True, **kw))
    result = _cli(tmp_path, store)
    assert result.exit_code == StoreError.exit_code == 6, result.stderr
    assert result.stderr.count("\n") == 1 and str(store) in result.stderr
    assert "read-only" in result.stderr and "try again" not in result.stderr


def test_a_full_disk_under_the_store_is_a_permanent_store_error(tmp_path, monkeypatch, fake_model):
    store = _stored_store(tmp_path)

    def full(real, path, kw):  # the file may not grow by one page: SQLITE_FULL, "database or disk is full"
        db = real(path, **kw)
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        db.execute(f"PRAGMA max_page_count = {pages}")
        return db

    _connect_with(monkeypatch, full)
    folder = tmp_path / "big"
    folder.mkdir()
    for i in range(40):  # enough new text that the file must grow
        (folder / f"n{i}.txt").write_text(f"Report {i}. " + " ".join(f"word{i}x{j}" for j in range(400)) + ".")
    result = CliRunner().invoke(cli, ["digest", "--input", str(folder), "--date", DAY, "--out",
                                      str(tmp_path / "out"), "--store", str(store), "--quiet"])
    assert result.exit_code == 6, result.stderr
    assert "disk is full" in result.stderr and "try again" not in result.stderr


def test_a_store_locked_by_another_writer_is_temporary(tmp_path, monkeypatch, fake_model):
    store = _stored_store(tmp_path)
    other = sqlite3.connect(store, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # holds the write lock: SQLITE_BUSY
    try:
        _connect_with(monkeypatch, lambda real, path, kw: real(path, **{**kw, "timeout": 0.1}))
        result = _cli(tmp_path, store)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert result.exit_code == 75, result.stderr
    assert "try again later" in result.stderr


@pytest.mark.parametrize(("message", "kind"), [
    ("attempt to write a readonly database", StoreError),
    ("database or disk is full", StoreError),
    ("disk I/O error", StoreError),
    ("unable to open database file", StoreError),
    ("database disk image is malformed", StoreError),
    ("no such table: articles", StoreError),
    ("database is locked", StoreBusyError),
    ("database table is locked", StoreBusyError),
    ("file is not a database", InputError),
])
def test_sqlite_errors_are_classified_by_what_a_retry_can_do(tmp_path, message, kind):
    error = sqlite_error(tmp_path / "s.sqlite", sqlite3.OperationalError(message))
    assert type(error) is kind and str(tmp_path / "s.sqlite") in str(error)
    assert ("try again later" in str(error)) == (kind is StoreBusyError)


def test_real_sqlite_error_codes_are_classified_even_with_unusual_messages(tmp_path):
    db = sqlite3.connect(f"file:{tmp_path / 'ro.sqlite'}?mode=rwc", uri=True)
    db.execute("CREATE TABLE t (x)")
    db.commit()
    db.close()
    ro = sqlite3.connect(f"file:{tmp_path / 'ro.sqlite'}?mode=ro", uri=True)
    with pytest.raises(sqlite3.OperationalError) as caught:
        ro.execute("INSERT INTO t VALUES (1)")
    ro.close()
    caught.value.args = ("something SQLite may say one day",)  # the code decides, not the words
    assert isinstance(sqlite_error(tmp_path / "ro.sqlite", caught.value), StoreError)


@pytest.mark.parametrize(("code", "kind"), [
    (errno.EROFS, StoreError), (errno.EACCES, StoreError), (errno.ENOSPC, StoreError),
    (errno.EDQUOT, StoreError), (errno.EAGAIN, StoreBusyError), (errno.EBUSY, StoreBusyError),
])
def test_the_lock_file_failing_to_open_is_classified_by_errno(tmp_path, monkeypatch, code, kind):
    real = os.open

    def refuse(path, *args, **kwargs):
        if str(path).endswith(".lock"):
            raise OSError(code, os.strerror(code), str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse)
    with pytest.raises(kind) as caught:
        StoreLock(tmp_path / "s.sqlite").__enter__()
    assert caught.value.exit_code == (75 if kind is StoreBusyError else 6)
    assert os.strerror(code) in str(caught.value)


def test_a_full_disk_while_writing_the_lock_file_is_a_store_error_not_a_traceback(tmp_path, monkeypatch):
    def full(fd, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(StoreError, match="No space left on device"):
        StoreLock(tmp_path / "s.sqlite").__enter__()
    monkeypatch.undo()
    with StoreLock(tmp_path / "s.sqlite"):  # the failed attempt did not keep the lock
        pass


def test_a_store_folder_that_cannot_be_made_exits_6(tmp_path, fake_model):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = _cli(tmp_path, blocker / "state" / "s.sqlite")
    assert result.exit_code == 6 and "cannot create the store folder" in result.stderr


def test_output_write_errors_are_classified_by_errno(tmp_path, monkeypatch):
    for code, kind in ((errno.ENOSPC, OutputError), (errno.EROFS, OutputError), (errno.EAGAIN, StoreBusyError)):
        def fail(fd, code=code):
            raise OSError(code, os.strerror(code))

        monkeypatch.setattr(os, "fsync", fail)
        with pytest.raises(kind) as caught:
            files.write_atomic(tmp_path / "a.md", "text")
        assert type(caught.value) is kind and not list(tmp_path.iterdir())


def test_help_lists_every_exit_code():
    result = CliRunner().invoke(cli, ["digest", "--help"])
    text = " ".join(result.output.split())
    for code in ("0 done", "2 bad input", "3 ", "4 ", "5 ", "6 ", "75 "):
        assert code in text
    assert "read-only" in text and "disk full" in text


def test_docs_list_every_exit_code():
    text = (ROOT / "docs" / "digest-schema.md").read_text()
    codes = re.findall(r"^\| (\d+) \|", text.split("## Exit codes", 1)[1].split("\n## ", 1)[0], re.MULTILINE)
    assert codes == ["0", "2", "3", "4", "5", "6", "75"]


# --- 2. output file modes ----------------------------------------------------------------


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_outputs_get_the_mode_a_plain_open_would_give(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        files.write_all_atomic({tmp_path / "a.md": "a", tmp_path / "b.json": "b"})
        (tmp_path / "c.txt").write_text("c")  # what a plain open() gives
    finally:
        os.umask(old)
    modes = {p.name: p.stat().st_mode & 0o777 for p in tmp_path.iterdir()}
    assert modes == {"a.md": mode, "b.json": mode, "c.txt": mode}


def test_digest_pages_are_readable_by_a_web_server(tmp_path):
    old = os.umask(0o022)
    try:
        _run(TRIP, tmp_path / "out", tmp_path / "s.sqlite")
    finally:
        os.umask(old)
    for name in ("digest.md", "digest.json", "digest.html", "digest.xml", "digest.feed.json", "digest.log"):
        assert (tmp_path / "out" / name).stat().st_mode & 0o777 == 0o644, name
    assert (tmp_path / "index.html").stat().st_mode & 0o777 == 0o644


# --- 3. the log cannot be forged ---------------------------------------------------------

EVIL = ["evil\n2026-01-01T00:00:00+00:00 digest 2026-01-01 done: forged=1", "cr\rline", "esc\x1b[31m",
        "sep\u2028x", "nel\x85x", "fs\x1cx", "bidi\u202ex", "back\\n-slash"]


def test_every_log_entry_is_one_line_whatever_its_id_or_reason(tmp_path):
    entries = tuple(Skipped(i, f"reason with {i}", kept=n % 2 == 0) for n, i in enumerate(EVIL))
    write_log(tmp_path / "digest.log", Digest(DAY, (), entries, {"read": 1}))
    text = (tmp_path / "digest.log").read_text(encoding="utf-8")
    lines = text.splitlines()  # splits on \n, \r, \x1c-\x1e, \x85, \u2028, \u2029 too
    assert len(lines) == 1 + len(EVIL) and text.count("\n") == len(lines)
    assert all(re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00 (digest|noted|skipped) ", x) for x in lines)
    assert "forged" not in lines[0] and sum("done:" in x for x in lines) == 2  # the forged text stays inside its entry
    assert "evil\\n2026-01-01" in lines[1] and "esc\\x1b[31m" in lines[3] and "sep\\u2028x" in lines[4]
    assert "back\\\\n-slash" in lines[-1]  # a real backslash stays distinguishable from an escape
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e]", text)


def test_a_digest_run_with_a_newline_in_an_article_id_logs_one_line_per_entry(tmp_path):
    body = Path(TRIP[0]).read_text().split("\n", 2)[-1]
    (tmp_path / "evil.jsonl").write_text(json.dumps({"id": EVIL[0], "title": "T", "text": body}) + "\n")
    result = _run([tmp_path / "evil.jsonl"], tmp_path / "out", tmp_path / "s.sqlite")
    lines = (tmp_path / "out" / "digest.log").read_text().splitlines()
    assert len(lines) == 1 + len(result.skipped) and [x.split(" ")[1] for x in lines] == ["digest", "noted"]


# --- 4. the lock holds whatever path reaches the store -----------------------------------


@pytest.mark.parametrize("link", ["file", "folder"])
def test_a_run_through_a_symlink_sees_the_lock_of_the_store(tmp_path, link):
    real = tmp_path / "real"
    real.mkdir()
    store = real / "state.sqlite"
    if link == "file":
        alias = tmp_path / "alias.sqlite"
        alias.symlink_to(store)
    else:
        (tmp_path / "linked").symlink_to(real, target_is_directory=True)
        alias = tmp_path / "linked" / "state.sqlite"
    holder = subprocess.Popen(
        [sys.executable, "-c", ("import sys, time; from summarize.digest.store import StoreLock\n"
                                f"with StoreLock({str(store)!r}):\n    print('held', flush=True); time.sleep(60)")],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(StoreBusyError, match="another digest run holds") as caught:
            StoreLock(alias).__enter__()
        assert caught.value.exit_code == 75
        proc = subprocess.run([sys.executable, "-m", "summarize.cli", "digest", "--input", TRIP[0], "--date", DAY,
                               "--out", str(tmp_path / "out"), "--store", str(alias), "--quiet"],
                              capture_output=True, text=True, timeout=120, cwd=ROOT, check=False)
    finally:
        holder.kill()
        holder.wait()
    assert proc.returncode == 75, proc.stderr
    assert proc.stderr.startswith("error: another digest run holds")


# --- 5. a damaged store is refused before anything is written ----------------------------


def _damaged_store(tmp_path: Path) -> Path:
    path = tmp_path / "state.sqlite"
    with Store(path) as store:
        store.add_articles([(make_article(f"a{i}", f"Text number {i}. " * 50), f"h{i}") for i in range(60)], DAY)
        store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    middle = (len(data) // 4096 // 2) * 4096
    data[middle:middle + 64] = b"\xff" * 64  # garbage over a page in the middle
    path.write_bytes(bytes(data))
    return path


def test_a_store_with_garbage_in_the_middle_is_refused_at_open_and_left_byte_identical(tmp_path):
    path = _damaged_store(tmp_path)
    before = path.read_bytes()
    with pytest.raises(StoreError, match="damaged") as caught:
        _run(TRIP, tmp_path / "out", path)
    assert str(path) in str(caught.value) and caught.value.exit_code == 6
    assert path.read_bytes() == before
    assert not (tmp_path / "out" / "digest.json").exists()


def test_a_damaged_store_exits_6_from_the_command_line(tmp_path, fake_model):
    path = _damaged_store(tmp_path)
    before = path.read_bytes()
    result = _cli(tmp_path, path)
    assert result.exit_code == 6 and "damaged" in result.stderr and path.read_bytes() == before


# --- 6. new articles per night -----------------------------------------------------------


def test_a_run_takes_at_most_the_nightly_limit_of_new_articles_and_the_rest_come_next_time(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for f in TRIP:
        shutil.copy(f, folder)
    options = Options(limits=Limits(max_articles_per_night=2))
    store = tmp_path / "s.sqlite"
    first = _run([folder], tmp_path / "o1", store, options=options)
    assert first.counts["new"] == 2 and first.counts["deferred"] == 2
    deferred = [s for s in first.skipped if "max_articles_per_night" in s.reason]
    assert len(deferred) == 2 and not any(s.kept for s in deferred)
    assert all("nightly limit of 2 new articles" in s.reason for s in deferred)
    with Store(store) as db:
        stored = {a.id for a, _, _ in db.articles_of_day(DAY)}
    assert len(stored) == 2 and not stored & {s.id for s in deferred}
    assert {a for s in first.stories for a in s.article_ids} == stored
    log = (tmp_path / "o1" / "digest.log").read_text()
    assert "2 new articles over limits.max_articles_per_night were not stored" in log
    assert sum(" skipped " in x and "nightly limit" in x for x in log.splitlines()) == 2

    second = _run([folder], tmp_path / "o2", store, options=options)
    assert second.counts["new"] == 2 and second.counts["deferred"] == 0
    assert {a for s in second.stories for a in s.article_ids} == stored | {s.id for s in deferred}


def test_deferred_articles_lose_their_date_notes_and_known_articles_do_not_count(tmp_path):
    body = [Path(f).read_text().split("\n", 2)[-1] for f in TRIP]
    lines = [json.dumps({"id": f"u{i}", "title": f"T{i}", "text": b}) for i, b in enumerate(body)]  # undated
    (tmp_path / "day.jsonl").write_text("\n".join(lines) + "\n")
    options = Options(limits=Limits(max_articles_per_night=1))
    store = tmp_path / "s.sqlite"
    first = _run([tmp_path / "day.jsonl"], tmp_path / "o1", store, options=options)
    assert first.counts["new"] == 1 and first.counts["deferred"] == 3
    assert [s.id for s in first.skipped if s.kept] == ["u0"]  # only the stored article is noted as re-dated
    second = _run([tmp_path / "day.jsonl"], tmp_path / "o2", store, options=options)
    assert second.counts["known"] == 1 and second.counts["new"] == 1 and second.counts["deferred"] == 2


def test_beyond_the_listed_ones_deferred_articles_share_one_entry_with_their_count(tmp_path, monkeypatch):
    monkeypatch.setattr(digest, "DEFERRED_LISTED", 1)
    result = _run(TRIP, tmp_path / "o", tmp_path / "s.sqlite",
                  options=Options(limits=Limits(max_articles_per_night=1)))
    assert result.counts["new"] == 1 and result.counts["deferred"] == 3
    entries = [s for s in result.skipped if "nightly limit" in s.reason]
    assert len(entries) == 2 and entries[0].id == Path(TRIP[1]).stem
    assert entries[1].id == "limits.max_articles_per_night" and entries[1].reason.startswith("2 more new articles")


def test_limits_doc_describes_the_nightly_limit():
    text = (ROOT / "docs" / "limits.md").read_text()
    assert text.startswith("# Limits") and "## Nightly digest" in text and "max_articles_per_night" in text


def test_the_systemd_example_restarts_only_on_the_temporary_code():
    from summarize import errors

    unit = (ROOT / "examples" / "summarize-digest.service").read_text()
    prevented = set(re.search(r"^RestartPreventExitStatus=(.*)$", unit, re.MULTILINE).group(1).split())
    codes = {cls.exit_code for cls in vars(errors).values()
             if isinstance(cls, type) and issubclass(cls, errors.SummarizeError)}
    assert prevented == {str(c) for c in codes - {StoreBusyError.exit_code}}
