"""Attribution: every brief sentence gets the source sentences that support it.

Citations are built from evidence, never taken from brackets a model printed. A copied
sentence is supported by every member of its claim group (the same claim in other
articles); the numbered source list maps each article to ``[n]``.
"""

from __future__ import annotations

from summarize.records import BriefSentence, Evidence, Source, Support
from summarize.select import Selected
from summarize.write import Draft


def source_list(evidence: Evidence) -> tuple[Source, ...]:
    """Number the story's articles 1..k in story order."""
    return tuple(
        Source(
            n=i + 1, article_id=a.id, outlet=a.display_outlet, title=a.title, url=a.url,
            published=a.published,
        )
        for i, a in enumerate(evidence.story.articles)
    )


def _supports(selected: Selected, numbers: dict[str, int], evidence: Evidence) -> tuple[Support, ...]:
    rep = selected.representative.sentence
    rep_vec = evidence.vector(rep.article_id, rep.index)
    out = []
    for m in selected.group.members:
        s = m.sentence
        similarity = float(rep_vec @ evidence.vector(s.article_id, s.index))
        out.append(Support(
            n=numbers[s.article_id], article_id=s.article_id, start=s.start, end=s.end,
            text=s.text, similarity=round(min(1.0, similarity), 4),
        ))
    return tuple(sorted(out, key=lambda sp: (sp.n, sp.start)))


def attribute(
    draft: Draft,
    evidence: Evidence,
    sources: tuple[Source, ...],
) -> tuple[BriefSentence, ...]:
    """Brief sentences with citations and support for a draft."""
    numbers = {src.article_id: src.n for src in sources}
    result = []
    for text, origin in zip(draft.sentences, draft.origins):
        if origin is None:
            raise NotImplementedError("generated sentences are aligned by the abstractive writer")
        support = _supports(origin, numbers, evidence)
        result.append(BriefSentence(
            text=text,
            citations=tuple(sorted({sp.n for sp in support})),
            support=support,
            salience=origin.group.salience,
            agreement=origin.group.support,
            status="extracted",
        ))
    return tuple(result)
