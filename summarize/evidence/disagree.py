"""Disagreements: the same quantity reported differently by different voices.

A quantity is a number with the words that say what it counts ("10,022 Palestinians",
"nearly 10,000 casualties", "100 trucks"). Two quantities from different voices are
compared when their sentences report the same claim (claim similarity of the evidence
stage) and their units match; times of day ("08:32 UTC") and money are not counts. Approximations are tolerated:

* a hedge sets a direction and a margin: "nearly 10,000" / "almost" sit just below or at
  the figure, "up to" / "under" are upper bounds, "more than 8,000" / "at least" lower
  bounds, "about" / "some" / "around" two-sided; hedged and round numbers (ending in 00)
  get a 10% margin;
* exact figures must agree within 2%.

So "nearly 10,000" vs "10,022" is consistent, "1,400" vs "1,200" is not.
"""

from __future__ import annotations

import re

import numpy as np

from summarize.records import Conflict, Quantity, ScoredSentence, Sentence

_HEDGES = {
    "nearly": "near", "almost": "near", "just under": "near", "just over": "near",
    "close to": "near",
    "up to": "upper", "fewer than": "upper", "less than": "upper", "under": "upper",
    "more than": "lower", "over": "lower", "at least": "lower", "upwards of": "lower",
    "about": "both", "around": "both", "some": "both", "roughly": "both",
    "approximately": "both", "an estimated": "both", "estimated": "both",
}
_HEDGE_RE = "|".join(sorted((re.escape(h) for h in _HEDGES), key=len, reverse=True))
_QUANTITY = re.compile(
    rf"(?:\b(?P<hedge>{_HEDGE_RE})\s+)?(?<![\w.,:$€£])(?P<num>\d{{1,3}}(?:,\d{{3}})+|\d+(?:\.\d+)?)(?![:\d])"
    rf"(?P<scale>\s+(?:million|billion|thousand))?(?P<pct>\s*%|\s+percent)?"
    rf"(?P<unit>(?:\s+[A-Za-z][A-Za-z-]*){{1,2}})?",
    re.IGNORECASE,
)
_SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9}
_SKIP_UNITS = {
    "a", "an", "the", "and", "or", "of", "to", "in", "on", "at", "by", "for", "with", "from",
    "as", "was", "were", "is", "are", "has", "had", "have", "that", "which", "who",
}
# Units that count people: different words for the same count can still be compared.
_PEOPLE = {
    "people", "person", "palestinian", "israeli", "civilian", "casualty", "death", "dead",
    "killed", "victim", "resident", "child", "children",
}
_TIME_WORDS = {
    "year", "month", "week", "day", "hour", "minute", "monday", "tuesday", "wednesday",
    "thursday", "friday", "saturday", "sunday", "january", "february", "march", "april",
    "may", "june", "july", "august", "september", "october", "november", "december",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "am", "pm",
}
# Two sentences are compared only when they report the same claim (the evidence stage's
# claim similarity: embeddings mixed with TF-IDF). A story holds many counts of one unit
# (several aftershocks, each with a magnitude; people rescued and people killed); only
# sentences about the same thing can disagree on it.
MIN_CLAIM_SIMILARITY = 0.4
# "10,022 Palestinians" and "1,400 people" are both counts of people, but of different
# events; different words for people are only compared in near-paraphrase sentences.
PEOPLE_SIMILARITY = 0.55


def _singular(word: str) -> str:
    w = word.lower()
    if w in {"children", "people"}:
        return w
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith("s") and not w.endswith("ss") and len(w) > 3:
        return w[:-1]
    return w


