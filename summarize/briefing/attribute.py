"""Attribution: every brief sentence gets the source sentences that support it.

Citations are built from evidence, never taken from brackets a model printed.

* A copied sentence is supported by every member of its claim group (the same claim in
  other articles).
* A generated sentence is aligned back to the story's sentences: support score =
  ``0.6 * embedding cosine + 0.4 * share of its content stems found in the source``. The
  best source supports it, sources that cover what the best one misses join it, and
  other articles reporting the same thing are cited too. Then it is verified: every
  number and named entity must appear in its supporting sources and the best support
  must reach ``MIN_SUPPORT``. A sentence that fails is repaired (replaced by its best
  supporting source sentence) or, when even that support is weak, dropped.
* Length is then held within +-20% of the target, whatever the model wrote: the last
  sentences are dropped when too long, selected source sentences appended when too short.

The numbered source list maps each article to ``[n]``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from summarize.evidence.select import Selected
from summarize.nlp.embed import Embedder
from summarize.nlp.text import (
    missing_names,
    names_in,
    numbers_in,
    stems,
    strip_dateline,
    words,
)
from summarize.records import BriefSentence, Evidence, ScoredSentence, Source, Support
from summarize.write.abstractive import Draft

SEMANTIC_WEIGHT = 0.6
MIN_SUPPORT = 0.62  # best support below this: the sentence is not kept as written
MIN_REPAIR = 0.45  # best support below this: the sentence is dropped, not repaired
MAX_CITED = 5


def source_list(evidence: Evidence) -> tuple[Source, ...]:
    """Number the story's articles 1..k in story order."""
    return tuple(
        Source(
            n=i + 1, article_id=a.id, outlet=a.display_outlet, title=a.title, url=a.url,
            published=a.published, publisher=a.outlet, wire=a.wire,
        )
        for i, a in enumerate(evidence.story.articles)
    )


def supports_of(selected: Selected, numbers: dict[str, int], evidence: Evidence) -> tuple[Support, ...]:
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
            raise ValueError("generated sentences are aligned with attribute_generated()")
        support = supports_of(origin, numbers, evidence)
        result.append(BriefSentence(
            text=text,
            citations=tuple(sorted({sp.n for sp in support})),
            support=support,
            salience=origin.group.salience,
            parts=origin.group.seed.parts,
            agreement=origin.group.support,
            status="extracted",
        ))
    return tuple(result)


@dataclass(frozen=True)
class Alignment:
    """Where a generated sentence comes from."""

    score: float
    members: tuple[tuple[float, ScoredSentence], ...]  # (score, source sentence), best first


def unsupported(text: str, sources: list[str]) -> list[str]:
    """Numbers and names in ``text`` that none of ``sources`` contains.

    Names are whole words in any case, and a name's possessive or plural counts as the name
    (:func:`summarize.nlp.text.missing_names` with ``possessive``), the rule the claim
    writer checks its sentences with, so the two stages agree.
    """
    pool = " ".join(sources)
    pool_numbers = numbers_in(pool)
    missing = [n for n in sorted(numbers_in(text)) if n not in pool_numbers]
    return missing + missing_names(names_in(text), pool, possessive=True)  # "Paris" is not in "comparison"


