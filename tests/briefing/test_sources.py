"""Source lists name the publisher and the wire source: "ICARO Media Group (Reuters)"."""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import SEEDS, TRIP, HashingEmbedder

import summarize
from summarize.briefing import render
from summarize.records import Brief, Source

CREDIT = "ICARO Media Group (Reuters)"


def test_credit_joins_publisher_and_wire_only_when_they_differ():
    assert Source(1, "a", "ICARO Media Group", publisher="ICARO Media Group", wire="Reuters").credit == CREDIT
    assert Source(1, "a", "Reuters", publisher="Reuters", wire="Reuters").credit == "Reuters"
    assert Source(1, "a", "The Guardian", publisher="The Guardian").credit == "The Guardian"
    unknown = Source(1, "x", "Unknown outlet (x)", wire="Associated Press")
    assert unknown.credit == "Unknown outlet (x) (Associated Press)"  # the agency, never a guessed publisher


def test_old_briefs_without_publisher_and_wire_still_load():
    data = {"schema_version": Brief.SCHEMA_VERSION, "story_id": "s", "title": "", "sentences": [],
            "sources": [{"n": 1, "article_id": "a", "outlet": "Alpha", "title": "", "url": "", "published": ""}]}
    [source] = Brief.from_dict(data).sources
    assert (source.outlet, source.publisher, source.wire, source.credit) == ("Alpha", "", "", "Alpha")


def _seed_000(brief: Brief) -> Source:
    return next(s for s in brief.sources if s.article_id.startswith("000_"))


@pytest.mark.slow
def test_seed_000_is_credited_to_icaro_and_reuters_in_markdown_and_json_on_the_real_path():
    brief = summarize.brief(TRIP)  # real files, Punkt and MiniLM
    source = _seed_000(brief)
    assert (source.outlet, source.publisher, source.wire) == ("ICARO Media Group", "ICARO Media Group", "Reuters")
    assert f"{source.n}. {CREDIT}, “U.S. Secretary of State Antony Blinken Wraps Up" in render.to_markdown(brief)
    data = json.loads(render.to_json(brief))
    entry = next(s for s in data["sources"] if s["article_id"] == source.article_id)
    assert (entry["outlet"], entry["publisher"], entry["wire"]) == ("ICARO Media Group", "ICARO Media Group", "Reuters")
    assert Brief.from_dict(data) == brief
    # The other seeds name no wire agency, and the two that name no outlet say so.
    others = {s.article_id[:3]: s.credit for s in brief.sources if s is not source}
    assert others["001"] == "The Guardian" and others["003"] == "CNN"
    assert others["002"] == "Unknown outlet (002_edbb9f93f4e3c2ae)"


def test_seed_000_is_credited_on_the_digest_page_and_in_the_feeds(tmp_path):
    from summarize.digest import job

    folder = tmp_path / "in"
    folder.mkdir()
    for f in TRIP:
        shutil.copy(f, folder)
    shutil.copy(SEEDS / "metadata.jsonl", folder)
    out = tmp_path / "out"
    job.run([str(folder)], date="2023-11-06", out_dir=out, store=tmp_path / "s.sqlite", embedder=HashingEmbedder())
    page = (out / "digest.html").read_text(encoding="utf-8")
    assert f"<b>{CREDIT}</b>" in page  # the source list
    assert "ICARO Media Group (Reuters)" in (out / "digest.xml").read_text(encoding="utf-8")
    assert CREDIT in (out / "digest.md").read_text(encoding="utf-8")
    data = json.loads((out / "digest.json").read_text(encoding="utf-8"))
    sources = [s for story in data["stories"] for s in story["brief"]["sources"] if s["article_id"].startswith("000_")]
    assert [(s["publisher"], s["wire"]) for s in sources] == [("ICARO Media Group", "Reuters")]
    assert "Reuters</b>" not in page.replace(f"<b>{CREDIT}</b>", "")  # Reuters is never named the publisher
