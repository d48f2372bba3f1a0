"""The nightly digest (summarize.digest.job): ingest, story continuity, cache, crash safety, HTML."""

from __future__ import annotations

import html
import json
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import (
    INFRASTRUCTURE_TALKS,
    JOBLESS_CLAIMS,
    LATER_TRIP,
    ROOT,
    TRIP,
    HashingEmbedder,
)

from summarize.digest import job as digest
from summarize.digest import records as digest_records
from summarize.digest import render as digest_render
from summarize.errors import InputError
from summarize.records import Brief, BriefSentence, Source

CHROMIUM = Path("/usr/bin/chromium")

FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Wire Feed</title>
<item><title>Blinken meets Fidan in Ankara</title><link>https://wire.example/blinken-ankara</link>
<guid>wire-1</guid><pubDate>Mon, 06 Nov 2023 18:00:00 GMT</pubDate>
<description>{text}</description></item>
</channel></rss>"""


def _day_folder(tmp_path: Path, name: str, files: list[str]) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    for f in files:
        shutil.copy(f, folder)
    meta = ROOT / "seeds" / "metadata.jsonl"
    if meta.exists():
        shutil.copy(meta, folder)
    return folder


def _run(inputs, day, out, store, embedder=None):
    return digest.run([str(i) for i in inputs], date=day, out_dir=out, store=store,
                      embedder=embedder or HashingEmbedder())


def _stored_ids(store: Path) -> list[str]:
    db = sqlite3.connect(store)
    try:
        return [r[0] for r in db.execute("SELECT id FROM articles ORDER BY id")]
    finally:
        db.close()


def test_digest_writes_markdown_json_html_and_an_unchanged_rerun_uses_the_cache(tmp_path):
    folder = _day_folder(tmp_path, "in", TRIP)
    store = tmp_path / "state.sqlite"
    first = _run([folder], "2023-11-06", tmp_path / "out", store)
    assert first.counts["new"] == 4 and first.counts["briefs_written"] == len(first.stories) >= 1
    for name in ("digest.md", "digest.json", "digest.html", "digest.xml", "digest.feed.json", "digest.log"):
        assert (tmp_path / "out" / name).is_file()
    assert (tmp_path / "index.html").is_file()  # the nights' index, in the parent of --out
    data = json.loads((tmp_path / "out" / "digest.json").read_text())
    assert data["schema_version"] == digest_render.SCHEMA_VERSION == 2 and data["date"] == "2023-11-06"
    assert sorted(a for s in data["stories"] for a in s["articles"]) == sorted(Path(f).stem for f in TRIP)
    assert data["stories"][0]["brief"]["sources"]
    assert "# News digest, 2023-11-06" in (tmp_path / "out" / "digest.md").read_text()
    assert not list((tmp_path / "out").glob(".*.tmp"))  # no temp files left behind

    embedder = HashingEmbedder()
    again = _run([folder], "2023-11-06", tmp_path / "out", store, embedder)
    assert again.counts["briefs_written"] == 0 and again.counts["briefs_cached"] == len(first.stories)
    assert embedder.calls == 0  # nothing re-embedded: no clustering, no briefing
    assert [s.brief for s in again.stories] == [s.brief for s in first.stories]
    assert all(s.cached for s in again.stories)


def test_story_ids_are_stable_across_days_and_link_to_the_earlier_brief(tmp_path):
    store = tmp_path / "state.sqlite"
    day1 = _run([_day_folder(tmp_path, "d1", TRIP[:3])], "2023-11-06", tmp_path / "o1", store)
    (story1,) = day1.stories
    day2 = _run([_day_folder(tmp_path, "d2", TRIP[3:] + TRIP[:1])], "2023-11-07", tmp_path / "o2", store)
    assert day2.counts["new"] == 1  # the repeated article is recognised
    assert any("already in the store" in s.reason for s in day2.skipped)
    (story2,) = day2.stories
    assert story2.story_id == story1.story_id
    assert story2.article_ids == (Path(TRIP[3]).stem,)
    assert story2.previous is not None and story2.previous.date == "2023-11-06"
    assert story2.previous.title == story1.brief.title
    assert story2.title == (story2.brief.title or story1.brief.title)
    assert story2.previous.href == f"../o1/digest.html#{story1.story_id}"
    assert f'href="../o1/digest.html#{story1.story_id}"' in (tmp_path / "o2" / "digest.html").read_text()
    day3 = _run([_day_folder(tmp_path, "d3", LATER_TRIP)], "2024-02-06", tmp_path / "o3", store)
    assert day3.stories[0].story_id != story1.story_id and day3.stories[0].previous is None


_CHILD = textwrap.dedent("""
    import sys
    sys.path.insert(0, {tests!r})
    from conftest import HashingEmbedder, kill_at
    from summarize.digest.job import run
    run([{folder!r}], date="2023-11-06", out_dir={out!r}, store={store!r}, embedder=HashingEmbedder(), checkpoint=kill_at({stage!r}))
