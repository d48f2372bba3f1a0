"""Render a :class:`~summarize.digest.job.Digest`: ``digest.json`` (``docs/digest-schema.md``),
``digest.md``, ``digest.html`` (Jinja2, ``templates/digest.html.j2``), the feeds ``digest.xml``
(Atom) and ``digest.feed.json`` (JSON Feed, :mod:`summarize.digest.feeds_out`), the nights'
``index.html`` in the parent folder, and ``digest.log``.

The pages and feeds are written through temporary files and renamed together; the log is appended.
The page and the feeds are rendered from a view of each story (:mod:`summarize.digest.view`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from summarize.briefing.safe import markdown_code, markdown_text, relative_url
from summarize.digest import feeds_out
from summarize.digest.records import Digest
from summarize.digest.update import Update
from summarize.digest.view import ATOM, INDEX, JSON_FEED, PAGE, environment, story_views
from summarize.errors import OutputError, os_error
from summarize.files import remove_stale_temps, write_all_atomic
from summarize.records import citation_marks

SCHEMA_VERSION = 2  # of digest.json; 1 had no "update"
OUTPUTS = ("digest.md", "digest.json", PAGE, ATOM, JSON_FEED)
INDEX_MARK = '<meta name="generator" content="summarize digest index">'  # an index.html we wrote


def to_dict(digest: Digest) -> dict[str, Any]:
    """The JSON form of a digest (``docs/digest-schema.md``)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "date": digest.date,
        "model": digest.model,
        "counts": dict(digest.counts),
        "stories": [
            {"rank": s.rank, "story_id": s.story_id, "score": s.score, "title": s.title,
             "outlets": list(s.outlets), "articles": list(s.article_ids), "cached": s.cached,
             "previous": None if s.previous is None else
             {"date": s.previous.date, "story_id": s.previous.story_id, "href": s.previous.href,
              "title": s.previous.title},
             "update": None if s.update is None else s.update.to_dict(),
             "related": [{"story_id": sid, "title": title} for sid, title in s.related],
             "brief": s.brief.to_dict()}
            for s in digest.stories
        ],
        "skipped": [{"id": s.id, "reason": s.reason, "kept": s.kept} for s in digest.skipped],
    }


def to_markdown(digest: Digest) -> str:
    """``digest.md``. Text from articles is escaped and only ``http(s)`` URLs are linked
    (``summarize.briefing.safe``), so a Markdown renderer shows no HTML from an article."""
    from summarize.briefing import render

    lines = [f"# News digest, {digest.date}", "",
             f"{len(digest.stories)} stories from {digest.counts.get('read', 0)} articles read.", ""]
    for s in digest.stories:
        body = render.to_markdown(s.brief).split("\n", 1)[1]
        lines.append(f"## {s.rank}. {markdown_text(s.title)}")
        if s.previous:
            href = relative_url(s.previous.href)
            link = f"[earlier brief]({href})" if href else "earlier brief"
            lines += ["", (f"*Continues the story of {markdown_text(s.previous.date)} "
                           f"({markdown_text(s.previous.story_id)}, {link}).*")]
        if s.update is not None:
            lines += _update_markdown(s.update)
        lines.append(body)
    for heading, kept in (("Skipped inputs", False), ("Inputs kept with a note", True)):
        items = [f"- {markdown_code(s.id)}: {markdown_text(s.reason)}" for s in digest.skipped if s.kept is kept]
        if items:
            lines += [f"## {heading}", "", *items, ""]
    return "\n".join(lines).rstrip() + "\n"


def _update_markdown(update: Update) -> list[str]:
    lines = ["", f"**New since {markdown_text(update.since)}:** "
             + (" ".join(f"{markdown_text(x.text)} {citation_marks(x.citations)}" for x in update.sentences)
                if update.sentences else "no new claim; today's reports repeat the earlier coverage.")]
    lines += [f"- Changed: {markdown_text(c.topic)}: was \"{markdown_text(c.before)}\", "
              f"now \"{markdown_text(c.after)}\" {citation_marks(c.citations)}"
              for c in update.changed]
    if update.new_outlets:
        lines.append(f"- Newly reporting: {markdown_text(', '.join(update.new_outlets))}")
    return lines


def to_html(digest: Digest, *, links: bool = True) -> str:
    """A static page rendered from ``summarize/digest/templates/digest.html.j2``.

    Autoescaped; only ``http(s)`` URLs become links (each :class:`StoryView` holds them,
    already checked; the earlier brief's relative link goes through the ``relative_url``
    filter). The page carries a Content-Security-Policy that lets nothing load and nothing
    run but its own ``<style>`` and ``<script>``, each allowed by the hash the
    ``sha256_base64`` filter computes from it as rendered. ``links``: link the feeds and
    the nights' index that :func:`write_outputs` writes beside the page.
    """
    return environment().get_template("digest.html.j2").render(
        digest=digest, views=story_views(digest), links=links)