def align(text: str, vector: np.ndarray, evidence: Evidence) -> Alignment:
    """Score every story sentence as support for ``text`` and pick the supporting set."""
    own = set(stems(text))
    semantic = evidence.vectors @ vector
    scored: list[tuple[float, int]] = []
    for i, s in enumerate(evidence.sentences):
        recall = len(own & set(stems(s.sentence.text))) / len(own) if own else 0.0
        scored.append((SEMANTIC_WEIGHT * float(semantic[i]) + (1 - SEMANTIC_WEIGHT) * recall, i))
    scored.sort(key=lambda t: (-t[0], t[1]))
    best_score, best = scored[0]
    chosen = [(best_score, evidence.sentences[best])]
    covered = own & set(stems(evidence.sentences[best].sentence.text))
    articles = {evidence.sentences[best].sentence.article_id}
    # Sources that cover content the best one misses (a sentence fusing two claims).
    for score, i in scored[1:12]:
        extra = (own - covered) & set(stems(evidence.sentences[i].sentence.text))
        if len(extra) >= 2 and score >= MIN_REPAIR:
            chosen.append((score, evidence.sentences[i]))
            covered |= extra
            articles.add(evidence.sentences[i].sentence.article_id)
    # Other articles that report the same thing: the best source's claim group (the
    # evidence stage found them to be one claim), then close runners-up.
    by_score = {i: score for score, i in scored}
    best_group = evidence.sentences[best].group
    group_members = [i for i, s in enumerate(evidence.sentences) if best_group >= 0 and s.group == best_group]
    for i in sorted(group_members, key=lambda i: -by_score[i]):
        art = evidence.sentences[i].sentence.article_id
        if art not in articles and len(chosen) < MAX_CITED and by_score[i] >= MIN_REPAIR:
            chosen.append((by_score[i], evidence.sentences[i]))
            articles.add(art)
    for score, i in scored[1:40]:
        if len(chosen) >= MAX_CITED:
            break
        art = evidence.sentences[i].sentence.article_id
        if art not in articles and score >= max(MIN_SUPPORT, best_score - 0.08):
            chosen.append((score, evidence.sentences[i]))
            articles.add(art)
    return Alignment(score=best_score, members=tuple(chosen))


def _support(members, numbers: dict[str, int]) -> tuple[Support, ...]:
    return tuple(sorted(
        (Support(n=numbers[m.sentence.article_id], article_id=m.sentence.article_id, start=m.sentence.start,
                 end=m.sentence.end, text=m.sentence.text, similarity=round(min(1.0, score), 4))
         for score, m in members),
        key=lambda sp: (sp.n, sp.start),
    ))


def _sentence(text: str, members, numbers: dict[str, int], status: str) -> BriefSentence:
    support = _support(members, numbers)
    best = members[0][1]
    return BriefSentence(
        text=text, citations=tuple(sorted({sp.n for sp in support})), support=support,
        salience=best.salience, agreement=len({m.voice for _, m in members}), status=status,
        parts=best.parts,
    )


def attribute_generated(
    draft: Draft,
    evidence: Evidence,
    sources: tuple[Source, ...],
    embedder: Embedder,
    selected: list[Selected],
    target_words: int,
) -> tuple[tuple[BriefSentence, ...], dict[str, int]]:
    """Align, verify and length-control generated sentences.

    Returns:
        The brief sentences and the counts ``kept``, ``repaired``, ``dropped``,
        ``extracted`` (appended to reach the length), ``trimmed`` (cut for length).
    """
    numbers = {src.article_id: src.n for src in sources}
    counts = {"kept": 0, "repaired": 0, "dropped": 0, "extracted": 0, "trimmed": 0}
    texts = [t for t in draft.sentences if t.strip()]
    vectors = embedder.encode(texts) if texts else np.zeros((0, 1))
    out: list[BriefSentence] = []
    used: set[tuple[str, int]] = set()
    for text, vec in zip(texts, vectors):
        if len(evidence.sentences) == 0:
            counts["dropped"] += 1
            continue
        al = align(text, vec, evidence)
        problems = unsupported(text, [m.sentence.text for _, m in al.members])
        if al.score >= MIN_SUPPORT and not problems:
            out.append(_sentence(text, al.members, numbers, "kept"))
            counts["kept"] += 1
            used.update((m.sentence.article_id, m.sentence.index) for _, m in al.members[:1])
            continue
        best_score, best = al.members[0]
        key = (best.sentence.article_id, best.sentence.index)
        if best_score >= MIN_REPAIR and key not in used:
            same = [(sc, m) for sc, m in al.members if m.group == best.group and m.group >= 0] or [al.members[0]]
            out.append(_sentence(strip_dateline(best.sentence.text), same, numbers, "repaired"))
            counts["repaired"] += 1
            used.add(key)
        else:
            counts["dropped"] += 1
    out = _hold_length(out, evidence, selected, numbers, target_words, counts, used)
    return tuple(out), counts


