"""Concept-coverage selection: an integer linear program over stemmed bigrams.

Gillick & Favre (2009, "A Scalable Global Model for Summarization", ILP for NLP workshop)
score a summary by the weighted set of *concepts* it covers, so a concept said twice counts
once and redundancy is penalised by the objective itself. Here a concept is a bigram of
Porter stems of content words (:func:`summarize.nlp.text.stems`; single stems join as
lighter concepts, ``unigram_factor``), and its weight says how widely and how prominently the
story reports it::

    weight(c) = voices(c) ** voice_power  *  sum over voices v reporting c of
                max over v's sentences s with c of  salience(s) * position(s)

scaled so the heaviest concept weighs 1 (``voices(c)``: how many voices report it).
Independent voices (``Story.voices``: syndicated copies and one outlet's articles count
once) play the part of G&F's document frequency; the
sentence salience of :mod:`summarize.evidence.score` (centrality, position, coverage) and
the position prior make a concept in a story's lead weigh more than one in a closing aside;
the extra factor ``voices(c) ** 0.5`` makes a phrase many outlets share count for more than
the sum of their leads alone (Gillick & Favre's document frequency, softened).
Each candidate sentence also brings ``sentence_weight * value(s) * fullness(s)``, the
salience-and-support value that MMR uses, so a confirmed claim still beats an equally
central single-outlet one. ``fullness(s) = min(1, words(s) / full_value_words)`` is a
length prior: a short sentence ("It's almost upon us.", "Coffee heightens your powers of
perception.") covers a concept or two at little cost and would otherwise win on cost alone,
crowding out the fuller sentences a 100-word summary is made of::

    maximise   sum_c weight(c) * x_c  +  sum_s sentence_weight * value(s) * fullness(s) * y_s
    subject to lower * budget <= sum_s words(s) * y_s <= upper * budget   (length)
               x_c <= sum_{s contains c} y_s          (a concept counts if a chosen sentence has it)
               sum_{s in group g} y_s <= 1            (one representative per claim group)
               y_a + y_b <= 1  when cos(a, b) > MAX_REDUNDANCY      (near-duplicates)
               y_s in {0, 1},  0 <= x_c <= 1

Two sentences that give the same two figures ("The vote was 285 to 120." and "..., a goal
realized in Tuesday's vote of 285-120.") are a conflict too: the embedding cosine of two
sentences that wrap one fact in different words stays under the bound. The voice factor
applies in full up to 100 words and fades to nothing at 250 (:meth:`ConceptOptions.voice_power_at`).

The lower bound is dropped when the story is too short to meet it: a summary that fills its
budget wins, since ROUGE reads the first ``budget`` words and a shorter one leaves words
unsaid (bounds of 0.9-1.0 x budget instead lost 1.8 R-1 on the fit data). The constants
(:class:`ConceptOptions`) were fitted on MultiLing 2011, Multi-News validation clusters 1-50
and AllSides April-May 2021 only (``docs/selection.md``).

It is solved with HiGHS through :func:`scipy.optimize.milp` under a time limit. A story too
big for the solver, or a solve that stops at its limit, falls back to the greedy
cost-scaled maximisation of the same (monotone submodular) objective (Lin & Bilmes, 2010,
"Multi-document Summarization via Budgeted Maximization of Submodular Functions"), and the
better of the greedy answer and any solver incumbent is kept.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from summarize.nlp.text import numbers_in, stems, strip_dateline, words
from summarize.records import ClaimGroup, Evidence, ScoredSentence

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConceptOptions:
    """Weights of the concept objective and the solver's bounds.

    Attributes:
        single_voice_factor: Weight multiplier of a concept only one voice of several reports.
        voice_power: Exponent on the number of voices reporting a concept, multiplying its
            weight (Gillick & Favre weigh a concept by its document frequency; 0: off), for
            a brief of up to ``voice_full_words`` words (see :meth:`voice_power_at`).
        voice_full_words: Budget up to which ``voice_power`` applies in full.
        voice_none_words: Budget from which the voice factor is off; between the two it
            falls linearly.
        salience_power: Exponent on sentence salience in a concept's weight.
        position_power: Exponent on the sentence's position prior (``1 / sqrt(1 + index)``)
            in a concept's weight: news states the gist first (0: off).
        unigram_factor: Weight of single content stems as concepts, relative to bigrams (0: off).
        sentence_weight: Weight of each chosen sentence's salience-and-support value,
            relative to the heaviest concept.
        full_value_words: A sentence brings its whole value from this many words on, and
            a shorter one ``words / full_value_words`` of it (a length prior; 0: off).
        upper: The solver fills up to ``upper * budget`` words (the top-up step then keeps
            the brief within +-20%).
        lower: The solver must reach ``lower * budget`` words when the story allows it.
        time_limit_s: Longest the ILP solver may run on one story (a safety net: the node
            limit and gap, which do not depend on the machine's speed or load, normally
            stop it first, so the same story gives the same brief).
        node_limit: Most branch-and-bound nodes HiGHS explores.
        gap: Relative optimality gap at which HiGHS stops (0.005: within 0.5% of optimal).
        max_candidates: Stories with more candidate sentences go straight to greedy.
        shared_figures: Two sentences that share this many figures (:func:`figures_of`)
            may not both be chosen: "The vote was 285 to 120." and "..., a goal realized in
            Tuesday's vote of 285-120." give one fact twice (0: off).
    """

    single_voice_factor: float = 1.0
    voice_power: float = 0.5
    voice_full_words: int = 100
    voice_none_words: int = 250
    salience_power: float = 1.0
    position_power: float = 1.0
    unigram_factor: float = 0.6
    sentence_weight: float = 4.0
    full_value_words: int = 20
    upper: float = 1.15
    lower: float = 1.0
    time_limit_s: float = 10.0
    node_limit: int = 2000
    gap: float = 0.005
    max_candidates: int = 600
    shared_figures: int = 2

    def voice_power_at(self, budget_words: int) -> float:
        """The voice exponent for a brief of ``budget_words`` words: ``voice_power`` up to
        ``voice_full_words``, falling linearly to 0 at ``voice_none_words``.

        The voice factor favours the core that many outlets share, which a short brief
        should give; a longer one has said the core in its first hundred words and gains
        more from what fewer voices add (250-word MultiLing F1: 49.21 with the factor,
        50.53 without; ``docs/selection.md``)."""
        if budget_words <= self.voice_full_words or self.voice_none_words <= self.voice_full_words:
            return self.voice_power
        fade = (self.voice_none_words - budget_words) / (self.voice_none_words - self.voice_full_words)
        return self.voice_power * max(0.0, fade)


DEFAULT = ConceptOptions()
SENTENCE_WEIGHT = DEFAULT.sentence_weight
TIME_LIMIT_S = DEFAULT.time_limit_s
MAX_CANDIDATES = DEFAULT.max_candidates
NODE_LIMIT = DEFAULT.node_limit
GAP = DEFAULT.gap


@dataclass(frozen=True)
class Candidate:
    """A sentence that may represent its claim group in the brief."""

    group: ClaimGroup
    member: ScoredSentence
    text: str
    length: int
    value: float
    concepts: tuple[str, ...]


@dataclass(frozen=True)
class Solution:
    """Chosen candidate indices and how they were found (``"ilp"`` or ``"greedy"``)."""

    chosen: tuple[int, ...]
    objective: float
    method: str


def concepts_of(text: str, unigrams: bool = False) -> tuple[str, ...]:
    """The distinct concepts of a sentence: bigrams of consecutive content-word stems (and,
    with ``unigrams``, the stems themselves)."""
    st = stems(text)
    found = {f"{a} {b}" for a, b in zip(st, st[1:])}
    if unigrams:
        found.update(st)
    return tuple(sorted(found))


def figures_of(text: str) -> frozenset[str]:
    """Numbers of two or more digits that are not years (1900-2099): the figures of a fact
    ("285", "120" of "285-120" and of "285 to 120"); "3 people" or "in 2021" are too common
    across different facts to tell a repeated one."""
    return frozenset(n for n in numbers_in(text)
                     if len(n.split(".")[0]) >= 2 and not (len(n) == 4 and n[:2] in ("19", "20")))


def concept_weights(evidence: Evidence, options: ConceptOptions | None = None,
                    budget_words: int | None = None) -> dict[str, float]:
    """Weight of every concept of the story (see the module docstring), scaled so the
    heaviest concept weighs 1; with ``budget_words`` the voice exponent is
    :meth:`ConceptOptions.voice_power_at` that budget."""
    options = options or DEFAULT
    voice_power = options.voice_power if budget_words is None else options.voice_power_at(budget_words)
    unigrams = options.unigram_factor > 0
    best: dict[str, dict[str, float]] = {}
    for s in evidence.sentences:
        weight = s.salience ** options.salience_power * s.position ** options.position_power
        for c in concepts_of(s.sentence.text, unigrams):
            per_voice = best.setdefault(c, {})
            per_voice[s.voice] = max(per_voice.get(s.voice, 0.0), weight)
    several = len({s.voice for s in evidence.sentences}) > 1
    weights = {}
    for c, per_voice in best.items():
        w = sum(per_voice.values()) * len(per_voice) ** voice_power
        if several and len(per_voice) == 1:
            w *= options.single_voice_factor
        if " " not in c:
            w *= options.unigram_factor
        weights[c] = w
    top = max(weights.values(), default=0.0) or 1.0
    return {c: w / top for c, w in weights.items()}


def gain(cand: Candidate, covered: set[str], weights: dict[str, float],
         sentence_weight: float = SENTENCE_WEIGHT) -> float:
    """What adding ``cand`` brings: its new concepts' weights and its own value."""
    return sum(weights.get(c, 0.0) for c in cand.concepts if c not in covered) + sentence_weight * cand.value