# --- the nights' index ------------------------------------------------------------------

@dataclass(frozen=True)
class Night:
    """One digest listed in the nights' index: its folder (a sibling of the others)."""

    date: str
    folder: str
    stories: int
    articles: int
    headlines: tuple[str, ...]


HEADLINES = 3  # top stories named per night in the index


def _night(folder: Path) -> Night | None:
    """The night whose ``digest.json`` is in ``folder``; ``None`` if there is none or it is unreadable."""
    try:
        data = json.loads((folder / "digest.json").read_text(encoding="utf-8"))
        stories = data["stories"]
        return Night(str(data["date"]), folder.name, len(stories), int(data.get("counts", {}).get("read", 0)),
                     tuple(str(s["title"]) for s in stories[:HEADLINES]))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def nights(parent: Path, digest: Digest, out: Path) -> list[Night]:
    """Every night written beside ``out`` (its sibling folders holding a ``digest.json``) and
    ``digest`` itself (about to be written to ``out``), newest first."""
    this = Night(digest.date, out.name, len(digest.stories), int(digest.counts.get("read", 0)),
                 tuple(s.title for s in digest.stories[:HEADLINES]))
    found = [this]
    try:
        siblings = sorted(p for p in parent.iterdir() if p.name != out.name and p.is_dir())
    except OSError:
        siblings = []
    found += [night for p in siblings if (night := _night(p)) is not None]
    return sorted(found, key=lambda n: (n.date, n.folder), reverse=True)


def to_index(listed: list[Night]) -> str:
    """``index.html`` of the parent folder: the nights, newest first, with links to each
    night's page and feeds (``templates/index.html.j2``; the same CSP model as the page)."""
    return environment().get_template("index.html.j2").render(nights=listed)


def _index_path(out: Path) -> Path | None:
    """Where the nights' index goes: ``index.html`` in the parent of ``out``, unless that
    file exists and was not written by us (then it is left alone)."""
    out = out.resolve()
    if out.parent == out:
        return None
    path = out.parent / INDEX
    try:
        if path.exists() and INDEX_MARK not in path.read_text(encoding="utf-8", errors="replace")[:4096]:
            return None
    except OSError:
        return None
    return path


def write_outputs(digest: Digest, out: Path) -> None:
    """``digest.md``, ``digest.json``, ``digest.html``, ``digest.xml`` and ``digest.feed.json``
    in ``out``, and ``index.html`` in its parent: all are written to temp files first, then
    renamed back to back, so a killed run leaves the earlier set whole.

    Temp files a killed run left in ``out`` (and of the index in the parent) are removed
    first (the store lock keeps any other run of this store from writing there now).
    """
    remove_stale_temps(out, OUTPUTS)
    files = {
        out / "digest.md": to_markdown(digest),
        out / "digest.json": json.dumps(to_dict(digest), ensure_ascii=False, indent=2) + "\n",
        out / PAGE: to_html(digest),
        out / ATOM: feeds_out.to_atom(digest),
        out / JSON_FEED: feeds_out.to_json_feed(digest),
    }
    if (index := _index_path(out)) is not None:
        remove_stale_temps(index.parent, (INDEX,))
        files[index] = to_index(nights(index.parent, digest, out.resolve()))
    write_all_atomic(files)


def write_log(path: Path, digest: Digest) -> None:
    """Append the run's counts and every input skipped or noted, with the reason, to ``digest.log``.

    One line per entry, always: in ids and reasons, control characters (newlines, carriage
    returns, escapes, C1 controls), Unicode line and paragraph separators and bidirectional
    overrides are written as Python-style escapes (``\\n``, ``\\x1b``, ``\\u2028``), and a
    backslash as ``\\\\``, so no input can start a line of its own or pass for another.
    """
    import re  # here, not at the top: the rest of this module is another owner's

    unsafe = re.compile(r"[\\\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
    short = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}

    def escape(match: re.Match[str]) -> str:
        c = match.group()
        return short.get(c) or (f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}")

    def safe(text: str) -> str:
        return unsafe.sub(escape, text)

    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    counts = " ".join(f"{safe(k)}={v}" for k, v in digest.counts.items())
    lines = [f"{stamp} digest {safe(digest.date)} done: {counts}"]
    if deferred := digest.counts.get("deferred"):
        lines.append(f"{stamp} limit {safe(digest.date)}: {deferred} new articles over "
                     "limits.max_articles_per_night were not stored (skipped below); give them again in a later run")
    lines += [f"{stamp} {'noted' if s.kept else 'skipped'} {safe(s.id)}: {safe(s.reason)}" for s in digest.skipped]
    try:
        with path.open("a", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
    except OSError as exc:
        raise os_error(exc, f"{path}: cannot append to the log", OutputError) from exc