def _hold_length(out, evidence, selected, numbers, target, counts, used) -> list[BriefSentence]:
    total = sum(words(s.text) for s in out)
    while out and total > 1.2 * target and len(out) > 1:
        total -= words(out.pop().text)
        counts["trimmed"] += 1
    if total >= 0.8 * target:
        return out
    have = [evidence.vector(sp.article_id, _index_of(evidence, sp)) for s in out for sp in s.support[:1]]
    for sel in selected:
        rep = sel.representative.sentence
        if (rep.article_id, rep.index) in used:
            continue
        vec = evidence.vector(rep.article_id, rep.index)
        if any(float(vec @ h) > 0.8 for h in have):
            continue
        extra = words(sel.text)
        if total + extra > 1.2 * target:
            continue
        members = [(1.0 if m is sel.representative else float(vec @ evidence.vector(m.sentence.article_id,
                    m.sentence.index)), m) for m in sel.group.members]
        out.append(_sentence(sel.text, members, numbers, "extracted"))
        counts["extracted"] += 1
        have.append(vec)
        total += extra
        if total >= 0.8 * target:
            break
    return out


def _index_of(evidence: Evidence, support: Support) -> int:
    for s in evidence.sentences:
        if s.sentence.article_id == support.article_id and s.sentence.start == support.start:
            return s.sentence.index
    raise KeyError(support)


def _figure_support(q, numbers: dict[str, int]) -> Support:
    x = q.sentence
    return Support(n=numbers[x.article_id], article_id=x.article_id, start=x.start, end=x.end, text=x.text,
                   similarity=1.0)


def disagreement_statement(conflict, numbers: dict[str, int], outlets: dict[int, str]) -> str:
    """"Outlets differ on the death toll in Kabul on Nov. 2: Reuters gives 38, CNN 30."

    Who says what is named in the sentence (the citations follow it); the day is the one
    both figures are about, when the publication dates tell it.
    """
    from summarize.evidence import disagree, timeline

    a, b = conflict.a, conflict.b
    when = f" on {timeline.When(timeline.parse_published(a.when)).label()}" if a.when and a.when == b.when else ""
    def who(q) -> str:
        n = numbers[q.sentence.article_id]
        name = outlets.get(n, "")
        return name if name and not name.startswith("Unknown outlet") else f"source [{n}]"

    who_a, who_b = who(a), who(b)
    return (f"Outlets differ on {disagree.subject_phrase(conflict)}{when}: "
            f"{who_a} gives {disagree.figure_text(a)}, {who_b} {disagree.figure_text(b)}.")


def update_statement(conflict) -> str:
    """"The death toll rose from 12 on Nov. 2 to 20 on Nov. 3." (``a`` earlier, ``b`` latest)."""
    from summarize.evidence import disagree, timeline

    a, b = conflict.a, conflict.b
    verb = "rose" if b.value > a.value else "fell"
    day_a = timeline.When(timeline.parse_published(a.when)).label()
    day_b = timeline.When(timeline.parse_published(b.when)).label()
    subject = disagree.subject_phrase(conflict)
    return f"{subject[:1].upper()}{subject[1:]} {verb} from {disagree.figure_text(a)} on {day_a} to {disagree.figure_text(b)} on {day_b}."


def disagreement_sentences(evidence: Evidence, sources: tuple[Source, ...], limit: int = 2) -> list[BriefSentence]:
    """State the evidence stage's disagreements in the brief, both sides cited, and the
    figures that changed over the story's days (latest figure with its date)."""
    numbers = {src.article_id: src.n for src in sources}
    outlets = {src.n: src.outlet for src in sources}
    out = []
    for c in evidence.conflicts[:limit]:
        support = tuple(sorted((_figure_support(q, numbers) for q in (c.a, c.b)), key=lambda sp: (sp.n, sp.start)))
        out.append(BriefSentence(text=disagreement_statement(c, numbers, outlets),
                                 citations=tuple(sorted({sp.n for sp in support})),
                                 support=support, salience=0.0, agreement=1, status="disagreement"))
    for c in evidence.updates[:limit]:
        support = (_figure_support(c.a, numbers), _figure_support(c.b, numbers))
        out.append(BriefSentence(text=update_statement(c), citations=tuple(sorted({sp.n for sp in support})),
                                 support=tuple(sorted(support, key=lambda sp: (sp.n, sp.start))), salience=0.0,
                                 agreement=1, status="update"))
    return out