def objective(candidates: list[Candidate], chosen, weights: dict[str, float],
              sentence_weight: float = SENTENCE_WEIGHT) -> float:
    covered = {c for i in chosen for c in candidates[i].concepts}
    return sum(weights.get(c, 0.0) for c in covered) + sentence_weight * sum(
        candidates[i].value for i in chosen)


def conflicts(candidates: list[Candidate], vectors: np.ndarray | None, max_redundancy: float,
              shared_figures: int = 0) -> set[tuple[int, int]]:
    """Pairs that may not both be chosen: near-duplicate sentences (embedding cosine above
    ``max_redundancy``) and, with ``shared_figures``, sentences giving the same figures
    (the embedding misses a fact repeated in other words around it)."""
    pairs = set()
    if shared_figures:
        # Only sentences with that many figures can share them: pair those alone.
        rich = [(i, f) for i, c in enumerate(candidates)
                if len(f := figures_of(c.text)) >= shared_figures]
        for k, (a, fa) in enumerate(rich):
            pairs.update((a, b) for b, fb in rich[k + 1:] if len(fa & fb) >= shared_figures)
    if vectors is not None and len(candidates) > 1:
        sim = vectors @ vectors.T
        a_idx, b_idx = np.nonzero(np.triu(sim > max_redundancy, k=1))
        pairs.update(zip(a_idx.tolist(), b_idx.tolist()))
    return pairs