""")


@pytest.mark.parametrize("stage", ["articles", "stories", "brief"])
def test_a_run_killed_at_any_stage_finishes_on_rerun_without_duplicates_or_losses(tmp_path, stage):
    folder = _day_folder(tmp_path, "in", TRIP + LATER_TRIP)
    store, out = tmp_path / "state.sqlite", tmp_path / "out"
    code = _CHILD.format(tests=str(ROOT / "tests"), folder=str(folder), out=str(out), store=str(store),
                         stage=stage)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          check=False)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert not (out / "digest.json").exists()
    expected = sorted(Path(f).stem for f in TRIP + LATER_TRIP)
    assert _stored_ids(store) == expected  # articles were committed before the kill
    out.mkdir(exist_ok=True)
    (out / ".digest.html.k1ll3d.tmp").write_text("<html><body>half")  # as a kill mid-write leaves

    result = _run([folder], "2023-11-06", out, store)
    assert _stored_ids(store) == expected
    assert sorted(p.name for p in out.iterdir()) == ["digest.feed.json", "digest.html", "digest.json", "digest.log",
                                                     "digest.md", "digest.xml"]
    shown = [a for s in json.loads((out / "digest.json").read_text())["stories"] for a in s["articles"]]
    assert sorted(shown) == expected  # every article in exactly one story, none twice
    assert result.counts["briefs_written"] == len(result.stories) - (1 if stage == "brief" else 0)


def _groups(out: Path) -> list[list[str]]:
    return sorted(sorted(s["articles"]) for s in json.loads((out / "digest.json").read_text())["stories"])


def test_runs_killed_at_arbitrary_moments_then_resumed_give_the_uninterrupted_digest(tmp_path):
    """SIGKILL from outside at moments spread over a run's work, each restart on the same store."""
    folder = _day_folder(tmp_path, "in", TRIP + LATER_TRIP)
    # The child says when its imports are done, so the kill moments are measured from the
    # start of the run's work: interpreter start-up under a busy machine's load no longer
    # shifts them (a schedule measured from the process start killed only once in 10 while
    # another test suite ran beside it).
    child_code = _CHILD.replace("from summarize.digest.job import run\n",
                                "from summarize.digest.job import run\nprint('ready', flush=True)\n")
    assert "print('ready'" in child_code

    def start(store: Path, out: Path) -> tuple[subprocess.Popen, float]:
        code = child_code.format(tests=str(ROOT / "tests"), folder=str(folder), out=str(out), store=str(store),
                                 stage=None)
        child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert child.stdout.readline().strip() == b"ready", child.stderr.read()
        return child, time.monotonic()

    def work(store: Path, out: Path) -> float:
        child, ready = start(store, out)
        assert child.wait(timeout=300) == 0, child.stderr.read()
        child.stdout.close(), child.stderr.close()
        return time.monotonic() - ready

    # The run's work alone, warm (the first run reads files cold): the faster of two.
    whole = min(work(tmp_path / f"ref{i}.sqlite", tmp_path / f"ref{i}") for i in range(2))
    expected = sorted(Path(f).stem for f in TRIP + LATER_TRIP)
    killed = 0
    # Each restart resumes what the killed ones committed, so it needs less time than a whole
    # run: the kill moments step by a twentieth of the work. Should a busy machine still let
    # the runs finish before three kills, a new round starts on a fresh store.
    for round_ in range(3):
        store, out = tmp_path / f"state{round_}.sqlite", tmp_path / f"out{round_}"
        for k in range(10):
            child, ready = start(store, out)
            try:
                child.wait(timeout=max(0.0, ready + whole * k / 20 - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.send_signal(signal.SIGKILL)
                child.wait()
                killed += 1
            else:
                assert child.returncode == 0, child.stderr.read()
            child.stdout.close(), child.stderr.close()
            if (out / "digest.json").exists():  # a reader never meets half a file
                json.loads((out / "digest.json").read_text())
            if (out / "digest.html").exists():
                assert (out / "digest.html").read_text().rstrip().endswith("</html>")
        _run([folder], "2023-11-06", out, store)
        assert _stored_ids(store) == expected  # no article lost or stored twice
        assert _groups(out) == _groups(tmp_path / "ref0")  # the same stories, each article once
        assert not [p.name for p in out.iterdir() if p.suffix == ".tmp"]  # no half-written file left
        if killed >= 3:
            break
    assert killed >= 3  # most restarts were cut short, at different stages of the work


def test_bad_inputs_are_logged_and_the_rest_of_the_day_is_processed(tmp_path):
    folder = _day_folder(tmp_path, "in", TRIP[:2])
    (folder / "broken.xml").write_text("this is not { xml")
    (folder / "empty.html").write_text("<html><body><nav>Home</nav></body></html>")
    text = Path(TRIP[2]).read_text().split("\n", 2)[-1]
    (folder / "wire.rss").write_text(FEED.format(text=text.replace("&", "&amp;").replace("<", "&lt;")))
    (folder / "extra.jsonl").write_text(
        json.dumps({"id": "undated", "title": "Undated report",
                    "text": Path(TRIP[3]).read_text().split("\n", 2)[-1]}) + "\n"
        + json.dumps({"id": "future", "title": "From the future", "published": "2031-01-01",
                      "text": "Officials in Ankara said talks with Blinken would continue next year. "
                              "The foreign minister said more aid was needed in Gaza."}) + "\n")
    result = _run([folder], "2023-11-06", tmp_path / "out", tmp_path / "state.sqlite")
    reasons = {s.id: s.reason for s in result.skipped}
    assert "not a readable RSS/Atom feed" in reasons[str(folder / "broken.xml")]
    assert "no article text found in this HTML page" in reasons[str(folder / "empty.html")]
    assert "no publication date; dated to the digest day 2023-11-06" in reasons["undated"]
    assert "is after the digest day" in reasons["future"]
    assert result.counts["new"] == 5  # two .txt, the feed entry, both JSONL articles
    kept = {s.id for s in result.skipped if s.kept}
    assert kept == {"undated", "future"} and result.counts["noted"] == 2
    assert result.counts["skipped"] == len(result.skipped) - 2 >= 2
    story_articles = {a for story in result.stories for a in story.article_ids}
    assert {"undated", "future"} <= story_articles  # noted articles are in the digest
    log = (tmp_path / "out" / "digest.log").read_text()
    assert f"skipped {folder / 'broken.xml'}:" in log and f"skipped {folder / 'empty.html'}:" in log
    assert "noted undated: no publication date" in log and "noted future: published date" in log
    html = (tmp_path / "out" / "digest.html").read_text()
    assert '<a href="https://wire.example/blinken-ankara">' in html  # the source entry links the article
    assert '<ul class="skipped">' in html and '<ul class="noted">' in html
    markdown = (tmp_path / "out" / "digest.md").read_text()
    assert "## Skipped inputs" in markdown and "## Inputs kept with a note\n\n- `undated`: no publication" in markdown


def test_no_readable_article_at_all_is_an_input_error(tmp_path):
    (tmp_path / "bad.rss").write_text("nope")
    with pytest.raises(InputError, match="no readable article for 2023-11-06") as info:
        _run([tmp_path / "bad.rss"], "2023-11-06", tmp_path / "out", tmp_path / "s.sqlite")
    assert info.value.exit_code == 2


def _cli(*args: str, timeout: int = 120, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "summarize.cli", "digest", *args],
                          capture_output=True, text=True, timeout=timeout, cwd=ROOT, check=False, **kw)


def test_second_run_exits_75_with_one_line_while_the_store_is_locked(tmp_path):
    store = tmp_path / "state.sqlite"
    holder = subprocess.Popen(
        [sys.executable, "-c", ("import sys, time; from summarize.digest.store import StoreLock\n"
                                f"with StoreLock({str(store)!r}):\n    print('held', flush=True); time.sleep(60)")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        proc = _cli("--input", TRIP[0], "--date", "2023-11-06", "--out", str(tmp_path / "out"),
                    "--store", str(store), "--quiet")
    finally:
        holder.kill()
        holder.wait()
    assert proc.returncode == 75
    assert proc.stderr.strip().count("\n") == 0
    assert proc.stderr.startswith("error: another digest run holds")


def test_cli_on_the_seeds_with_the_real_embedder_shows_progress_and_a_summary(tmp_path):
    """The default path end to end: MiniLM, Punkt, the rich progress bar (no --quiet), the summary line."""
    folder = _day_folder(tmp_path, "seeds", TRIP + LATER_TRIP)
    proc = _cli("--input", str(folder), "--date", "2024-02-05", "--out", str(tmp_path / "out"),
                "--store", str(tmp_path / "s.sqlite"), timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith(
        "2024-02-05: 2 stories (2 written, 0 cached) from 5 new articles")
    data = json.loads((tmp_path / "out" / "digest.json").read_text())
    assert sorted(len(s["articles"]) for s in data["stories"]) == [1, 4]
    quiet = _cli("--input", str(folder), "--date", "2024-02-05", "--out", str(tmp_path / "out"),
                 "--store", str(tmp_path / "s.sqlite"), "--quiet", timeout=600)
    assert quiet.returncode == 0 and quiet.stderr == "" and quiet.stdout == ""


def test_cli_bad_date_and_old_store_exit_2(tmp_path):
    proc = _cli("--input", TRIP[0], "--date", "06/11/2023", "--out", str(tmp_path / "o"),
                "--store", str(tmp_path / "s.sqlite"), "--quiet")
    assert proc.returncode == 2 and "use YYYY-MM-DD" in proc.stderr
    old = tmp_path / "old.sqlite"
    db = sqlite3.connect(old)
    db.executescript("CREATE TABLE schema_version (version INTEGER); INSERT INTO schema_version VALUES (0);")
    db.close()
    proc = _cli("--input", TRIP[0], "--date", "2023-11-06", "--out", str(tmp_path / "o"),
                "--store", str(old), "--quiet")
    assert proc.returncode == 2 and "schema version 0" in proc.stderr


def test_cli_folders_that_cannot_be_created_exit_5_output_and_6_store_with_one_line(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    proc = _cli("--input", TRIP[0], "--date", "2023-11-06", "--out", str(blocker / "out"),
                "--store", str(tmp_path / "s.sqlite"), "--quiet")
    assert proc.returncode == 5 and proc.stderr.count("\n") == 1
    assert proc.stderr.startswith(f"error: {blocker / 'out'}: cannot create the output folder")
    proc = _cli("--input", TRIP[0], "--date", "2023-11-06", "--out", str(tmp_path / "out"),
                "--store", str(blocker / "state" / "s.sqlite"), "--quiet")
    assert proc.returncode == 6 and proc.stderr.startswith(f"error: {blocker / 'state'}: cannot create the store")
    assert not (tmp_path / "s.sqlite").exists()


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium (apt-get install -y chromium)")
def test_digest_page_renders_in_a_browser(tmp_path):
    store = tmp_path / "s.sqlite"
    _run([_day_folder(tmp_path, "d1", TRIP[:3])], "2023-11-06", tmp_path / "o1", store)
    folder = _day_folder(tmp_path, "d2", TRIP[3:] + LATER_TRIP)
    text = Path(TRIP[2]).read_text().split("\n", 2)[-1].replace("&", "&amp;").replace("<", "&lt;")
    (folder / "wire.rss").write_text(FEED.format(text=text.replace("Blinken", "Antony Blinken")))
    result = _run([folder], "2023-11-07", tmp_path / "o2", store)
    assert len(result.stories) == 2
    page = tmp_path / "o2" / "digest.html"
    dom = subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=True,
    ).stdout
    titles = [html.unescape(re.sub(r"\s+", " ", t)).strip()
              for t in re.findall(r'<h2 class="story-title"[^>]*>(.*?)</h2>', dom, re.DOTALL)]
    assert titles == [f"{s.rank}. {s.title}" for s in result.stories]
    assert "<title>News digest, 2023-11-07</title>" in dom
    assert '<a href="https://wire.example/blinken-ankara">' in dom  # the source entry links the article
    assert re.search(r'<a class="c" href="#c\d+-[en]\d+"[^>]*aria-expanded="false"[^>]*>\[\d+\]</a>', dom)  # script ran
    assert "Continues the story of 2023-11-06" in dom


def test_a_story_without_any_title_is_headed_by_the_opening_words_of_its_brief():
    def brief(*texts):
        sentences = tuple(BriefSentence(t, (1,), ()) for t in texts)
        return Brief("s-1", "", sentences, (Source(1, "a", "Daily A"),))

    def story(b):
        return digest_records.DigestStory(1, "s-1", 1.0, b, ("a",), ("Daily A",))

    long = brief("Secretary of State Antony Blinken insisted on Monday that he has made progress on the goals.")
    assert story(long).title == "Secretary of State Antony Blinken insisted on Monday that he has made\u2026"
    assert story(brief("The bridge reopened.", "It cost 12 million.")).title == "The bridge reopened"
    assert story(brief()).title == "Untitled story"
    titled = Brief("s-1", "Bridge reopens", long.sentences, long.sources)
    assert story(titled).title == "Bridge reopens"


def test_an_index_saved_by_an_earlier_clusterer_is_rebuilt_and_stories_continue(tmp_path):
    store = tmp_path / "state.sqlite"
    day1 = _run([_day_folder(tmp_path, "d1", TRIP[:3])], "2023-11-06", tmp_path / "o1", store)
    (story1,) = day1.stories
    db = sqlite3.connect(store)  # as an earlier summarize (index version 1) left it
    meta = json.loads(db.execute("SELECT meta FROM story_index WHERE id = 1").fetchone()[0])
    db.execute("UPDATE story_index SET meta = ? WHERE id = 1", (json.dumps({**meta, "version": 1}),))
    db.commit()
    db.close()
    day2 = _run([_day_folder(tmp_path, "d2", TRIP[3:])], "2023-11-07", tmp_path / "o2", store)
    (story2,) = day2.stories
    assert story2.story_id == story1.story_id and story2.previous is not None
    assert any(s.id == "story index" and s.kept and "rebuilt from 3 articles" in s.reason for s in day2.skipped)
    db = sqlite3.connect(store)
    saved = json.loads(db.execute("SELECT meta FROM story_index WHERE id = 1").fetchone()[0])
    db.close()
    from summarize.events.cluster import StoryIndex

    assert saved["version"] == StoryIndex.VERSION




def _claims_night(tmp_path: Path, week: int, day: str, n: str, e: str, c: str, w: str) -> Path:
    path = tmp_path / f"week{week}.jsonl"
    path.write_text("".join(json.dumps({"id": f"claims{week}-{i}", "published": day, "outlet": f"Outlet {i}",
                                        "title": f"Jobless claims fall to {n}",
                                        "text": t.format(n=n, e=e, c=c, w=w)}) + "\n"
                            for i, t in enumerate(JOBLESS_CLAIMS)))
    return path


def test_a_new_event_of_a_thread_names_the_earlier_story_as_related(tmp_path):
    store = tmp_path / "s.sqlite"
    night1 = _run([_claims_night(tmp_path, 1, "2021-05-13", "473,000", "490,000", "3.65", "May 8")],
                  "2021-05-13", tmp_path / "o1", store)
    night2 = _run([_claims_night(tmp_path, 2, "2021-05-20", "444,000", "450,000", "3.75", "May 15")],
                  "2021-05-20", tmp_path / "o2", store)
    (first,), (second,) = night1.stories, night2.stories
    assert second.story_id != first.story_id  # a week later: another event ...
    assert second.related == ((first.story_id, first.title),)  # ... of the same thread
    page = (tmp_path / "o2" / "digest.html").read_text()
    assert "Related:" in page and "not in this digest" in page


def _talks_night(tmp_path: Path, day: str, rows: list[tuple[str, str, str]]) -> Path:
    path = tmp_path / f"talks-{day}.jsonl"
    path.write_text("".join(json.dumps({"id": i, "published": day, "outlet": f"Outlet {n}", "title": title,
                                        "text": text}) + "\n"
                            for n, (i, title, text) in enumerate(rows)))
    return path


def test_next_night_the_same_event_continues_its_story_and_a_new_event_of_its_thread_is_related(tmp_path):
    talks, store = INFRASTRUCTURE_TALKS, tmp_path / "s.sqlite"
    offer = "Senate Republicans offer $568 billion for infrastructure"
    night1 = _run([_talks_night(tmp_path, "2021-04-22", [(f"offer{i}", offer, t)
                                                          for i, t in enumerate(talks["offer"])])],
                  "2021-04-22", tmp_path / "o1", store)
    answer = "White House cuts its infrastructure bid to $1.7 trillion"
    night2 = _run([_talks_night(tmp_path, "2021-04-23", [("offer-late", offer, talks["late"][0])]
                                + [(f"answer{i}", answer, t) for i, t in enumerate(talks["answer"])])],
                  "2021-04-23", tmp_path / "o2", store)
    (first,) = night1.stories
    by_id = {s.story_id: s for s in night2.stories}
    continued = by_id[first.story_id]  # the late report joined Thursday's story ...
    assert continued.article_ids == ("offer-late",) and continued.previous is not None
    (new,) = [s for s in night2.stories if s.story_id != first.story_id]  # ... the answer did not
    assert sorted(new.article_ids) == ["answer0", "answer1"] and new.previous is None
    assert new.related == ((first.story_id, continued.title),)  # same thread, listed as related