def attribute_fused(
    draft: Draft,
    evidence: Evidence,
    sources: tuple[Source, ...],
    embedder: Embedder,
    target_words: int,
) -> tuple[tuple[BriefSentence, ...], dict[str, int]]:
    """Verify and cite a claim-level draft: one sentence per selected claim group.

    The group's articles are a generated sentence's citations by construction. It is kept
    (status ``"kept"``) only when every number, name and date in it appears in the group's
    sentences and its best support among them reaches ``MIN_SUPPORT``; otherwise the
    group's representative source sentence replaces it (``"repaired"``). A sentence the
    writer already replaced by its representative is ``"repaired"`` too; one it copied is
    ``"extracted"``. The last sentences are dropped beyond 120% of ``target_words``.

    Returns:
        The brief sentences and the counts ``kept`` (of which ``fused`` from several
        outlets, ``compressed`` from one), ``repaired``, ``extracted``, ``fallback``
        (repaired here or by the writer), ``dropped`` (always 0) and ``trimmed``.
    """
    from summarize.write.fusion import invented

    numbers = {src.article_id: src.n for src in sources}
    claims = draft.metadata.get("claims") or [{} for _ in draft.sentences]
    counts = {"kept": 0, "fused": 0, "compressed": 0, "repaired": 0, "extracted": 0, "fallback": 0,
              "dropped": 0, "trimmed": 0}
    replaced = {i for i, c in enumerate(claims) if c.get("status") == "fallback"}
    generated = [i for i, (t, o) in enumerate(zip(draft.sentences, draft.origins))
                 if t != o.text and i not in replaced and claims[i].get("status") != "copied"]
    vectors = dict(zip(generated, embedder.encode([draft.sentences[i] for i in generated]))) if generated else {}
    out: list[BriefSentence] = []
    for i, (text, origin) in enumerate(zip(draft.sentences, draft.origins)):
        members = origin.group.members
        if i in vectors:
            own = set(stems(text))
            scored = []
            for m in members:
                cosine = float(vectors[i] @ evidence.vector(m.sentence.article_id, m.sentence.index))
                recall = len(own & set(stems(m.sentence.text))) / len(own) if own else 0.0
                scored.append((SEMANTIC_WEIGHT * cosine + (1 - SEMANTIC_WEIGHT) * recall, m))
            texts = [m.sentence.text for m in members]
            if max(s for s, _ in scored) >= MIN_SUPPORT and not unsupported(text, texts) \
                    and not invented(text, texts):
                scored.sort(key=lambda t: -t[0])
                sentence = _sentence(text, scored, numbers, "kept")
                out.append(replace(sentence, agreement=origin.group.support, salience=origin.group.salience,
                                   parts=origin.group.seed.parts))
                counts["kept"] += 1
                counts["fused" if len({m.sentence.article_id for m in members}) > 1 else "compressed"] += 1
                continue
        copied = i not in vectors and i not in replaced
        support = supports_of(origin, numbers, evidence)
        out.append(BriefSentence(
            text=origin.text, citations=tuple(sorted({sp.n for sp in support})), support=support,
            salience=origin.group.salience, parts=origin.group.seed.parts, agreement=origin.group.support,
            status="extracted" if copied else "repaired",
        ))
        counts["extracted" if copied else "repaired"] += 1
        counts["fallback"] += 0 if copied else 1
    total = sum(words(s.text) for s in out)
    while len(out) > 1 and total > 1.2 * target_words:
        total -= words(out.pop().text)
        counts["trimmed"] += 1
    return tuple(out), counts
