"""Disagreements: the same quantity, about the same subject at the same time, reported
with different values by different voices.

Most pairs of different numbers in a story are not disagreements. A hurricane moving at
"2 mph" at 5 a.m. and "8 mph" at 11 a.m. is a changing fact; "62 percent" of children in
Cambodia and "65 percent" in North Korea are two subjects; "several hundred" and "Nov. 2"
are not figures at all. So a pair of figures is a disagreement only when every test
below passes, and any doubt means no disagreement (a false "outlets differ" misleads a
reader; a missed one only leaves a brief quieter):

1. **Both are figures** (:func:`quantities`): a number with a unit that counts something.
   Years, times of day, dates ("Nov. 2", "2nd"), ages ("45-year-old", "Smith, 45,"),
   phone numbers, identifiers ("No. 2", "Covid-19", "Section 230"), vote tallies and
   ranges ("220-212", "20 to 30"), unit conversions in brackets and vague amounts
   ("several hundred") are left out. Money is its own unit ("money:$") and never
   compared with a count.
2. **Same quantity**: the same unit (counts of the dead are one unit whatever the word:
   "deaths", "dead", "killed", "fatalities"), and the same kind of count: an increment is
   not a total ("2,000 new cases" vs "20,000 cases"), nor a rate or a period's figure
   ("a day", "over five years", "in 2022") another's, nor an expected, planned or
   required figure ("forecast", "goal", "would") the actual one, nor a qualified measure
   ("core", "excluding food and energy") the plain one.
3. **Same subject**: counts of people in the same role (killed, injured, missing,
   displaced, arrested, ...; "200,000 killed" and "1.5 million homeless" are two
   subjects), content words around the two figures that overlap
   (:data:`MIN_SUBJECT_OVERLAP`), and no name in either sentence that the other lacks on
   both sides ("Cambodia" vs "North Korea"; who says it, "according to Reuters", is no
   subject).
4. **Same time** (:mod:`summarize.evidence.timeline`): a figure its own sentence gives as
   the old value of a change ("fell to 5.8% from 6.1%", "down from his initial $2.3
   trillion proposal") no longer holds, so any other report of the same unit is an
   **update** of it; otherwise the event days of the two
   sentences can be the same, neither names a time of day the other lacks or contradicts,
   and neither words its figure as a change ("rose to", "revised", "now", "so far"): such
   a pair is an **update**, stated as one by the brief (latest figure, with its date).
5. **Different values** beyond rounding and hedges, yet within :data:`MAX_RATIO` of each
   other (two reports of one count that far apart almost always count different things): "nearly/almost X" covers 0.9X..1.05X,
   "up to/under X" anything up to X, "more than/at least X" anything from X,
   "about/some X" and round figures +-10%, exact figures +-2% or one unit of their last
   significant digit ("6.1 million" vs "6,132,000" agree).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date

import numpy as np

from summarize.evidence import timeline
from summarize.nlp.text import stems
from summarize.records import Conflict, Quantity, ScoredSentence, Sentence

_HEDGES = {
    "nearly": "near", "almost": "near", "just under": "near", "just over": "near",
    "close to": "near",
    "up to": "upper", "fewer than": "upper", "less than": "upper", "under": "upper",
    "as many as": "upper", "as much as": "upper",
    "more than": "lower", "over": "lower", "at least": "lower", "upwards of": "lower", "upward of": "lower",
    "about": "both", "around": "both", "some": "both", "roughly": "both",
    "approximately": "both", "an estimated": "both", "estimated": "both",
}
_HEDGE_RE = "|".join(sorted((re.escape(h) for h in _HEDGES), key=len, reverse=True))
_QUANTITY = re.compile(
    rf"(?:\b(?P<hedge>{_HEDGE_RE})\s+)?(?P<cur>[$€£])?(?<![\w.,:/#-])"
    rf"(?P<num>\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?)(?![:/\d]|\.\d|-\d|,\d)"
    rf"(?P<scale>\s*(?:million|billion|trillion|thousand|bn|m)\b)?(?P<pct>\s*%|\s+percent\b|\s+per\s+cent\b)?"
    rf"(?P<unit>(?:(?:\s+|-)[A-Za-z][A-Za-z-]*){{1,3}})?",
    re.IGNORECASE,
)
_SCALES = {"thousand": 1e3, "million": 1e6, "m": 1e6, "billion": 1e9, "bn": 1e9, "trillion": 1e12}
_SKIP_UNITS = {
    "a", "an", "the", "and", "or", "of", "to", "in", "on", "at", "by", "for", "with", "from",
    "as", "was", "were", "is", "are", "has", "had", "have", "that", "which", "who", "more",
    "other", "new", "additional", "more", "than", "into", "since", "after", "before", "per",
    "cent", "be", "been", "will", "would", "last", "this", "its", "their", "his", "her",
}
_MODIFIERS = {"new", "additional", "more", "another", "other", "further", "daily", "extra", "fresh"}
# Counts of the same thing under different words.
_SYNONYMS = {
    "dead": "death", "killed": "death", "fatality": "death", "fatalitie": "death", "life": "death",
    "live": "death", "body": "death", "bodie": "death", "people": "person", "individual": "person",
    "percentage": "percent", "pct": "percent", "point": "point",
    "dollar": "money:$", "usd": "money:$", "euro": "money:€", "pound": "money:£",
}
_NOT_UNITS = {
    # times and durations are not counts of things in a story
    "year", "month", "week", "day", "hour", "minute", "second", "decade", "century", "monday",
    "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february",
    "march", "april", "may", "june", "july", "august", "september", "october", "november",
    "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov",
    "dec", "am", "pm", "a", "p", "gmt", "utc", "est", "edt", "et", "pt", "bst", "o'clock",
    "time", "times", "st", "nd", "rd", "th", "yard", "inning", "round", "game",
}
# Words before a figure that mark a label, not an amount ("No. 2", "Section 230").
_LABELS = re.compile(
    r"(?:\b(?:no|number|nos|article|section|title|rule|chapter|phase|level|category|route|"
    r"highway|flight|room|apartment|apt|suite|district|amendment|resolution|act|item|"
    r"page|vol|volume|episode|season|grade|ward|station|unit|gate|terminal|class|version|"
    r"covid|group|g|pier|platform|interstate|i|us|form|bill|h\.r|s)\.?\s*#?|#)$",
    re.IGNORECASE)
_VAGUE = re.compile(r"\b(?:several|few|many|hundreds|thousands|dozens|tens|some\s+few)\s*$", re.IGNORECASE)
_MONTHS = re.compile(r"\b(?:" + "|".join(timeline.MONTHS) + r")\.?\s*$", re.IGNORECASE)
_MONTH_AFTER = re.compile(r"^(?:st|nd|rd|th)?\s+(?:of\s+)?(?:" + "|".join(timeline.MONTHS) + r")\b", re.IGNORECASE)
_ORDINAL_AFTER = re.compile(r"^(?:st|nd|rd|th)\b", re.IGNORECASE)
_CLOCK_AFTER = re.compile(r"^\s*(?:a\.?m\.?|p\.?m\.?|o'clock|gmt|utc|[ecmp][sd]?t)\b", re.IGNORECASE)
_AGE_AFTER = re.compile(r"^(?:-|\s)?(?:year|yr)s?[- ]old\b|^\s*years?\s+of\s+age\b", re.IGNORECASE)
_AGE_BEFORE = re.compile(r"(?:\baged?\s+|\bages\s+)$|[A-Z][a-z]+,\s*$", re.IGNORECASE)
_RANGE_AFTER = re.compile(r"^(?:\s*(?:%|percent|million|billion|thousand))?\s*(?:-|–|to|and|or)\s*[$€£]?\d")
_RANGE_BEFORE = re.compile(r"(?:\bbetween|\d\s*(?:-|–|to|or)|\bbetween\s+[$€£]?[\d,.]+\s*(?:[a-z]+\s+)?and)\s*[$€£]?$",
                           re.IGNORECASE)
# "from 7,000 to about 6,100": a change, both figures kept (the change wording makes them an update).
_CHANGE = re.compile(r"\bfrom\s+(?:about\s+|around\s+|nearly\s+)?[$€£]?\d[\d,.]*(?:\s*(?:million|billion|thousand|percent|%))?"
                     r"\s+to\s+(?:about\s+|around\s+|nearly\s+|more than\s+)?[$€£]?\d[\d,.]*", re.IGNORECASE)
_PHONE = re.compile(r"\(?\d{3}\)?[-.\s]\d{3}[-.]\d{4}")
_CLOCK = re.compile(
    r"\b(?:[01]?\d|2[0-3])(?::[0-5]\d)?\s*(?:a\.?m\.?|p\.?m\.?)(?!\w)|\b(?:[01]?\d|2[0-3]):[0-5]\d\b|"
    r"\b(?:noon|midnight|this morning|this afternoon|this evening|tonight|overnight)\b",
    re.IGNORECASE)
# Wording that reports a figure as a change over time.
_UPDATE = re.compile(
    r"\b(?:(?:rose|risen|rises|rising|climbed|climbs|climbing|increased|jumped|dropped|fell|fallen|declined|"
    r"surged|soared|grew|grown|swelled|raised|raising|lowered|lowering|revised|revising|cut|reduced)"
    r"\s+(?:\w+\s+){0,3}?(?:to|from)\s|revised|revision|now|so far|to date|as of|updated|latest|up from|"
    r"down from|has reached|had reached|reached|topped|surpassed|exceeded|doubled|tripled|ago|earlier|"
    r"previous|previously|prior|initial|initially|originally|last (?:year|month|week)|a (?:year|month|week) earlier)\b",
    re.IGNORECASE)
# A figure given as the value a change started from ("fell to 5.8% from 6.1%", "down from his
# initial $2.3 trillion", "from a revised 507,000 a week earlier"): the sentence itself says
# it no longer holds, so any other report of that quantity is an update of it, not a dispute.
_SUPERSEDED = re.compile(
    r"(?:\b(?:up|down)\s+from|"
    r"\bto\s+(?:about\s+|around\s+|nearly\s+)?[$€£]?\d[\d,.]*(?:\s*(?:%|percent|million|billion|trillion|thousand))?\s+from|"
    r"\b(?:fallen|fell|falls|rose|risen|rises|dropped|drops|declined|climbed|increased|decreased|lowered|"
    r"raised|revised|slipped|jumped|grew|shrank|cut|reduced|moved|changed)\s+(?:\w+\s+){0,2}?from)"
    r"\s+(?:(?:his|her|its|their|the|an?)\s+)?"
    r"(?:(?:revised|initial|original|earlier|previous|prior|preliminary)\s+)?"
    r"(?:(?:estimate|figure|report|forecast|proposal)\s+of\s+)?(?:about\s+|around\s+|nearly\s+)?[$€£]?$",
    re.IGNORECASE)
# What a count of people is a count of: two figures in different roles are two subjects
# ("200,000 killed" and "1.5 million homeless").
_ROLES = {
    "death": ("kill", "die", "dead", "death", "fatal", "toll", "live", "bodi", "murder"),
    "injury": ("injur", "wound", "hurt", "hospit"),
    "missing": ("miss", "unaccount"),
    "displaced": ("homeless", "displac", "evacu", "refuge", "flee", "fled", "shelter"),
    "arrest": ("arrest", "detain", "charg", "custodi"),
    "rescue": ("rescu", "save", "surviv", "recov"),
    "hostage": ("hostag", "captiv", "kidnap", "held"),
    "case": ("case", "infect", "test", "posit"),
    "vaccine": ("vaccin", "dose", "shot", "jab"),
}
_ROLE_OF = {stem: role for role, words in _ROLES.items() for stem in words}
# A figure for a period or a rate is another quantity than a total or another period's.
_PERIODS = re.compile(
    r"\b(?:a|per|each|every)\s+(?:day|week|month|year|hour|minute|capita|person|child|gallon|barrel|share)\b|"
    r"\b(?:daily|weekly|monthly|annually|annual|yearly|hourly|average|median)\b|"
    r"\bover\s+(?:the\s+)?(?:next\s+|past\s+|last\s+)?(?:\w+\s+)?(?:years?|decades?|months?|weeks?|days?)\b|"
    r"\b(?:this|next|last)\s+(?:year|month|week|quarter|decade)\b|\bby\s+(?:19|20)\d\d\b|\bin\s+(?:19|20)\d\d\b|"
    r"\b(?:first|second|third|fourth)\s+(?:half|quarter)\b|\bfiscal\b|\byear[- ]over[- ]year\b|\b12[- ]months?\b|"
    r"\bfrom a year\b|\bmonth[- ]over[- ]month\b|\bpast (?:year|month)\b",
    re.IGNORECASE)
# A figure somebody expects, plans or aims for is not the figure that happened.
_EXPECTED = re.compile(
    r"\b(?:expect\w*|forecast\w*|estimat\w*|predict\w*|project\w*|anticipat\w*|consensus|goal|target\w*|"
    r"aim\w*|plan\w*|propos\w*|would|could|may|might|will|hope\w*|want\w*|seek\w*|call\w* for|pledg\w*|"
    r"promis\w*|threshold|cap|limit|required|needed|maximum|minimum|up to|races? to|by the end of|"
    r"by (?:the )?(?:fourth of july|independence day|" + "|".join(timeline.MONTHS) + r"))\b",
    re.IGNORECASE)
# A qualified measure is another quantity ("core prices, excluding food and energy").
_QUALIFIED = re.compile(r"\b(?:excluding|excludes?|controlling for|not counting|except|other than|core|"
                        r"adjusted|net|gross|underlying)\b", re.IGNORECASE)
_NAME = re.compile(r"\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*")
_NAME_STOP = {"The", "A", "An", "In", "On", "At", "He", "She", "It", "They", "We", "I", "But", "And", "That",
              "This", "Those", "These", "There", "His", "Her", "Their", "Its", "According", "After", "Before",
              "Mr", "Mrs", "No", "Ms", "Dr", "About", "Some", "More", "Nearly", "Almost", "Over", "As", "By", "Of",
              "For", "With", "While", "When", "If", "Since", "Still", "Also", "Now", "So", "Yet", "Last",
              "President", "Minister", "Prime", "Officials", "Police", "Reuters", "Associated", "Press"}
_NAME_STOP |= {"Gen", "Sen", "Rep", "Gov", "Col", "Lt", "Sgt", "Capt", "Maj", "Adm", "Prof", "Secretary", "Spokesman"}
_NAME_STOP |= {w.capitalize() for w in timeline.WEEKDAYS} | {m.capitalize() for m in timeline.MONTHS}

# Context words shared around the two figures (overlap coefficient of the stems within
# WINDOW tokens of each figure), and how far apart two reports of one count may be before
# they are taken to count different things. Fitted on the earlier part of the labelled set
# (AllSides April-May and MultiLing): the most permissive setting of the grid in
# benchmarks/bench_disagree.py that calls no pair of that part real (it holds no real pair,
# so it bounds false alarms only; see docs/disagreement-labels.md).
WINDOW = 6
MIN_SUBJECT_OVERLAP = 0.2
MAX_RATIO = 2.0
# Two sentences of a story are compared only when they report the same claim (the evidence
# stage's claim similarity); the subject and time tests then decide.
MIN_CLAIM_SIMILARITY = 0.4

_TIME_STEMS = set(timeline.MONTHS) | {w[:-1] if w.endswith("y") else w for w in timeline.WEEKDAYS} | {
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "yesterday", "today", "week",
    "said", "say", "report", "accord", "million", "billion", "trillion", "thousand", "percent", "also", "new"}
_HEDGE_STEMS = set(stems(" ".join(_HEDGES))) | {"year-old", "nearli", "approxim", "roughli", "estim"}
VERDICTS = ("real", "update", "different_subject", "not_a_figure", "agree")


def _singular(word: str) -> str:
    w = word.lower().strip("-")
    if w in {"children", "people", "police", "news", "series", "species"}:
        return w
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("s") and not w.endswith("ss") and len(w) > 3:
        w = w[:-1]
    return _SYNONYMS.get(w, w)


def _unit(words: list[str], before: str) -> str:
    """What a number counts: the first plural noun among the content words after it ("10
    confirmed deaths" -> "death"), else the first of them; with none, a count named just
    before it ("the death toll rose to 357", "the number of migrants ... 1,200")."""
    run: list[str] = []
    if len(words) > 1 and words[0].lower() in _AUXILIARIES:
        words = words[1:] if words[1].lower() not in _AUXILIARIES else words[2:]  # "27,478 were (been) killed"
    for w in words:
        if w.lower() in _SKIP_UNITS:
            break
        run.append(w)
    for w in run:
        low = w.lower()
        if low in _PLURALS or (low.endswith("s") and not low.endswith("ss") and len(low) > 3):
            return _singular(w)
    if run:
        return _singular(run[0])
    m = _COUNT_BEFORE.search(before[-60:])
    if m:
        return "death" if m.group("toll") else _singular(m.group("what") or "")
    return ""


_AUXILIARIES = {"were", "was", "are", "is", "have", "has", "had", "been", "be"}
_DURATIONS = {"hour", "minute", "day", "week", "month"}
_PLURALS = {"people", "children", "police", "dead", "killed", "women", "men", "mph", "kph"}
_COUNT_BEFORE = re.compile(
    r"(?:\b(?P<toll>death toll|toll)\b|\bnumber of (?P<what>[a-z]+)\b)[^.;]*?\b(?:at|to|of|was|is|stood at|"
    r"reached|hit|rose to|climbed to|from)?\s*(?:about|around|nearly|more than|at least|some|over)?\s*[$€£]?$",
    re.IGNORECASE)


def _not_a_figure(text: str, m: re.Match) -> bool:
    before, after = text[:m.start("num")], text[m.end("num"):]
    raw, value = m.group("num"), float(m.group("num").replace(",", ""))
    if m.group("hedge") or m.group("cur"):
        before = text[:m.start()]
    return bool(
        (not m.group("scale") and not m.group("cur") and "," not in raw and "." not in raw
         and 1900 <= value <= 2100)  # a year
        or _LABELS.search(before[-16:]) or _VAGUE.search(before[-14:])
        or _MONTHS.search(before[-11:]) or _MONTH_AFTER.match(after) or _ORDINAL_AFTER.match(after)
        or _CLOCK_AFTER.match(after) or _AGE_AFTER.match(after)
        or (_AGE_BEFORE.search(before[-24:]) and value < 120 and re.match(r"^\s*,", after) is not None)
        or re.search(r"\baged?\s+$", before[-8:], re.IGNORECASE)
        or (not any(c.start() <= m.start("num") < c.end() for c in _CHANGE.finditer(text))
            and (_RANGE_AFTER.match(after) or _RANGE_BEFORE.search(before[-24:])))
        or before.rstrip().endswith("(")  # "(300 miles)": a conversion of the figure before it
        or any(p.start() <= m.start("num") < p.end() for p in _PHONE.finditer(text))
    )


def _names(text: str) -> set[str]:
    """Capitalised names of a sentence, lower-cased, except those of who says it ("Gen.
    Dawlat Waziri told ...", "according to Reuters"): a source is not a subject."""
    out = set()
    for m in _NAME.finditer(text):
        before, after = text[max(0, m.start() - 25):m.start()], text[m.end():m.end() + 25]
        if _SPEAKER_BEFORE.search(before) or _SPEAKER_AFTER.match(after):
            continue
        words = [w for w in m.group().split() if w not in _NAME_STOP]
        if words:
            out.add(" ".join(words).lower())
            out.update(w.lower() for w in words)
    return out


_SPEAKER_BEFORE = re.compile(
    r"(?:\b(?:according to|told|said|says|spokesm[ae]n|spokeswoman|spokesperson|reports?|reported by|per)\s+(?:the\s+)?|"
    r"\b(?:Gen|Sen|Rep|Dr|Mr|Mrs|Ms|Col|Lt|Gov|Sgt|Capt|Maj|Adm|Prof)\.?\s+)$")
_SPEAKER_AFTER = re.compile(r"^(?:\s+[a-z]+)?\s*(?:,\s*)?(?:said|says|told|reported|reports|announced|spokes)")
# Wording anywhere in a sentence that reports its figure as a change.
_CHANGED = re.compile(
    r"\b(?:now|so far|revised|updated|up from|down from|(?:rose|climbed|risen|increased|fell|dropped|jumped|"
    r"raised|lowered|cut|reduced)\s+(?:\w+\s+){0,3}?(?:to|from)\s)", re.IGNORECASE)


def quantities(sentence: Sentence, published: str | date | None = "") -> list[Quantity]:
    """The figures of a sentence: numbers that count something (see rule 1 above).

    ``published`` (the article's date) lets each figure carry the day its sentence is
    about (:func:`summarize.evidence.timeline.event_time`).
    """
    text = sentence.text
    found = []
    tokens = list(re.finditer(r"[A-Za-z][A-Za-z'-]*|\d[\d,.]*", text))
    for m in _QUANTITY.finditer(text):
        if _not_a_figure(text, m):
            continue
        try:
            value = float(m.group("num").replace(",", ""))
        except ValueError:
            continue
        scale = (m.group("scale") or "").strip().lower()
        value *= _SCALES.get(scale, 1.0)
        words = (m.group("unit") or "").replace("-", " ", 1 if (m.group("unit") or "").startswith("-") else 0).split()
        after = words[0].lower() if words else ""
        if m.group("cur"):
            unit = "money:" + m.group("cur")
        elif m.group("pct"):
            unit = "percent"
        elif after in {"dollars", "euros", "pounds", "usd"}:
            unit = _SYNONYMS[_singular(after)] if _singular(after) in _SYNONYMS else "money"
        else:
            unit = _unit(words, text[:m.start()])
            if unit in _DURATIONS and ((m.group("unit") or "").startswith("-") or words[1:2] == ["of"]):
                unit = "duration:" + unit  # "a 13-hour filibuster", "11 hours of talk"
            elif not unit or unit in _NOT_UNITS or len(unit) < 2:
                continue
            if scale == "m" and not m.group("cur"):
                continue  # "5 m" is metres, not millions
        num_at = m.start("num")
        position = next((i for i, t in enumerate(tokens) if t.start() >= num_at), len(tokens))
        window = " ".join(t.group() for t in tokens[max(0, position - WINDOW):position + WINDOW + 1])
        when = timeline.event_time(text, published, near=num_at)
        found.append(Quantity(
            value=value, text=m.group(0).strip(), unit=unit, hedge=(m.group("hedge") or "").lower(),
            sentence=sentence, start=num_at,
            subject=tuple(sorted({s for s in stems(window) if not s[0].isdigit()} - {unit} - set(stems(unit))
                                 - _TIME_STEMS - _HEDGE_STEMS)),
            names=tuple(sorted(_names(window))),
            when=when.iso() if when else "", precision=when.precision if when else "day",
        ))
    return found


def _resolution(q: Quantity) -> float:
    """One unit of the figure's last significant digit ("6.1 million" -> 100,000)."""
    raw = q.text
    m = re.search(r"\d[\d,]*(?:\.(\d+))?", raw)
    if not m:
        return 0.0
    scale = q.value / float(m.group().replace(",", "")) if float(m.group().replace(",", "")) else 1.0
    if m.group(1):
        return scale * 10 ** -len(m.group(1))
    digits = m.group().replace(",", "")
    zeros = len(digits) - len(digits.rstrip("0")) if digits != "0" else 0
    return scale * 10 ** zeros if scale > 1 else 0.0


def _margin(q: Quantity) -> float:
    raw = int(q.value)
    rounded = q.value >= 100 and raw == q.value and raw % 100 == 0
    return 0.10 if q.hedge or rounded else 0.02


def consistent(a: Quantity, b: Quantity) -> bool:
    """Whether two reports of one quantity agree, allowing for hedges and rounding (rule 5)."""
    for x, y in ((a, b), (b, a)):
        kind = _HEDGES.get(x.hedge, "")
        if kind == "near" and 0.9 * x.value <= y.value <= 1.05 * x.value:
            return True
        if kind == "upper" and y.value <= 1.02 * x.value:
            return True
        if kind == "lower" and y.value >= 0.98 * x.value:
            return True
        if abs(x.value - y.value) <= _resolution(x) / 2:
            return True
    margin = max(_margin(a), _margin(b))
    return abs(a.value - b.value) <= margin * max(a.value, b.value)


def _modified(q: Quantity) -> bool:
    """A figure counted as an increment ("2,000 new cases") rather than a total."""
    before = q.sentence.text[:q.start].split()[-2:]
    after = q.sentence.text[q.start:].split()[1:4]
    return any(w.lower().strip(",.") in _MODIFIERS for w in before + after)


def _local(q: Quantity, width: int = 70) -> str:
    """The clause around a figure, for the time, period and expectation tests."""
    text = q.sentence.text
    left = text[max(0, q.start - width):q.start]
    right = text[q.start:q.start + width]
    # stay inside the figure's clause: cut at a semicolon
    left = left.split(";")[-1]
    right = right.split(";")[0]
    return left + right


def _concepts(q: Quantity) -> set[str]:
    """The figure's subject stems with the role words merged (``kill``, ``die`` -> ``death``)."""
    return {_ROLE_OF.get(st, st) for st in q.subject}


def _roles(q: Quantity) -> set[str]:
    return {_ROLE_OF[st] for st in q.subject if st in _ROLE_OF}


def same_subject(a: Quantity, b: Quantity) -> bool:
    """Rule 3: the figures count things in the same role, the words around them overlap,
    and neither names a place or party near its figure that the other sentence lacks."""
    roles_a, roles_b = _roles(a), _roles(b)
    if (roles_a or roles_b) and not roles_a & roles_b:
        return False
    ca, cb = _concepts(a), _concepts(b)
    if not ca or not cb:
        return False
    if len(ca & cb) / min(len(ca), len(cb)) < MIN_SUBJECT_OVERLAP:
        return False
    names_a, names_b = _names(a.sentence.text), _names(b.sentence.text)
    only_a = {n for n in names_a if " " not in n} - names_b
    only_b = {n for n in names_b if " " not in n} - names_a
    return not (only_a and only_b)


def _days_named(q: Quantity) -> set[str]:
    return {m.group().lower() for m in re.finditer(r"\b(?:" + "|".join(timeline.WEEKDAYS) + r")\b", q.sentence.text,
                                                re.IGNORECASE)}


def same_time(a: Quantity, b: Quantity) -> bool:
    """Rule 4: the event days can be equal and no time of day or change wording differs."""
    if a.when and b.when:
        wa = timeline.When(date.fromisoformat(a.when), a.precision)
        wb = timeline.When(date.fromisoformat(b.when), b.precision)
        if not wa.same_time(wb):
            return False
    else:
        # Without publication dates, two different weekdays are still two different days.
        days_a, days_b = _days_named(a), _days_named(b)
        if days_a and days_b and not days_a & days_b:
            return False
    clocks_a = {c.group().lower() for c in _CLOCK.finditer(a.sentence.text)}
    clocks_b = {c.group().lower() for c in _CLOCK.finditer(b.sentence.text)}
    if (clocks_a or clocks_b) and clocks_a != clocks_b:
        return False
    if _CHANGE.search(_local(a)) or _CHANGE.search(_local(b)):
        return False
    if _CHANGED.search(a.sentence.text) or _CHANGED.search(b.sentence.text):
        return False
    return not (_UPDATE.search(_local(a)) or _UPDATE.search(_local(b)))


def superseded(q: Quantity) -> bool:
    """Whether the figure is the old value of a change its own sentence states ("to 5.8%
    from 6.1%", "down from his initial $2.3 trillion proposal")."""
    before = q.sentence.text[:q.start]
    hedge = q.text[:len(q.hedge)] if q.hedge else ""
    if hedge and before.endswith(hedge + " "):
        before = before[: -len(hedge) - 1]
    return bool(_SUPERSEDED.search(before[-60:]))


def classify(a: Quantity | None, b: Quantity | None) -> str:
    """The verdict on two figures from different voices: one of :data:`VERDICTS`.

    ``None`` stands for a number that :func:`quantities` does not take as a figure.
    ``"agree"`` means the same quantity within rounding and hedges.
    """
    if a is None or b is None:
        return "not_a_figure"
    if a.unit != b.unit:
        return "different_subject"
    if (superseded(a) or superseded(b)) and not consistent(a, b) and same_subject(a, b):
        return "update"
    if _modified(a) != _modified(b):
        return "different_subject"
    if consistent(a, b):
        return "agree"
    periods_a = {m.group().lower() for m in _PERIODS.finditer(_local(a, 50))}
    periods_b = {m.group().lower() for m in _PERIODS.finditer(_local(b, 50))}
    if periods_a != periods_b:
        return "different_subject"
    if bool(_EXPECTED.search(_local(a, 60))) != bool(_EXPECTED.search(_local(b, 60))):
        return "different_subject"
    if bool(_QUALIFIED.search(_local(a, 90))) != bool(_QUALIFIED.search(_local(b, 90))):
        return "different_subject"
    if not same_subject(a, b):
        return "different_subject"
    if not same_time(a, b):
        return "update"
    if max(a.value, b.value) > MAX_RATIO * min(a.value, b.value):
        return "different_subject"
    return "real"


def find_conflicts(
    scored: Sequence[ScoredSentence],
    sim: np.ndarray,
    voices: Mapping[str, str],
    min_similarity: float = MIN_CLAIM_SIMILARITY,
    published: Mapping[str, str] | None = None,
    kinds: Sequence[str] = ("real",),
) -> list[Conflict]:
    """Pairs of sentences from different voices whose figures :func:`classify` calls one of ``kinds``.

    Args:
        scored: The story's sentences.
        sim: Claim similarity between them (rows and columns follow ``scored``).
        voices: Article id -> independent voice.
        min_similarity: Sentences less similar than this are about different things.
        published: Article id -> publication date, to resolve each sentence's event time.
        kinds: Verdicts to return: ``("real",)`` for disagreements; add ``"update"`` for
            figures that changed over time (``Conflict.kind`` says which; for an update
            ``a`` is the earlier figure when the days are known).
    """
    published = published or {}
    per_sentence = [quantities(s.sentence, published.get(s.sentence.article_id, "")) for s in scored]
    with_numbers = [i for i, qs in enumerate(per_sentence) if qs]
    conflicts: list[Conflict] = []
    seen: set[tuple[str, ...]] = set()
    for x, i in enumerate(with_numbers):
        for j in with_numbers[x + 1:]:
            si, sj = scored[i].sentence, scored[j].sentence
            if voices.get(si.article_id) == voices.get(sj.article_id):
                continue
            if float(sim[i, j]) < min_similarity:
                continue
            for qa in per_sentence[i]:
                for qb in per_sentence[j]:
                    verdict = classify(qa, qb)
                    if verdict not in kinds:
                        continue
                    # A pair of sentences that also agrees on that unit reports two counts
                    # (trucks on two days), not one disputed count.
                    if any(classify(qa, o) == "agree" for o in per_sentence[j] if o is not qb):
                        continue
                    if any(classify(qb, o) == "agree" for o in per_sentence[i] if o is not qa):
                        continue
                    key = (verdict, qa.unit, *sorted((si.article_id, sj.article_id)))
                    if key in seen:
                        continue
                    seen.add(key)
                    a, b = qa, qb
                    if verdict == "update" and a.when and b.when and b.when < a.when:
                        a, b = b, a
                    conflicts.append(Conflict(topic=qa.unit, a=a, b=b,
                                              kind="number" if verdict == "real" else verdict))
    return conflicts


_FIGURE = re.compile(rf"(?:(?:{_HEDGE_RE})\s+)?[$€£]?\d[\d,.]*(?:\s*(?:million|billion|trillion|thousand|bn)\b)?"
                     r"(?:\s*%|\s+percent\b|\s+per\s+cent\b)?", re.IGNORECASE)


def figure_text(q: Quantity) -> str:
    """The figure as the source gives it, hedge and scale kept, unit words left out
    ("about 6,100", "$9 billion", "62 percent"; a duration keeps its unit: "13 hours")."""
    m = _FIGURE.match(q.text)
    text = m.group().strip() if m else q.text
    if q.unit.startswith("duration:"):
        unit = q.unit.split(":", 1)[1]
        text = f"{text} {unit}{'' if q.value == 1 else 's'}"
    return text


def running_tally(c: Conflict) -> bool:
    """Whether an update is a running count a brief may state as changed ("the death toll rose
    from 12 on Nov. 2 to 20 on Nov. 3"): both days known and in order, a count of people in
    the same role on both sides, and values within :data:`MAX_RATIO` of each other. Other
    figures on two days (the depth of two aftershocks) are more often two events than one
    figure revised, and a count that jumps far is more often another count, so they are
    left unsaid."""
    roles = _roles(c.a)
    return bool(c.a.when and c.b.when and c.a.when < c.b.when and roles and roles == _roles(c.b)
                and max(c.a.value, c.b.value) <= MAX_RATIO * min(c.a.value, c.b.value))


_MEASURES = {
    "kilometer": "the distance", "km": "the distance", "mile": "the distance", "meter": "the distance",
    "metre": "the distance", "foot": "the distance", "feet": "the distance", "mph": "the speed",
    "kph": "the speed", "magnitude": "the magnitude", "acre": "the area", "hectare": "the area",
    "vote": "the vote count", "degree": "the temperature",
}
_PHRASES = {
    "death": "the death toll", "injury": "the number injured", "missing": "the number missing",
    "displaced": "the number displaced", "arrest": "the number arrested", "rescue": "the number rescued",
    "hostage": "the number of hostages", "case": "the number of cases", "vaccine": "the number vaccinated",
}


def subject_phrase(c: Conflict) -> str:
    """What the two figures count, for a reader: "the death toll in Kabul", "the number of
    trucks", "the length" (of a duration). A place is added when both sentences name it
    after "in" near the figures."""
    roles = sorted(_roles(c.a) & _roles(c.b))
    unit = c.topic
    if roles:
        base = _PHRASES[roles[0]]
    elif unit.startswith("money:"):
        base = "the amount"
    elif unit.startswith("duration:"):
        base = "the length"
    elif unit == "percent":
        base = "the share"
    elif unit in _MEASURES:
        base = _MEASURES[unit]
    elif unit in {"death"}:
        base = "the death toll"
    elif unit in {"person", "people"}:
        base = "the number of people"
    else:
        base = f"the number of {unit if unit.endswith('s') else unit + 's'}"
    places = [m.group(1) for m in re.finditer(r"\bin\s+((?:[A-Z][\w-]+\s?){1,3})", _local(c.a, 90))]
    shared = [p.strip() for p in places if p.strip().lower() in _names(c.b.sentence.text)]
    return f"{base} in {shared[0]}" if shared else base
