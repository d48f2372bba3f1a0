"""The digest's feeds and nights' index (issue 18): ``digest.xml`` (Atom 1.0), ``digest.feed.json``
(JSON Feed 1.1) and ``index.html`` in the parent folder, over two consecutive nights with a
continuing story; stable ids and anchors; hostile text stays well-formed and escaped.

feedparser (6.0) reads the Atom feed back; it does not read JSON Feed, so the JSON feed is
checked against the members JSON Feed 1.1 requires and against the Atom feed's entries.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

import feedparser
import pytest
from digest_nights import MONDAY, TUESDAY, two_nights
from test_page_safety import (
    PAYLOADS,
    Tags,
    _assert_safe_html,
    _hostile_digest,
    _safe_href,
)

from summarize.digest import feeds_out
from summarize.digest import render as digest_render
from summarize.digest.records import Digest


@pytest.fixture(scope="module")
def nights(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("feeds")
    one, two = two_nights(tmp)
    return tmp / "digests", one, two


def _atom(folder: Path):
    parsed = feedparser.parse(str(folder / "digest.xml"))
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed


def _json_feed(folder: Path) -> dict:
    """``digest.feed.json``, checked for what JSON Feed 1.1 requires of a feed and its items."""
    feed = json.loads((folder / "digest.feed.json").read_text(encoding="utf-8"))
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert isinstance(feed["title"], str) and feed["title"]
    assert isinstance(feed["items"], list)
    assert all(isinstance(a.get("name"), str) for a in feed.get("authors", []))
    for item in feed["items"]:
        assert isinstance(item["id"], str) and item["id"]
        assert isinstance(item.get("content_html"), str) or isinstance(item.get("content_text"), str)
        datetime.fromisoformat(item["date_published"])  # RFC 3339
        assert all(isinstance(t, str) for t in item.get("tags", []))
        assert all(k in {"id", "url", "title", "content_html", "content_text", "date_published", "tags"}
                   or k.startswith("_") for k in item)  # extensions start with "_"
    return feed


def test_atom_and_json_feeds_of_two_nights_read_back_with_stable_ids_titles_and_links(nights):
    root, one, two = nights
    for night in (one, two):
        folder = root / night.date
        atom, jf = _atom(folder), _json_feed(folder)
        ids = [f"tag:summarize,{night.date}:{s.story_id}" for s in night.stories]
        assert [e.id for e in atom.entries] == ids == [i["id"] for i in jf["items"]]
        assert [e.title for e in atom.entries] == [s.title for s in night.stories] == [i["title"] for i in jf["items"]]
        links = [f"digest.html#{s.story_id}" for s in night.stories]
        assert [e.link for e in atom.entries] == links == [i["url"] for i in jf["items"]]
        assert atom.feed.title == jf["title"] == f"News digest, {night.date}"
        assert atom.feed.id == f"tag:summarize,{night.date}:digest"
        for entry, story in zip(atom.entries, night.stories, strict=True):
            html = entry.content[0].value
            assert story.brief.sentences[0].text in html and entry.updated.startswith(night.date)
            assert [t.term for t in entry.tags][:len(story.outlets)] == list(story.outlets)
    # The flood story continues: the same story id, a new entry id for the new night.
    floods = next(s for s in two.stories if s.update is not None)
    assert floods.story_id == one.stories[0].story_id
    assert f"tag:summarize,{MONDAY}:{floods.story_id}" in {e.id for e in _atom(root / MONDAY).entries}
    assert f"tag:summarize,{TUESDAY}:{floods.story_id}" in {e.id for e in _atom(root / TUESDAY).entries}


def test_an_unchanged_rerun_writes_the_same_feeds(nights, tmp_path):
    root, _, two = nights
    (tmp_path / "again").mkdir()
    digest_render.write_outputs(two, tmp_path / "again")
    for name in ("digest.xml", "digest.feed.json", "digest.html"):
        assert (tmp_path / "again" / name).read_bytes() == (root / TUESDAY / name).read_bytes(), name


def test_a_continuing_story_says_what_is_new_in_the_page_and_both_feeds(nights):
    root, _, two = nights
    floods = next(s for s in two.stories if s.update is not None)
    assert floods.update.since == MONDAY and floods.update.sentences
    new = floods.update.sentences[0].text
    page = (root / TUESDAY / "digest.html").read_text(encoding="utf-8")
    section = page.split(f'id="{floods.story_id}"', 1)[1].split("</section>", 1)[0]
    block = section.split('<div class="update">', 1)[1].split("</div>", 1)[0]
    assert f"<h3>New since {MONDAY}</h3>" in block and new in block and 'class="changed"' in block
    assert f'<a href="../{MONDAY}/digest.html#{floods.story_id}">' in section  # the earlier brief
    entry = next(e for e in _atom(root / TUESDAY).entries if floods.story_id in e.id)
    assert f"<strong>New since {MONDAY}:</strong> {new}" in entry.content[0].value
    assert entry.summary.startswith(f"New since {MONDAY}: {new}")
    assert "continuing" in [t.term for t in entry.tags]
    item = next(i for i in _json_feed(root / TUESDAY)["items"] if floods.story_id in i["id"])
    assert f"New since {MONDAY}:" in item["content_html"] and new in item["content_text"]
    assert item["_summarize"]["since"] == MONDAY and "continuing" in item["tags"]


def test_story_anchors_are_the_story_ids_on_every_night(nights):
    root, one, two = nights
    for night in (one, two):
        page = (root / night.date / "digest.html").read_text(encoding="utf-8")
        for s in night.stories:
            assert f'<section class="story" id="{s.story_id}"' in page and f'<a href="#{s.story_id}">' in page
    (shared,) = {s.story_id for s in one.stories} & {s.story_id for s in two.stories}
    assert re.fullmatch(r"s-[0-9a-f]{12}", shared)


def test_the_page_shows_coverage_wire_copies_facts_disagreements_and_single_outlet_claims(nights):
    root, _, two = nights
    page = (root / TUESDAY / "digest.html").read_text(encoding="utf-8")
    bridge = next(s for s in two.stories if "bridge" in s.title.lower())
    floods = next(s for s in two.stories if s.update is not None)
    section = page.split(f'id="{bridge.story_id}"', 1)[1].split("</section>", 1)[0]
    assert "4 outlets, 4 articles" in section and '<div class="facts">' in section
    assert "&#10004; 4 outlets</span>" in section
    pair = section.split('<div class="pair">', 1)[1].split("</div>", 1)[0]
    assert "Harbor Times:</span>" in pair and "Coast Herald:</span>" in pair and "14 people" in pair and "9 people" in pair
    section = page.split(f'id="{floods.story_id}"', 1)[1].split("</section>", 1)[0]
    # Northern Post ran Daily A's copy: one chip, the copy named on it
    assert '<li class="wire">Daily A <span class="copies">+ the same copy in Northern Post</span></li>' in section
    assert "3 outlets, 3 articles" in section
    nav = page.split('<nav class="toc"', 1)[1].split("</nav>", 1)[0]
    assert [m for m in re.findall(r'<a href="#([^"]+)">', nav)] == [s.story_id for s in two.stories]


def test_related_stories_are_linked_in_page_when_shown_and_named_otherwise(nights):
    _, _, two = nights
    first, second = two.stories
    from dataclasses import replace

    linked = replace(first, related=((second.story_id, second.title), ("s-000000000000", "An older thread")))
    page = digest_render.to_html(Digest(two.date, (linked, second), counts=two.counts))
    related = page.split('<p class="related">', 1)[1].split("</p>", 1)[0]
    assert f'<a href="#{second.story_id}">{second.title}</a>' in related
    assert "An older thread <span" in related and "s-000000000000" not in related
    assert digest_render.to_dict(Digest(two.date, (linked,)))["stories"][0]["related"][0] == {
        "story_id": second.story_id, "title": second.title}


def test_the_nights_index_lists_every_night_newest_first_and_spares_a_foreign_index(nights, tmp_path):
    root, one, two = nights
    index = (root / "index.html").read_text(encoding="utf-8")
    assert digest_render.INDEX_MARK in index
    hrefs = re.findall(r'<h2><a href="([^"]+)">([^<]+)</a></h2>', index)
    assert hrefs == [(f"{TUESDAY}/digest.html", TUESDAY), (f"{MONDAY}/digest.html", MONDAY)]
    assert f'href="{TUESDAY}/digest.xml"' in index and f'href="{MONDAY}/digest.feed.json"' in index
    assert two.stories[0].title in index
    tags = _assert_safe_html(index)
    (meta,) = [a["content"] for t, a in tags.tags if a.get("http-equiv") == "Content-Security-Policy"]
    style = base64.b64encode(hashlib.sha256(tags.styles[0].encode()).digest()).decode()
    assert f"style-src 'sha256-{style}'" in meta and "script" not in meta and not tags.scripts
    # someone else's index.html in the parent folder is left alone
    (tmp_path / "index.html").write_text("<h1>my site</h1>", encoding="utf-8")
    (tmp_path / MONDAY).mkdir()
    digest_render.write_outputs(one, tmp_path / MONDAY)
    assert (tmp_path / "index.html").read_text(encoding="utf-8") == "<h1>my site</h1>"
    assert (tmp_path / MONDAY / "digest.xml").is_file()
    assert not list(tmp_path.glob(".*.tmp"))


def test_hostile_text_gives_well_formed_feeds_with_only_escaped_markup_and_safe_links():
    d = _hostile_digest()
    d = Digest(d.date, tuple(s.__class__(**{**s.__dict__, "story_id": f"s-{i}\x01"}) for i, s in enumerate(d.stories)),
               d.skipped, d.counts, d.model)
    atom = feeds_out.to_atom(d)
    ET.fromstring(atom.encode("utf-8"))  # well-formed XML, the control character dropped
    parsed = feedparser.parse(atom)
    assert parsed.bozo == 0 and len(parsed.entries) == len(d.stories)
    raw = ET.fromstring(atom.encode("utf-8"))
    contents = [c.text for c in raw.iter("{http://www.w3.org/2005/Atom}content")]
    assert len(contents) == len(PAYLOADS)
    for html in contents:
        tags = Tags(html)
        assert {t for t, _ in tags.tags} <= {"p", "small", "strong", "ul", "ol", "li", "sup", "a", "span"}
        assert [k for _, a in tags.tags for k in a if k not in {"href", "title", "value"}] == []
        assert all(_safe_href(h) and not h.lower().startswith("javascript") for h in tags.hrefs())
    feed = json.loads(feeds_out.to_json_feed(d))
    for item in feed["items"]:
        tags = Tags(item["content_html"])
        assert {t for t, _ in tags.tags} <= {"p", "small", "strong", "ul", "ol", "li", "sup", "a", "span"}
        assert all(_safe_href(h) for h in tags.hrefs())
        assert "&lt;script&gt;" in item["content_html"] or "<script" not in item["title"]  # shown as text