def greedy(candidates: list[Candidate], weights: dict[str, float], limit: float,
           conflicts: set[tuple[int, int]], sentence_weight: float = SENTENCE_WEIGHT) -> Solution:
    """Cost-scaled greedy (Lin & Bilmes, 2010): add the sentence with the best gain per word
    that fits, then keep the better of that set and the best single sentence."""
    blocked = {}
    for a, b in conflicts:
        blocked.setdefault(a, set()).add(b)
        blocked.setdefault(b, set()).add(a)
    chosen: list[int] = []
    covered: set[str] = set()
    groups: set[int] = set()
    total = 0
    while True:
        best, best_ratio = None, 0.0
        for i, cand in enumerate(candidates):
            if (i in chosen or cand.group.id in groups or total + cand.length > limit
                    or blocked.get(i, set()) & set(chosen)):
                continue
            ratio = gain(cand, covered, weights, sentence_weight) / max(1, cand.length)
            if ratio > best_ratio:
                best, best_ratio = i, ratio
        if best is None:
            break
        chosen.append(best)
        covered.update(candidates[best].concepts)
        groups.add(candidates[best].group.id)
        total += candidates[best].length
    score = objective(candidates, chosen, weights, sentence_weight)
    singles = [(objective(candidates, [i], weights, sentence_weight), -i)
               for i, c in enumerate(candidates) if c.length <= limit]
    if singles and max(singles)[0] > score:
        top, neg_i = max(singles)
        return Solution((-neg_i,), top, "greedy")
    return Solution(tuple(sorted(chosen)), score, "greedy")


