"""Render briefs as Markdown and JSON, and load JSON back into an equal :class:`Brief`.

The dict form itself belongs to the records (:meth:`Brief.to_dict`, :meth:`Brief.from_dict`).

The JSON schema (``schema_version`` 1) is documented in ``docs/brief-schema.md``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from summarize.errors import OutputError
from summarize.records import Brief, citation_marks


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
    """A readable Markdown brief: text with citations, agreement, differences, sources."""
    outlets = {s.n: s.outlet for s in brief.sources}
    lines = [f"## {brief.title or 'Untitled story'}", "", brief.text, ""]
    if brief.facts:
        lines += ["**Confirmed by three or more outlets**", ""]
        lines += [f"- {f.text} {citation_marks(f.citations)} ({f.support} outlets)" for f in brief.facts]
        lines.append("")
    if brief.disagreements:
        lines += ["**Where outlets differ**", ""]
        for d in brief.disagreements:
            lines.append(
                f"- {d.topic}: \u201c{d.a_text}\u201d {citation_marks(d.a_citations)} vs "
                f"\u201c{d.b_text}\u201d {citation_marks(d.b_citations)}"
            )
        lines.append("")
    if brief.unique:
        lines += ["**Reported by one outlet only**", ""]
        for f in brief.unique:
            who = ", ".join(dict.fromkeys(outlets.get(n, str(n)) for n in f.citations))
            lines.append(f"- {who}: {f.text} {citation_marks(f.citations)}")
        lines.append("")
    lines += ["**Sources**", ""]
    for s in brief.sources:
        parts = [s.outlet]
        if s.title:
            parts.append(f"\u201c{s.title}\u201d")
        if s.published:
            parts.append(s.published)
        if s.url:
            parts.append(f"<{s.url}>")
        lines.append(f"{s.n}. " + ", ".join(parts))
    return "\n".join(lines) + "\n"


def briefs_to_markdown(briefs: Sequence[Brief]) -> str:
    return "\n".join(to_markdown(b) for b in briefs)
