"""Render briefs as Markdown and JSON, and load JSON back into an equal :class:`Brief`.

The JSON schema (``schema_version`` 1) is documented in ``docs/brief-schema.md``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from summarize.errors import OutputError
from summarize.records import Brief, BriefSentence, Disagreement, Fact, Source, Support


def sentence_to_dict(s: BriefSentence) -> dict[str, Any]:
    return {
        "text": s.text,
        "citations": list(s.citations),
        "salience": s.salience,
        "parts": dict(s.parts),
        "agreement": s.agreement,
        "status": s.status,
        "support": [
            {"n": sp.n, "article_id": sp.article_id, "start": sp.start, "end": sp.end,
             "text": sp.text, "similarity": sp.similarity}
            for sp in s.support
        ],
    }


def _fact_to_dict(f: Fact) -> dict[str, Any]:
    return {"text": f.text, "citations": list(f.citations), "support": f.support}


def brief_to_dict(brief: Brief) -> dict[str, Any]:
    """The JSON-ready form of a brief (see ``docs/brief-schema.md``)."""
    return {
        "schema_version": Brief.SCHEMA_VERSION,
        "story_id": brief.story_id,
        "title": brief.title,
        "text": brief.text,
        "sentences": [sentence_to_dict(s) for s in brief.sentences],
        "sources": [
            {"n": s.n, "article_id": s.article_id, "outlet": s.outlet, "title": s.title,
             "url": s.url, "published": s.published}
            for s in brief.sources
        ],
        "facts": [_fact_to_dict(f) for f in brief.facts],
        "unique": [_fact_to_dict(f) for f in brief.unique],
        "disagreements": [
            {"topic": d.topic, "kind": d.kind,
             "a": {"text": d.a_text, "citations": list(d.a_citations)},
             "b": {"text": d.b_text, "citations": list(d.b_citations)}}
            for d in brief.disagreements
        ],
        "metadata": brief.metadata,
    }


def sentence_from_dict(s: dict[str, Any]) -> BriefSentence:
    return BriefSentence(
        text=s["text"], citations=tuple(s["citations"]),
        support=tuple(Support(**sp) for sp in s["support"]),
        salience=s["salience"], agreement=s["agreement"], status=s["status"],
        parts=dict(s.get("parts", {})),
    )


def _fact(d: dict[str, Any]) -> Fact:
    return Fact(text=d["text"], citations=tuple(d["citations"]), support=int(d["support"]))


def brief_from_dict(data: dict[str, Any]) -> Brief:
    """Rebuild a :class:`Brief` from :func:`brief_to_dict` output."""
    try:
        version = data.get("schema_version")
        if version != Brief.SCHEMA_VERSION:
            raise OutputError(f"unsupported brief schema_version {version!r}; expected {Brief.SCHEMA_VERSION}")
        return Brief(
            story_id=data["story_id"],
            title=data["title"],
            sentences=tuple(sentence_from_dict(s) for s in data["sentences"]),
            sources=tuple(Source(**s) for s in data["sources"]),
            facts=tuple(_fact(f) for f in data.get("facts", [])),
            unique=tuple(_fact(f) for f in data.get("unique", [])),
            disagreements=tuple(
                Disagreement(
                    topic=d["topic"], kind=d["kind"], a_text=d["a"]["text"],
                    a_citations=tuple(d["a"]["citations"]), b_text=d["b"]["text"],
                    b_citations=tuple(d["b"]["citations"]),
                )
                for d in data.get("disagreements", [])
            ),
            metadata=data.get("metadata", {}),
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise OutputError(f"not a valid brief JSON document: missing or bad field {exc}") from None


def to_json(briefs: Brief | Sequence[Brief], indent: int = 2) -> str:
    """One brief as a JSON object, several as a JSON array."""
    if isinstance(briefs, Brief):
        return json.dumps(brief_to_dict(briefs), ensure_ascii=False, indent=indent)
    return json.dumps([brief_to_dict(b) for b in briefs], ensure_ascii=False, indent=indent)


def from_json(text: str) -> Brief | list[Brief]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise OutputError(f"not valid JSON: {exc.msg} at line {exc.lineno}") from None
    if isinstance(data, list):
        return [brief_from_dict(d) for d in data]
    return brief_from_dict(data)


def citation_marks(citations: Sequence[int]) -> str:
    return "".join(f"[{n}]" for n in citations)


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
