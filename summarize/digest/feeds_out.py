"""The digest as feeds: ``digest.xml`` (Atom 1.0, RFC 4287) and ``digest.feed.json`` (JSON Feed 1.1).

One entry per story, in rank order. An entry's id is ``tag:summarize,<digest day>:<story id>``
(:func:`entry_id`): the same story on the same night keeps its id through re-runs, and a
story continuing the next night is a new entry (its brief is new) under the same story id.
Its content is the story as HTML (``templates/entry.html.j2``, autoescaped): the coverage,
"what is new" for a continuing story, the brief with its ``[n]`` citations linked to the
articles (``http(s)`` URLs only, :func:`summarize.briefing.safe.link_url`; the quoted
supporting sentence in the link's title), facts, disagreements, single-outlet claims and
the sources. In the Atom file that HTML is escaped text (``type="html"``), and characters
XML 1.0 does not allow (controls, lone surrogates) are dropped from every value.

Links are relative to the feed's own location (the page beside it, ``digest.html#<story
id>``), so the folder can be served from anywhere; feed readers resolve them against the
feed's URL. Times are the digest day at 00:00 UTC, so an unchanged re-run writes the same bytes.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import quote

from summarize.briefing.safe import relative_url
from summarize.digest.records import Digest
from summarize.digest.view import ATOM, PAGE, StoryView, environment, story_views

ATOM_NS = "http://www.w3.org/2005/Atom"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
AUTHOR = "summarize"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def entry_id(date: str, story_id: str) -> str:
    """``tag:summarize,2026-11-23:s-3f2a...``: the story on that night (RFC 4151 tag URI)."""
    return f"tag:summarize,{quote(date, safe='-')}:{quote(story_id, safe='-._~')}"


def feed_id(date: str) -> str:
    return f"tag:summarize,{quote(date, safe='-')}:digest"


def _time(date: str) -> str:
    return f"{date}T00:00:00Z" if re.fullmatch(r"\d{4}-\d{2}-\d{2}", date) else "1970-01-01T00:00:00Z"


def _xml(text: str) -> str:
    return _NOT_XML.sub("", text)


def _story_link(view: StoryView) -> str:
    return relative_url(f"{PAGE}#{view.story.story_id}")


def entry_html(view: StoryView) -> str:
    """The story as an HTML fragment for a feed entry (autoescaped; links http(s) or relative)."""
    return environment().get_template("entry.html.j2").render(v=view, page=_story_link(view))


def entry_text(view: StoryView) -> str:
    """The story as plain text: what is new, then the brief, with ``[n]`` citations."""
    parts = []
    update = view.story.update
    if update is not None and update.sentences:
        parts.append(f"New since {update.since}: " + " ".join(s.cited_text() for s in update.sentences))
    parts.append(view.story.brief.text)
    return "\n\n".join(p for p in parts if p)


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", {k: _xml(v) for k, v in attrs.items()})
    if text is not None:
        element.text = _xml(text)
    return element


def to_atom(digest: Digest) -> str:
    """``digest.xml``: the night's stories as an Atom 1.0 feed (see the module doc)."""
    ET.register_namespace("", ATOM_NS)
    when = _time(digest.date)
    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    _sub(feed, "id", feed_id(digest.date))
    _sub(feed, "title", f"News digest, {digest.date}")
    _sub(feed, "subtitle", f"{len(digest.stories)} stories from {digest.counts.get('read', 0)} articles, "
                           "each brief cited to its sources")
    _sub(feed, "updated", when)
    _sub(_sub(feed, "author"), "name", AUTHOR)
    _sub(feed, "generator", "summarize digest")
    _sub(feed, "link", rel="alternate", type="text/html", href=PAGE)
    _sub(feed, "link", rel="self", type="application/atom+xml", href=ATOM)
    for view in story_views(digest):
        story = view.story
        entry = _sub(feed, "entry")
        _sub(entry, "id", entry_id(digest.date, story.story_id))
        _sub(entry, "title", story.title)
        _sub(entry, "updated", when)
        _sub(entry, "published", when)
        _sub(entry, "link", rel="alternate", type="text/html", href=_story_link(view))
        for outlet in story.outlets:
            _sub(entry, "category", term=outlet, label=outlet, scheme="tag:summarize,2026:outlet")
        if story.update is not None:
            _sub(entry, "category", term="continuing", label=f"continues the story of {story.update.since}",
                 scheme="tag:summarize,2026:status")
        _sub(entry, "summary", entry_text(view), type="text")
        _sub(entry, "content", entry_html(view), type="html")
    ET.indent(feed, space="  ")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="unicode") + "\n"


def to_json_feed(digest: Digest) -> str:
    """``digest.feed.json``: the night's stories as a JSON Feed 1.1 (same entries as the Atom feed).

    Each item carries ``_summarize`` (``story_id``, ``rank``, ``outlets``, ``articles``, ``since``
    for a continuing story), as JSON Feed's extension rules allow.
    """
    when = _time(digest.date)
    items: list[dict[str, Any]] = []
    for view in story_views(digest):
        story = view.story
        items.append({
            "id": entry_id(digest.date, story.story_id),
            "url": _story_link(view),
            "title": story.title,
            "content_html": entry_html(view),
            "content_text": entry_text(view),
            "date_published": when,
            "tags": list(story.outlets) + (["continuing"] if story.update is not None else []),
            "_summarize": {"story_id": story.story_id, "rank": story.rank, "outlets": list(story.outlets),
                           "articles": len(story.article_ids),
                           "since": story.update.since if story.update is not None else None},
        })
    feed = {
        "version": JSON_FEED_VERSION,
        "title": f"News digest, {digest.date}",
        "description": f"{len(digest.stories)} stories from {digest.counts.get('read', 0)} articles, "
                       "each brief cited to its sources",
        "authors": [{"name": AUTHOR}],
        "language": "en",
        "items": items,
    }
    return json.dumps(feed, ensure_ascii=False, indent=1) + "\n"