def quantities(sentence: Sentence) -> list[Quantity]:
    """The counted quantities of a sentence (years, times and ordinals are left out)."""
    found = []
    for m in _QUANTITY.finditer(sentence.text):
        raw = m.group("num")
        try:
            value = float(raw.replace(",", ""))
        except ValueError:
            continue
        if m.group("scale"):
            value *= _SCALES[m.group("scale").strip().lower()]
        words = (m.group("unit") or "").split()
        if m.group("pct"):
            unit = "percent"
        else:
            words = [w for w in words if w.lower() not in _SKIP_UNITS][:1]
            unit = _singular(words[0]) if words else ""
        if not unit or unit in _TIME_WORDS:
            continue
        if "," not in raw and 1900 <= value <= 2100 and not m.group("scale"):
            continue  # a year
        found.append(Quantity(
            value=value, text=m.group(0).strip(), unit=unit,
            hedge=(m.group("hedge") or "").lower(), sentence=sentence,
        ))
    return found


def _margin(q: Quantity) -> float:
    raw = int(q.value)
    rounded = q.value >= 100 and raw == q.value and raw % 100 == 0
    return 0.10 if q.hedge or rounded else 0.02


def consistent(a: Quantity, b: Quantity) -> bool:
    """Whether two reports of the same quantity agree, allowing for approximation.

    "nearly/almost/close to X" covers 0.9X..1.05X; "up to/under X" any value up to X;
    "more than/at least X" any value from X; "about/some X" and round figures +-10%;
    exact figures +-2%.
    """
    for x, y in ((a, b), (b, a)):
        kind = _HEDGES.get(x.hedge, "")
        if kind == "near" and 0.9 * x.value <= y.value <= 1.05 * x.value:
            return True
        if kind == "upper" and y.value <= 1.02 * x.value:
            return True
        if kind == "lower" and y.value >= 0.98 * x.value:
            return True
    margin = max(_margin(a), _margin(b))
    return abs(a.value - b.value) <= margin * max(a.value, b.value)


def comparable(a: Quantity, b: Quantity, similarity: float = 1.0) -> bool:
    """Same unit, or two counts of people in sentences close enough to be about one count."""
    if a.unit == b.unit:
        return True
    return a.unit in _PEOPLE and b.unit in _PEOPLE and similarity >= PEOPLE_SIMILARITY


def find_conflicts(
    scored: list[ScoredSentence] | tuple[ScoredSentence, ...],
    sim: np.ndarray,
    voices: dict[str, str],
    min_similarity: float = MIN_CLAIM_SIMILARITY,
) -> list[Conflict]:
    """Pairs of sentences from different voices that give one quantity different values.

    Args:
        scored: The story's sentences.
        sim: Claim similarity between them (rows and columns follow ``scored``).
        voices: Article id -> independent voice.
        min_similarity: Sentences less similar than this are about different things.
    """
    per_sentence = [quantities(s.sentence) for s in scored]
    with_numbers = [i for i, qs in enumerate(per_sentence) if qs]
    conflicts: list[Conflict] = []
    seen: set[tuple[str, str, str]] = set()
    for x, i in enumerate(with_numbers):
        for j in with_numbers[x + 1:]:
            si, sj = scored[i].sentence, scored[j].sentence
            if voices.get(si.article_id) == voices.get(sj.article_id):
                continue
            similarity = float(sim[i, j])
            if similarity < min_similarity:
                continue
            for qa in per_sentence[i]:
                for qb in per_sentence[j]:
                    if not comparable(qa, qb, similarity) or consistent(qa, qb):
                        continue
                    # Same unit but a different count is only a conflict if nothing else
                    # in the pair agrees on that unit (two different counts of trucks on
                    # two different days are both reported by each side).
                    if any(comparable(qa, other) and consistent(qa, other) for other in per_sentence[j]):
                        continue
                    if any(comparable(qb, other) and consistent(qb, other) for other in per_sentence[i]):
                        continue
                    key = (qa.unit, *sorted((si.article_id, sj.article_id)))
                    if key in seen:
                        continue
                    seen.add(key)
                    conflicts.append(Conflict(topic=qa.unit, a=qa, b=qb))
    return conflicts
