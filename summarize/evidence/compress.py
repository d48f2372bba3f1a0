"""Sentence compression: meaning-safe cuts that give a short brief's words back to content.

At 100 words, every word a brief spends on a dateline or an aside is a content word lost
(ROUGE reads the first 100 words, and so does a hurried reader). Extractive compression
usually deletes parse-tree constituents chosen by a learned model (Knight & Marcu, 2002;
Berg-Kirkpatrick et al., 2011); with no parser or tagger offline (``/work/shared/MODELS.md``)
this module makes only cuts whose shape shows they change no claim, each a kind of its own
(:data:`CUTS`):

* ``"dateline"``: a place and a wire or outlet credit the cleaner left at the start
  ("cancun, mexico ( ap ) — a onetime american …", "( cnn ) take a look …"):
  :func:`summarize.nlp.text.strip_dateline` takes only the upper-case ones.
* ``"connective"``: a leading discourse connective that ties the sentence to the one before
  it in its own article ("However,", "Meanwhile,", "In addition,", "But"): in a brief it
  points at nothing. Connectives that carry time or a change of plan ("Earlier,", "Then",
  "Instead,") are left alone.
* ``"conversion"``: a unit or currency conversion in parentheses right after the figure it
  restates ("10 kilometers (about 6 miles)", "9:30 a.m. ET (1330 GMT)").
* ``"that"``: the complementiser after a verb of saying before a subject ("said that the
  plan" → "said the plan"); the verb, and so the attribution, stays.

Each pattern admits only what it names: no cut removes a figure (a conversion only the
figure it restates), a name outside a dateline, a date or an attribution, so "…, officials
said Tuesday." keeps both who said it and when ("police said" turns a report into an
assertion when it goes). A cut is also refused inside a quotation (a quote is never
reworded) and when the shorter sentence would fail :func:`summarize.nlp.hygiene.problem`
or drop under four words. Parenthetical asides in general are not cut: "(though it was
later cleared)" or "(a pseudonym)" changes what the sentence tells a reader, and the shape
of an aside does not say whether it does (``docs/selection.md``).

Compression changes only the words a brief shows. The sentence's identity (article,
index, offsets) stays on its :class:`~summarize.records.ScoredSentence`, so citations,
agreement and disagreements read the whole source sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from summarize.errors import InputError
from summarize.nlp import hygiene

CUTS = ("dateline", "connective", "conversion", "that")
# What selection applies unless told otherwise: the two kinds that remove words a brief's
# reader cannot use at all (docs/selection.md has each kind's figures).
DEFAULT_CUTS = ("dateline", "connective")
MIN_WORDS = 4

_CONNECTIVE = re.compile(
    r"^(?:(?:However|Meanwhile|In addition|Additionally|Moreover|Furthermore|Also|Still|Indeed|"
    r"In fact|Nevertheless|Nonetheless|Besides|Further|Of course|Notably|Yet|And|But|So),\s+|"
    r"(?:But|And)\s+(?=[\w\"“‘']))")
# Wire services, outlets and US broadcast call signs that credit a story in its dateline.
_CREDIT = (r"(?:ap|afp|upi|reuters|associated press|cnn|cnbc|bbc|nbc|cbs|abc|fox news|bloomberg|"
           r"xinhua|ians|pti|ani|dpa|efe|ansa|kyodo|yonhap|tass|rns|healthday(?: news)?|marketwatch|"
           r"the hill|usa today|[kw][a-z]{2,3}(?:-tv)?)")
# A place of up to five words and a credit in parentheses, then a dash ("cancun, mexico
# ( ap ) — …"); or a credit opening the sentence ("( cnn ) take a look …").
_DATELINE = re.compile(
    rf"^(?:[^\s()\"“”][^()\"“”]{{0,50}}?\s*\(\s*{_CREDIT}\s*\)\s*[-–—]+\s*|"
    rf"\(\s*{_CREDIT}\s*\)\s*(?:[-–—]+\s*)?)(?=\S)", re.IGNORECASE)
_LENGTH_UNITS = (
    r"miles?|mi|kilometers?|kilometres?|km|kms|kph|km/h|kmh|mph|feet|foot|ft|inch(?:es)?|"
    r"meters?|metres?|m|cm|mm|centimeters?|centimetres?|millimeters?|yards?|yd|acres?|"
    r"hectares?|ha|square (?:miles?|kilometers?|kilometres?|km|feet|meters?|metres?)|sq (?:mi|km|ft|m)|"
    r"pounds?|lbs?|kilograms?|kg|kilos?|tons?|tonnes?|ounces?|oz|grams?|gallons?|liters?|litres?|"
    r"degrees?(?: (?:fahrenheit|celsius|f|c))?|°\s?[cf]|[cf]|knots?|gmt|utc|et|edt|est|bst|cet|cest")
_MONEY = (r"[$£€¥]\s*\d[\d,.]*(?:\s*(?:thousand|million|billion|trillion|bn|mn|m))?|"
          r"\d[\d,.]*\s*(?:thousand |million |billion |trillion )?"
          r"(?:euros?|dollars?|yuan|yen|rupees?|rubles?|roubles?|pesos?|pounds? sterling)")
_QUALIFIER = (r"(?:about|around|roughly|nearly|almost|some|approximately|more than|over|under|"
              r"up to|or|or about)")
_CONVERSION = re.compile(
    rf"^\(\s*(?:{_QUALIFIER}\s+)?(?:{_MONEY}|\d[\d,.:]*\s*(?:{_LENGTH_UNITS}))\.?\s*\)$", re.IGNORECASE)
_FIGURE_BEFORE = re.compile(r"\d[\d,.:]*(?:\s*[^\W\d]+\.?){0,3}\s*$")
_PAREN = re.compile(r"\s*\(\s*[^()]{1,80}?\s*\)")
_SAY_THAT = re.compile(
    r"\b(?:said|says|say|told \w+|added|noted|announced|argued|warned|insisted|explained|"
    r"acknowledged|believes?|thinks?|claimed|claims|stated)\s+(?P<that>that)\s+"
    r"(?=(?:the|a|an|he|she|they|we|i|it|his|her|their|its|our|there|[A-Z][a-z]+)\b)")


@dataclass(frozen=True)
class Cut:
    """One cut made to a sentence: its kind and the words it removed."""

    kind: str
    removed: str


def compress(text: str, cuts: tuple[str, ...] = DEFAULT_CUTS, names: frozenset[str] = frozenset()) -> str:
    """``text`` with every safe cut of the kinds in ``cuts`` made (see the module docstring).

    Args:
        text: One sentence, as a brief would show it (dateline already stripped).
        cuts: Kinds of cut to try, from :data:`CUTS`.
        names: Names of the sentence's article (:func:`summarize.nlp.hygiene.names_in`),
            so that the hygiene check tells glued words as it does for the whole sentence.
    """
    return compress_with_cuts(text, cuts, names)[0]


def compress_with_cuts(text: str, cuts: tuple[str, ...] = DEFAULT_CUTS,
                       names: frozenset[str] = frozenset()) -> tuple[str, tuple[Cut, ...]]:
    """:func:`compress` and the cuts it made, in order."""
    _check(cuts)
    if hygiene.problem(text, names):  # only a whole sentence is compressed
        return text, ()
    made: list[Cut] = []
    for kind in CUTS:
        if kind not in cuts:
            continue
        for span in _SPANS[kind](text):
            shorter = _cut(text, span)
            if _allowed(text, span) and _still_whole(shorter, names):
                made.append(Cut(kind, text[span[0]:span[1]].strip()))
                text = shorter
                if kind in ("dateline", "connective"):
                    break  # one opening cut of a kind: the next opening is the sentence itself
    return text, tuple(made)


def _check(cuts: tuple[str, ...]) -> None:
    unknown = set(cuts) - set(CUTS)
    if unknown:
        raise InputError(f"unknown compression cut(s) {sorted(unknown)}; choose from {', '.join(CUTS)}")


def _dateline_spans(text: str):
    m = _DATELINE.match(text)
    return [(0, m.end())] if m and len(text[:m.end()].split()) <= 9 else []


def _connective_spans(text: str):
    m = _CONNECTIVE.match(text)
    return [(0, m.end())] if m else []


def _conversion_spans(text: str):
    spans = []
    for m in reversed(list(_PAREN.finditer(text))):  # from the end: earlier offsets stay valid
        if _CONVERSION.match(m.group().strip()) and _FIGURE_BEFORE.search(text[:m.start()]):
            spans.append((m.start(), m.end()))
    return spans


def _that_spans(text: str):
    return [(m.start("that"), m.end("that") + 1) for m in reversed(list(_SAY_THAT.finditer(text)))]


_SPANS = {"dateline": _dateline_spans, "connective": _connective_spans,
          "conversion": _conversion_spans, "that": _that_spans}


def _cut(text: str, span: tuple[int, int]) -> str:
    start, end = span
    shorter = text[:start] + text[end:]
    if start == 0:
        shorter = shorter.lstrip()
        return shorter[:1].upper() + shorter[1:]
    return shorter


def _allowed(text: str, span: tuple[int, int]) -> bool:
    """Each kind's pattern admits only furniture, a connective, a restated figure or a
    complementiser; what is left to check is that the span is not inside a quotation."""
    return not hygiene.quote_open(text[:span[0]])


def _still_whole(text: str, names: frozenset[str]) -> bool:
    return len(text.split()) >= MIN_WORDS and not hygiene.problem(text, names)


class Compressor:
    """Compresses the sentences of one story, each with its own article's names.

    A sentence that opens inside a quotation of several sentences ("“We are working … in
    Gaza. And we have very concrete ways in doing that. And I think …,” Blinken stated.")
    carries no quote marks of its own; its paragraph shows the quote open, and it is left
    whole: a quote is never reworded.
    """

    def __init__(self, evidence, cuts: tuple[str, ...] | None = None) -> None:
        self.cuts = DEFAULT_CUTS if cuts is None else tuple(cuts)
        _check(self.cuts)
        self._texts = {a.id: a.text for a in evidence.story.articles}
        self._names: dict[str, frozenset[str]] = {}
        self._done: dict[tuple[str, str, int], str] = {}

    def __call__(self, text: str, sentence) -> str:
        """``text`` (the shown form of ``sentence``, a :class:`~summarize.records.Sentence`)
        compressed."""
        if not self.cuts:
            return text
        key = (text, sentence.article_id, sentence.start)
        if key not in self._done:
            article = self._texts.get(sentence.article_id, "")
            if hygiene.quote_open(article[article.rfind("\n", 0, sentence.start) + 1:sentence.start]):
                self._done[key] = text
            else:
                if sentence.article_id not in self._names:
                    self._names[sentence.article_id] = hygiene.names_in(article or text)
                self._done[key] = compress(text, self.cuts, self._names[sentence.article_id])
        return self._done[key]
