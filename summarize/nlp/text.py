"""Small text helpers every stage shares: words, datelines, stems, numbers, names, hashes.

Three stages look for numbers and names, each with its own purpose, and each keeps the rule
it was tuned with (changing one changes stories or briefs, so they are unified only where
the output stays the same):

* :func:`entities` (evidence: coverage of a story's key entities): runs of capitalised
  words not at a sentence start ("Benjamin Netanyahu").
* :func:`numbers_in` and :func:`names_in` (briefing: verification of generated sentences):
  numbers normalised (no thousands separators, no leading zeros) and capitalised words with
  pairs of adjacent ones, so "Prime Minister Tayyip Erdogan" needs "Minister Tayyip" in a
  source.
* :func:`names_and_numbers` (events: lexical features of an article): capitalised runs that
  may hold particles ("Bank of England"), lower-cased, and figures marked with ``#``.
"""

from __future__ import annotations

import hashlib
import re

_WORDS_DATELINE = re.compile(
    r"^[A-Z][A-Z .,'-]{2,40}(?:,\s*\w{3,9}\.?\s+\d{1,2})?\s*(?:\([^)]{2,30}\))?\s*[-–—]\s+")
_TOKEN = re.compile(r"[A-Za-z][A-Za-z'’-]*|\d[\d,.]*")
_ENTITY = re.compile(r"(?<![.!?]\s)(?<!^)\b([A-Z][a-z]+(?:\s+[A-Z][a-z]+)*)")
_NUM = re.compile(r"\d[\d,.]*\d|\d")
_NAME = re.compile(r"(?<!^)(?<![.!?]\s)(?<![\w'’])([A-Z][\w'’.-]*[A-Za-z])(?!\d)")  # "AF447" is a code
_NAME_STOP = {"The", "A", "An", "In", "On", "At", "He", "She", "It", "They", "We", "I", "But",
              "And", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
_FEATURE_NAME = re.compile(
    r"\b[A-Z][\w'’-]*(?:\s+(?:of|the|de|del|al|bin|van|von|and)?\s*[A-Z][\w'’-]*)+"
)
_FEATURE_NUMBER = re.compile(r"\b\d[\d,.]*\d\b|\b\d\b")


def words(text: str) -> int:
    """The number of whitespace-separated words."""
    return len(text.split())


def strip_dateline(text: str) -> str:
    """``"ANKARA, Nov 6 (Reuters) - Blinken..."`` -> ``"Blinken..."``: datelines are page
    furniture inside a brief."""
    stripped = _WORDS_DATELINE.sub("", text, count=1)
    return stripped[:1].upper() + stripped[1:] if stripped != text else text


_STEMMER = None


def stems(text: str) -> list[str]:
    """Lower-cased Porter stems of the content words of ``text`` (stop words removed)."""
    global _STEMMER
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    if _STEMMER is None:
        from nltk.stem.porter import PorterStemmer

        _STEMMER = PorterStemmer()
    out = []
    for tok in _TOKEN.findall(text):
        low = tok.lower().replace("’", "'")
        if low in ENGLISH_STOP_WORDS or len(low) < 2:
            continue
        out.append(low if low[0].isdigit() else _STEMMER.stem(low))
    return out


def entities(text: str) -> set[str]:
    """Runs of capitalised words that do not start a sentence."""
    return {m.group(1) for m in _ENTITY.finditer(text)}


def _norm_number(token: str) -> str:
    return token.replace(",", "").rstrip(".").lstrip("0") or "0"


def numbers_in(text: str) -> set[str]:
    """The numbers of ``text``, normalised: ``"1,400"`` -> ``"1400"``, ``"07"`` -> ``"7"``."""
    return {_norm_number(t) for t in _NUM.findall(text)}


def names_in(text: str) -> set[str]:
    """Capitalised words not at a sentence start, and pairs of adjacent ones: a cheap proxy
    for named entities ("Prime Minister Tayyip Erdogan" needs "Minister Tayyip" in a source)."""
    found: set[str] = set()
    previous_end, previous = -2, ""
    for m in _NAME.finditer(text):
        word = m.group(1).replace(".", "").replace("’", "'")
        if word in _NAME_STOP:
            previous_end = -2
            continue
        found.add(word)
        if previous and text[previous_end:m.start()] == " ":
            found.add(f"{previous} {word}")
        previous_end, previous = m.end(), word
    return found


_NON_WORD = re.compile(r"[^\w'&]+")


def _normalised(text: str) -> str:
    """Lower case, no dots ("U.S." = "US"), straight apostrophes, words split by spaces and
    hyphens ("anti-Asian" holds the name "Asian")."""
    return " ".join(_NON_WORD.sub(" ", text.replace(".", "").replace("’", "'").lower()).split())


def missing_names(names, pool: str, *, possessive: bool = False) -> list[str]:
    """The ``names`` (sorted) that ``pool`` does not contain as whole words, in any case:
    "Paris" is not in "comparison", "Greece" is in "central greece" (Multi-News is lower
    cased); a possessive or plural in the pool ("Paris's", "the Smiths") still counts.
    With ``possessive``, a name's own possessive or plural is dropped before the search
    ("Blinken's" is supported by "Blinken", "Asian Americans" by "Asian American
    community"); a name of three letters or fewer keeps its "s" ("US" is not "U")."""
    flat = f" {_normalised(pool)} "
    missing = []
    for name in sorted(names):
        key = _normalised(name)
        if possessive:
            key = re.sub(r"'s?$", "", key)
            if len(key) > 3 and key.endswith("s") and not key.endswith("ss"):
                key = key[:-1]
        if key and re.search(rf" {re.escape(key)}(?:'s?|s'?|es)? ", flat) is None:
            missing.append(name)
    return missing


def names_and_numbers(text: str) -> list[str]:
    """Clustering features: lower-cased capitalised runs (particles allowed) and ``#`` figures."""
    names = [m.group().lower() for m in _FEATURE_NAME.finditer(text)]
    return names + ["#" + m.group().replace(",", "") for m in _FEATURE_NUMBER.finditer(text)]


def given_terms(terms: list[str]) -> list[str]:
    """A scikit-learn ``analyzer`` for documents already split into terms (such as
    :func:`names_and_numbers` computed once and reused): the terms as they are."""
    return terms


def content_hash(text: str) -> str:
    """The identity of an article's text for de-duplication: sha1 of its words, whitespace
    normalised (the same text re-wrapped is the same article)."""
    return hashlib.sha1(" ".join(text.split()).encode("utf-8")).hexdigest()


def content_id(text: str) -> str:
    """A stable id for text that came without one."""
    return "a-" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]
