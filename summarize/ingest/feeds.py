"""Read RSS and Atom feed files into :class:`~summarize.records.Article` records.

Each feed entry becomes one article: its title, link (as ``url``), publication date (ISO
8601, UTC) and text (the entry's full ``content`` when the feed carries it, else its
``summary``, with the HTML tags removed). Parsing is done by ``feedparser``, which copes
with the many dialects of RSS 0.9x/1.0/2.0 and Atom; a file that is not a feed at all is an
:class:`~summarize.errors.InputError` naming the file.

Feed URLs (``http://``, ``https://``) given by the user are fetched by :func:`fetch_feed`
through :mod:`summarize.ingest.fetch` (one GET, a deadline, a size cap, a few redirects,
public hosts only unless ``limits.allow_private_hosts``); a URL that cannot be fetched is an
``InputError`` naming it, so the rest of the day goes on. Nothing else is ever downloaded.
"""

from __future__ import annotations

import calendar
import hashlib
import html
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from summarize.errors import InputError, ResourceMissingError
from summarize.ingest import outlets
from summarize.ingest.fetch import fetch_url
from summarize.ingest.loaders import unglue_inline
from summarize.options import Limits
from summarize.records import Article, Skipped

FEED_SUFFIXES = frozenset({".rss", ".atom", ".xml"})
USER_AGENT = "summarize-digest (+https://github.com/)"
_FEED_START = re.compile(rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:rss|feed|rdf:RDF)\b", re.DOTALL)
_BLOCK = frozenset({"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr"})
_SKIP = frozenset({"script", "style", "noscript"})


class _Text(HTMLParser):
    """Text of an HTML fragment, one line per block element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in _SKIP:
            self._skipping += 1
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP and self._skipping:
            self._skipping -= 1
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:  # a line break in the source is a space; only blocks end lines
            self.parts.append(data.replace("\r", " ").replace("\n", " "))


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment (feeds often put markup in ``summary``/``content``)."""
    if "<" not in fragment:
        return html.unescape(fragment).strip()
    parser = _Text()
    parser.feed(unglue_inline(fragment))
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


def looks_like_feed(path: Path) -> bool:
    """Feed files are named ``.rss``/``.atom``/``.xml`` or start with an RSS/Atom root."""
    if path.suffix.lower() in FEED_SUFFIXES:
        return True
    try:
        with path.open("rb") as handle:
            head = handle.read(2048)
    except OSError:
        return False
    return bool(_FEED_START.match(head))


def _iso(parsed: Any) -> str:
    if not parsed:
        return ""
    return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC).isoformat(timespec="seconds")


def _entry_text(entry: Any) -> str:
    contents = [c.get("value", "") for c in entry.get("content", []) or []]
    best = max(contents, key=len, default="")
    summary = entry.get("summary", "") or ""
    return html_to_text(best if len(best) >= len(summary) else summary)


def parse_feed(data: bytes, origin: str, skipped: list[Skipped] | None = None) -> list[Article]:
    """Articles of one RSS/Atom document.

    Entries without any text are recorded in ``skipped`` (when given) and left out.

    Raises:
        InputError: the document is not a feed (not XML, or XML without entries).
        ResourceMissingError: ``feedparser`` is not installed.
    """
    try:
        import feedparser
    except ImportError:  # pragma: no cover - a declared dependency
        raise ResourceMissingError("reading RSS/Atom feeds needs feedparser: pip install feedparser") from None
    feed = feedparser.parse(data)
    version = feed.get("version", "")
    if feed.get("bozo") and not feed.entries:
        reason = feed.get("bozo_exception")
        raise InputError(f"{origin}: not a readable RSS/Atom feed ({type(reason).__name__}: {reason})")
    if not version and not feed.entries:
        raise InputError(f"{origin}: not an RSS/Atom feed (no <rss>, <feed> or RDF root element)")
    outlet = html_to_text(feed.feed.get("title", "") or "")
    articles: list[Article] = []
    for i, entry in enumerate(feed.entries):
        link = entry.get("link", "") or ""
        where = f"{origin} entry {i + 1}"
        text = _entry_text(entry)
        if not text.strip():
            if skipped is not None:
                skipped.append(Skipped(link or where, f"{where}: the feed entry has no text"))
            continue
        key = entry.get("id") or link or text
        articles.append(outlets.credited(Article(
            id="f-" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:12],
            text=text,
            title=html_to_text(entry.get("title", "") or ""),
            url=link,
            published=_iso(entry.get("published_parsed") or entry.get("updated_parsed")),
            origin=where,
        ), given=outlet))
    return articles


def read_feed(path: Path, skipped: list[Skipped] | None = None, limits: Limits | None = None) -> list[Article]:
    """Articles of a feed file; see :func:`parse_feed`."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read the feed file: {exc.strerror}") from None
    if not data.strip():
        raise InputError(f"{path}: the feed file is empty")
    return parse_feed(data, str(path), skipped)


def is_url(item: str) -> bool:
    return str(item).lower().startswith(("http://", "https://"))


def fetch_feed(url: str, skipped: list[Skipped] | None = None, limits: Limits | None = None) -> list[Article]:
    """Articles of the feed at ``url`` (one GET, see :func:`summarize.ingest.fetch.fetch_url`);
    see :func:`parse_feed`.

    Raises:
        InputError: the URL cannot be fetched (not http(s), not a public host, network,
            HTTP status, timeout, deadline, too many redirects, too large) or is not a feed;
            the message starts with ``url``.
    """
    data = fetch_url(url, limits, {"User-Agent": USER_AGENT,
                                   "Accept": "application/rss+xml, application/atom+xml, */*"})
    if not data.strip():
        raise InputError(f"{url}: the server sent an empty feed")
    return parse_feed(data, url, skipped)