def solve(candidates: list[Candidate], weights: dict[str, float], limit: float,
          conflicts: set[tuple[int, int]], *, sentence_weight: float = SENTENCE_WEIGHT,
          minimum: float = 0.0, time_limit_s: float = TIME_LIMIT_S, node_limit: int = NODE_LIMIT,
          gap: float = GAP, max_candidates: int = MAX_CANDIDATES) -> Solution:
    """The ILP of the module docstring; greedy when the story is too big or the solver stops
    at its time limit (the better of greedy and the solver's incumbent is returned)."""
    if not candidates:
        return Solution((), 0.0, "ilp")
    def fallback() -> Solution:
        return greedy(candidates, weights, limit, conflicts, sentence_weight)

    if len(candidates) > max_candidates:
        log.info("concept ILP skipped: %d candidates > %d; greedy", len(candidates), max_candidates)
        return fallback()
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_matrix

    names = sorted({c for cand in candidates for c in cand.concepts if weights.get(c, 0.0) > 0})
    col = {c: len(candidates) + j for j, c in enumerate(names)}
    n, n_vars = len(candidates), len(candidates) + len(names)
    cost = np.zeros(n_vars)
    cost[:n] = [-sentence_weight * cand.value for cand in candidates]
    cost[n:] = [-weights[c] for c in names]

    rows: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    lb: list[float] = []
    ub: list[float] = []

    def add(cols: list[int], vals: list[float], upper: float, lower: float = -np.inf) -> None:
        rows.append((np.full(len(cols), len(ub)), np.array(cols), np.array(vals, dtype=float)))
        lb.append(lower)
        ub.append(upper)

    add(list(range(n)), [cand.length for cand in candidates], limit, minimum or -np.inf)
    having: dict[str, list[int]] = {}
    for i, cand in enumerate(candidates):
        for c in cand.concepts:
            if c in col:
                having.setdefault(c, []).append(i)
    for c in names:
        add([col[c], *having[c]], [1.0] + [-1.0] * len(having[c]), 0.0)
    by_group: dict[int, list[int]] = {}
    for i, cand in enumerate(candidates):
        by_group.setdefault(cand.group.id, []).append(i)
    for members in by_group.values():
        if len(members) > 1:
            add(members, [1.0] * len(members), 1.0)
    for a, b in sorted(conflicts):
        add([a, b], [1.0, 1.0], 1.0)
    r, c, v = (np.concatenate(parts) for parts in zip(*rows))
    matrix = coo_matrix((v, (r, c)), shape=(len(ub), n_vars)).tocsr()
    integrality = np.zeros(n_vars)
    integrality[:n] = 1
    result = milp(cost, constraints=LinearConstraint(matrix, np.array(lb), np.array(ub)),
                  integrality=integrality, bounds=Bounds(0, 1),
                  options={"time_limit": time_limit_s, "node_limit": node_limit,
                           "mip_rel_gap": gap, "disp": False})
    if result.status == 2 and minimum:  # the story cannot fill the minimum length: drop it
        return solve(candidates, weights, limit, conflicts, sentence_weight=sentence_weight,
                     time_limit_s=time_limit_s, node_limit=node_limit, gap=gap,
                     max_candidates=max_candidates)
    if result.x is None:
        log.info("concept ILP found no solution (%s); greedy", result.message)
        return fallback()
    chosen = tuple(i for i in range(n) if result.x[i] > 0.5)
    score = objective(candidates, chosen, weights, sentence_weight)
    if result.status != 0:
        log.info("concept ILP stopped early (%s); keeping the better of incumbent and greedy",
                 result.message)
        quick = fallback()
        if quick.objective >= score:
            return quick
    return Solution(chosen, score, "ilp")


def candidates_of(evidence: Evidence, groups: list[ClaimGroup], value, max_words: int,
                  limit: float, unigrams: bool = False, full_value_words: int = 0,
                  shorten=None) -> list[Candidate]:
    """Every member of every group that fits ``max_words`` (a group's shortest member when
    none does) and the length limit, in story order so that ties break the same way.

    A candidate's value is ``value(group, member)``, times the length prior
    ``min(1, words / full_value_words)`` when ``full_value_words`` is set. ``shorten(text,
    sentence)`` (:class:`summarize.evidence.compress.Compressor`) gives the words a brief
    would show, so lengths and concepts are those of the compressed sentence."""
    out = []
    for g in groups:
        members = [(m, strip_dateline(m.sentence.text)) for m in g.members]
        if shorten is not None:
            members = [(m, shorten(t, m.sentence)) for m, t in members]
        fitting = [(m, t) for m, t in members if words(t) <= max_words]
        if not fitting:
            fitting = [min(members, key=lambda mt: (words(mt[1]), mt[0].sentence.article_id))]
        for m, text in fitting:
            length = words(text)
            if length <= limit:
                worth = value(g, m) * (min(1.0, length / full_value_words) if full_value_words else 1.0)
                out.append(Candidate(g, m, text, length, worth, concepts_of(text, unigrams)))
    return sorted(out, key=lambda c: (c.member.sentence.article_id, c.member.sentence.index))
