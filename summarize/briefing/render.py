"""Render briefs as Markdown and JSON, and load JSON back into an equal :class:`Brief`.

The dict form itself belongs to the records (:meth:`Brief.to_dict`, :meth:`Brief.from_dict`).

The JSON schema (``schema_version`` 1) is documented in ``docs/brief-schema.md``. The JSON
keeps every value as given; the Markdown escapes text from articles and links only
``http(s)`` URLs (``briefing.safe``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from summarize.briefing.safe import link_url, markdown_text
from summarize.errors import OutputError
from summarize.records import Brief, BriefSentence, Disagreement, citation_marks


def to_json(briefs: Brief | Sequence[Brief], indent: int = 2) -> str:
    """One brief as a JSON object, several as a JSON array."""
    if isinstance(briefs, Brief):
        return json.dumps(briefs.to_dict(), ensure_ascii=False, indent=indent)
    return json.dumps([b.to_dict() for b in briefs], ensure_ascii=False, indent=indent)


def from_json(text: str) -> Brief | list[Brief]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise OutputError(f"not valid JSON: {exc.msg} at line {exc.lineno}") from None
    if isinstance(data, list):
        return [Brief.from_dict(d) for d in data]
    return Brief.from_dict(data)


def to_markdown(brief: Brief) -> str:
    """A readable Markdown brief: text with citations, agreement, differences, sources.

    Every text from an article is escaped (:func:`~summarize.briefing.safe.markdown_text`),
    so a Markdown renderer shows it as text, never as HTML, a link or an image; only an
    ``http(s)`` source URL is written, as an autolink (:func:`~summarize.briefing.safe.link_url`).
    """
    outlets = {s.n: s.credit for s in brief.sources}
    lines = [f"## {markdown_text(brief.title) or 'Untitled story'}", "", _paragraph(brief.sentences), ""]
    if brief.facts:
        lines += ["**Confirmed by three or more outlets**", ""]
        lines += [f"- {_cited(f.text, f.citations)} ({f.support} outlets)" for f in brief.facts]
        lines.append("")
    differ = [d for d in brief.disagreements if d.kind != "update"]
    changed = [d for d in brief.disagreements if d.kind == "update"]
    if differ:
        lines += ["**Where outlets differ**", ""]
        lines += [_disagreement(d) for d in differ]
        lines.append("")
    if changed:
        lines += ["**Figures that changed**", ""]
        lines += [_disagreement(d) for d in changed]
        lines.append("")
    if brief.unique:
        lines += ["**Reported by one outlet only**", ""]
        for f in brief.unique:
            who = ", ".join(dict.fromkeys(outlets.get(n, str(n)) for n in f.citations))
            lines.append(f"- {markdown_text(who, line_start=True)}: {_cited(f.text, f.citations, start=False)}")
        lines.append("")
    lines += ["**Sources**", ""]
    for s in brief.sources:
        parts = [markdown_text(s.credit, line_start=True)]
        if s.title:
            parts.append(f"\u201c{markdown_text(s.title)}\u201d")
        if s.published:
            parts.append(markdown_text(s.published))
        if url := link_url(s.url):
            parts.append(f"<{url}>")
        lines.append(f"{s.n}. " + ", ".join(parts))
    return "\n".join(lines) + "\n"


def _disagreement(d: Disagreement) -> str:
    """One line of "Where outlets differ" / "Figures that changed", both sides cited, the
    two source sentences quoted under it so a reader can judge."""
    if not (d.a_figure and d.b_figure):  # a brief written before figures were recorded
        return (f"- {markdown_text(d.topic, line_start=True)}: \u201c{markdown_text(d.a_text)}\u201d "
                f"{citation_marks(d.a_citations)} vs \u201c{markdown_text(d.b_text)}\u201d {citation_marks(d.b_citations)}")
    subject = d.subject or d.topic
    day = _day(d.when)
    if d.kind == "update":
        head = (f"- {markdown_text(subject[:1].upper() + subject[1:], line_start=True)}: "
                f"{markdown_text(d.a_figure)} {citation_marks(d.a_citations)}, then "
                f"{markdown_text(d.b_figure)} {citation_marks(d.b_citations)}{' on ' + day if day else ''} (latest)")
    else:
        head = (f"- {markdown_text(subject[:1].upper() + subject[1:], line_start=True)}{' on ' + day if day else ''}: "
                f"{markdown_text(d.a_figure)} {citation_marks(d.a_citations)} vs "
                f"{markdown_text(d.b_figure)} {citation_marks(d.b_citations)}")
    return "\n".join([head, f"  - \u201c{markdown_text(d.a_text)}\u201d {citation_marks(d.a_citations)}",
                      f"  - \u201c{markdown_text(d.b_text)}\u201d {citation_marks(d.b_citations)}"])


def _day(iso: str) -> str:
    from summarize.evidence.timeline import When, parse_published

    day = parse_published(iso)
    return When(day).label() if day else ""


def _paragraph(sentences: Sequence[BriefSentence]) -> str:
    """Sentences as one Markdown paragraph with ``[n]`` citations (``Brief.text``, escaped)."""
    return " ".join(_cited(s.text, s.citations, start=i == 0) for i, s in enumerate(sentences))


def _cited(text: str, citations: Sequence[int], start: bool = True) -> str:
    return f"{markdown_text(text, line_start=start)} {citation_marks(citations)}".rstrip()


def briefs_to_markdown(briefs: Sequence[Brief]) -> str:
    return "\n".join(to_markdown(b) for b in briefs)
