"""Content selection: which claims go into the brief, under a word budget.

Three methods (``Options.selection``), all choosing at most one representative sentence per
claim group. The value of a group is its salience times a support bonus, so a claim
confirmed by several independent voices beats an equally central one that only one outlet
reports::

    value(g)   = salience(g) * (1 + SUPPORT_BONUS * (support(g) - 1) / max(1, voices - 1))

* ``"ilp"`` (default): concept coverage, an integer linear program over stemmed bigrams
  weighted by how many independent voices report them and how salient their sentences are
  (Gillick & Favre, 2009), plus each sentence's ``value``; see
  :mod:`summarize.evidence.concepts`. Falls back to ``"greedy"`` on big stories or when
  the solver hits its time limit.
* ``"greedy"``: the same objective maximised greedily per word (Lin & Bilmes, 2010).
* ``"mmr"``: greedy maximal marginal relevance (Carbonell & Goldstein, 1998) over groups::

    mmr(g)     = LAMBDA * value(g) - (1 - LAMBDA) * max_sim(g, selected)

A sentence too similar (embedding cosine above ``MAX_REDUNDANCY``) to one already chosen
is never added; the ILP and greedy also never add one that gives two of a chosen sentence's
figures (``ConceptOptions.shared_figures``: one fact in other words). The budget is met within +-20%: the ILP fills between the target and
``ConceptOptions.upper`` (1.15) times it when the story allows; then, as in MMR, a sentence
is added while the brief is under 80% of the target or when it brings the length closer to
the target, and never when it would pass 120%. The chosen claims are ordered coherently: by
the relative position of the representative in its article, then by date and article order.

Every method reads each sentence as the brief will show it: dateline stripped and
compressed (:mod:`summarize.evidence.compress`: datelines the cleaner left and leading
connectives by default), so lengths count the shorter text; ``Selected.text`` is that
text, and ``Selected.representative`` the whole source sentence that citations read.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from summarize.errors import InputError
from summarize.evidence.compress import Compressor
from summarize.nlp.text import strip_dateline, words
from summarize.records import ClaimGroup, Evidence, ScoredSentence

LAMBDA = 0.7
SUPPORT_BONUS = 0.3
MAX_REDUNDANCY = 0.85


@dataclass(frozen=True)
class Selected:
    """A chosen claim group and the member that represents it in the brief."""

    group: ClaimGroup
    representative: ScoredSentence
    text: str


def _fits(total: int, extra: int, budget: int) -> bool:
    """Add a sentence while the brief is under 80% of the budget, or when it brings the
    length closer to the target; never past 120%."""
    after = total + extra
    if after > 1.2 * budget:
        return False
    return total < 0.8 * budget or abs(after - budget) < abs(total - budget)


def _representative(group: ClaimGroup, max_words: int, shorten) -> tuple[ScoredSentence, str]:
    # The seed is the most salient member; prefer a shorter member when the seed is long.
    texts = [(m, shorten(strip_dateline(m.sentence.text), m.sentence)) for m in group.members]
    fitting = [(m, t) for m, t in texts if words(t) <= max_words]
    return fitting[0] if fitting else min(texts, key=lambda mt: words(mt[1]))


METHODS = ("ilp", "greedy", "mmr")


def select(
    evidence: Evidence,
    budget_words: int,
    *,
    max_sentence_words: int = 45,
    method: str = "ilp",
    cuts: tuple[str, ...] | None = None,
) -> list[Selected]:
    """Pick claim groups for a brief of about ``budget_words`` words.

    Args:
        evidence: The scored story.
        budget_words: Target length of the brief in words.
        max_sentence_words: Longer representatives are avoided when a shorter member exists.
        method: ``"ilp"``, ``"greedy"`` or ``"mmr"`` (see the module docstring).
        cuts: Kinds of sentence compression (:data:`summarize.evidence.compress.CUTS`);
            ``None``: :data:`~summarize.evidence.compress.DEFAULT_CUTS`, ``()``: none.

    Raises:
        InputError: ``method`` is not one of :data:`METHODS`, or a cut is unknown.
    """
    if method not in METHODS:
        raise InputError(f"unknown selection method {method!r}; choose from {', '.join(METHODS)}")
    groups = list(evidence.groups)
    if not groups:
        return []
    n_voices = len({s.voice for s in evidence.sentences})
    top_salience = max(g.salience for g in groups) or 1.0

    def value(g: ClaimGroup, salience: float | None = None) -> float:
        bonus = 1 + SUPPORT_BONUS * (g.support - 1) / max(1, n_voices - 1)
        return (g.salience if salience is None else salience) / top_salience * bonus

    shorten = Compressor(evidence, cuts)
    if method == "mmr":
        chosen, remaining = _mmr(evidence, groups, value, budget_words, max_sentence_words, shorten)
    else:
        chosen, remaining = _concepts(evidence, groups, value, budget_words, max_sentence_words,
                                      method, shorten)
    if not chosen:  # every sentence is longer than the budget allows: take the best, cut.
        g = remaining[0] if remaining else groups[0]
        rep, text = _representative(g, max_sentence_words, shorten)
        chosen.append(Selected(group=g, representative=rep, text=text))
    return order(evidence, chosen)


def _concepts(evidence: Evidence, groups: list[ClaimGroup], value, budget_words: int,
              max_sentence_words: int, method: str, shorten) -> tuple[list[Selected], list[ClaimGroup]]:
    from summarize.evidence import concepts

    opts = concepts.DEFAULT
    limit = opts.upper * budget_words

    candidates = concepts.candidates_of(
        evidence, groups, lambda g, m: value(g, m.salience), max_sentence_words, 1.2 * budget_words,
        unigrams=opts.unigram_factor > 0, full_value_words=opts.full_value_words, shorten=shorten)
    weights = concepts.concept_weights(evidence, opts, budget_words)
    vectors = None
    if candidates and evidence.vectors is not None:
        vectors = np.array([evidence.vector(c.member.sentence.article_id, c.member.sentence.index)
                            for c in candidates])
    conflicts = concepts.conflicts(candidates, vectors, MAX_REDUNDANCY, opts.shared_figures)
    if method == "ilp":
        solution = concepts.solve(candidates, weights, limit, conflicts,
                                  sentence_weight=opts.sentence_weight, minimum=opts.lower * budget_words,
                                  time_limit_s=opts.time_limit_s, node_limit=opts.node_limit,
                                  gap=opts.gap, max_candidates=opts.max_candidates)
    else:
        solution = concepts.greedy(candidates, weights, limit, conflicts, opts.sentence_weight)
    picked = list(solution.chosen)
    total = sum(candidates[i].length for i in picked)
    # Top up within +-20% of the target, best marginal gain first (as MMR's _fits does).
    while True:
        covered = {c for i in picked for c in candidates[i].concepts}
        groups_in = {candidates[i].group.id for i in picked}
        options = [
            (-concepts.gain(cand, covered, weights, opts.sentence_weight), i)
            for i, cand in enumerate(candidates)
            if i not in picked and cand.group.id not in groups_in
            and not any((min(i, j), max(i, j)) in conflicts for j in picked)
            and _fits(total, cand.length, budget_words)
        ]
        if not options:
            break
        i = min(options)[1]
        picked.append(i)
        total += candidates[i].length
    chosen = [Selected(group=candidates[i].group, representative=candidates[i].member,
                       text=candidates[i].text) for i in picked]
    chosen_ids = {s.group.id for s in chosen}
    remaining = sorted((g for g in groups if g.id not in chosen_ids), key=lambda g: (-value(g), g.id))
    return chosen, remaining


def _mmr(evidence: Evidence, groups: list[ClaimGroup], value, budget_words: int,
         max_sentence_words: int, shorten) -> tuple[list[Selected], list[ClaimGroup]]:
    chosen: list[Selected] = []
    chosen_vecs: list[np.ndarray] = []
    total = 0
    remaining = sorted(groups, key=lambda g: (-value(g), g.id))
    while remaining and total < budget_words:
        best, best_score = None, -np.inf
        for g in remaining:
            rep, text = _representative(g, max_sentence_words, shorten)
            vec = evidence.vector(rep.sentence.article_id, rep.sentence.index)
            redundancy = max((float(vec @ c) for c in chosen_vecs), default=0.0)
            if redundancy > MAX_REDUNDANCY:
                continue
            if not _fits(total, words(text), budget_words):
                continue
            score = LAMBDA * value(g) - (1 - LAMBDA) * redundancy
            if score > best_score:
                best, best_score = (g, rep, text, vec), score
        if best is None:
            break
        g, rep, text, vec = best
        chosen.append(Selected(group=g, representative=rep, text=text))
        chosen_vecs.append(vec)
        total += words(text)
        remaining = [r for r in remaining if r.id != g.id]
    return chosen, remaining


def order(evidence: Evidence, chosen: list[Selected]) -> list[Selected]:
    """Order claims as a reader expects: what articles say first comes first."""
    articles = {a.id: (i, a.published) for i, a in enumerate(evidence.story.articles)}
    lengths: dict[str, int] = {}
    for s in evidence.sentences:
        lengths[s.sentence.article_id] = max(lengths.get(s.sentence.article_id, 0), s.sentence.index + 1)

    def key(sel: Selected):
        members = sel.group.members
        relative = min(m.sentence.index / max(1, lengths[m.sentence.article_id]) for m in members)
        art = sel.representative.sentence.article_id
        return (round(relative, 3), articles[art][1] or "", articles[art][0], sel.representative.sentence.index)

    return sorted(chosen, key=key)
