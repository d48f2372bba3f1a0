"""Render a :class:`~summarize.digest.job.Digest`: ``digest.json`` (``docs/digest-schema.md``),
``digest.md``, ``digest.html`` (Jinja2, ``templates/digest.html.j2``) and ``digest.log``.

The three pages are written through temporary files and renamed together; the log is appended.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from summarize.briefing.safe import link_url, markdown_code, markdown_text, relative_url
from summarize.digest.records import Digest
from summarize.digest.update import Update
from summarize.errors import OutputError, os_error
from summarize.files import remove_stale_temps, write_all_atomic
from summarize.records import citation_marks

SCHEMA_VERSION = 2  # of digest.json; 1 had no "update"
OUTPUTS = ("digest.md", "digest.json", "digest.html")



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


def to_html(digest: Digest) -> str:
    """A static page rendered from ``summarize/digest/templates/digest.html.j2``.

    Autoescaped; only ``http(s)`` URLs become links (``urls`` holds them, already checked;
    the earlier brief's relative link goes through the ``relative_url`` filter). The page
    carries a Content-Security-Policy that lets nothing load or run but its own ``<style>``,
    allowed by the hash the ``sha256_base64`` filter computes from the style as rendered.
    """
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True, trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined,
    )
    env.filters["relative_url"] = relative_url
    env.filters["sha256_base64"] = sha256_base64
    return env.get_template("digest.html.j2").render(digest=digest, urls={
        s.story_id: {src.n: url for src in s.brief.sources if (url := link_url(src.url))}
        for s in digest.stories})


def sha256_base64(text: str) -> str:
    """Base64 of the SHA-256 of ``text`` (UTF-8): ``'sha256-...'`` in a CSP allows the inline
    ``<style>`` or ``<script>`` whose content is exactly ``text``."""
    return base64.b64encode(hashlib.sha256(str(text).encode("utf-8")).digest()).decode("ascii")


def write_outputs(digest: Digest, out: Path) -> None:
    """``digest.md``, ``digest.json`` and ``digest.html``: all three are written to temp files
    first, then renamed back to back, so a killed run leaves the earlier set whole.

    Temp files a killed run left in ``out`` are removed first (the store lock keeps any
    other run from writing there now).
    """
    remove_stale_temps(out, OUTPUTS)
    write_all_atomic({
        out / "digest.md": to_markdown(digest),
        out / "digest.json": json.dumps(to_dict(digest), ensure_ascii=False, indent=2) + "\n",
        out / "digest.html": to_html(digest),
    })


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
