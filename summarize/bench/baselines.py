"""Baseline summarizers for the ROUGE benchmark: Lead-k and four sumy algorithms.

Every baseline is a :class:`System`: called with a cluster's documents and a word budget,
it returns the summary text. Sentences come from :func:`summarize.nlp.segment.split` (Punkt,
offline) and are picked in the system's priority order while they fit the budget
(:func:`fit_budget`), so every system is held to the same length.

sumy (https://github.com/miso-belica/sumy) normally splits text with
``nltk.tokenize.PunktTokenizer``, which loads NLTK data that ``nltk.download()`` cannot
fetch offline. :class:`OfflineTokenizer` replaces it: sentences from our Punkt splitter,
words from NLTK's ``NLTKWordTokenizer`` (the Treebank-style tokenizer behind
``nltk.word_tokenize``; it needs no data files).

The algorithms: LexRank (Erkan & Radev, 2004), TextRank (Mihalcea & Tarau, 2004), LSA
(Steinberger & Jezek, 2004) and Luhn (1958), with sumy's English stop words and
Snowball stemmer, as its own command line uses them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from summarize.bench.datasets import EvalDoc
from summarize.errors import ResourceMissingError


class System(Protocol):
    """A summarizer under benchmark: documents and a word budget in, summary text out."""

    def __call__(self, docs: Sequence[EvalDoc], words: int) -> str: ...


def word_count(text: str) -> int:
    """Whitespace words, the unit of ROUGE-1.5.5 ``-l`` and of every budget here."""
    return len(text.split())


def fit_budget(candidates: Sequence[str], words: int) -> list[int]:
    """Indices of the candidates kept, in priority order, within ``words`` words.

    Candidates are taken in order; one that would overflow the budget is skipped and
    shorter later ones may still fit. Exact duplicates (syndicated copy) are kept once.
    If not even the first candidate fits, it is kept alone (the caller truncates it),
    so that a system never returns an empty summary because of a long first sentence.
    """
    kept: list[int] = []
    used = 0
    seen: set[str] = set()
    for i, sentence in enumerate(candidates):
        key = " ".join(sentence.lower().split())
        n = word_count(sentence)
        if not n or key in seen:
            continue
        if used + n <= words:
            kept.append(i)
            seen.add(key)
            used += n
        if used >= words:
            break
    if not kept and candidates:
        first = next((i for i, s in enumerate(candidates) if word_count(s)), None)
        kept = [] if first is None else [first]
    return kept


def _join(sentences: Sequence[str], words: int) -> str:
    text = " ".join(" ".join(s.split()) for s in sentences)
    return " ".join(text.split()[:words])


def _split(text: str) -> list[str]:
    from summarize.nlp.segment import split

    return split(text)


class Lead:
    """Lead-k: the first ``k`` sentences of each document, taken round robin.

    Round robin (first sentence of every document, then every second sentence, ...)
    rather than the first document alone: with a budget that cannot hold ``k`` sentences
    of every document, the leads of all outlets are kept before any second sentence, the
    multi-document generalisation of the single-document lead. ``order="first_doc"``
    gives the DUC baseline instead: the first document's sentences only (DUC's first
    document is the most recent; here it is the first in the cluster).
    """

    def __init__(self, k: int = 3, order: str = "round_robin") -> None:
        if order not in {"round_robin", "first_doc"}:
            raise ValueError(f"order must be 'round_robin' or 'first_doc', not {order!r}")
        self.k, self.order = k, order

    def __call__(self, docs: Sequence[EvalDoc], words: int) -> str:
        leads = [_split(d.text)[: self.k] for d in docs]
        if self.order == "first_doc":
            candidates = leads[0] if leads else []
        else:
            candidates = [lead[i] for i in range(self.k) for lead in leads if i < len(lead)]
        return _join([candidates[i] for i in fit_budget(candidates, words)], words)


class OfflineTokenizer:
    """A sumy tokenizer that needs no NLTK data: our Punkt splitter, NLTK word tokens."""

    def __init__(self, language: str = "english") -> None:
        from nltk.tokenize import NLTKWordTokenizer
        from sumy.nlp.tokenizers import Tokenizer

        self._language = language
        self._words = NLTKWordTokenizer()
        self._is_word = Tokenizer._is_word  # sumy's filter: alphabetic tokens only

    @property
    def language(self) -> str:
        return self._language

    def to_sentences(self, paragraph: str) -> tuple[str, ...]:
        return tuple(s.strip() for s in _split(paragraph))

    def to_words(self, sentence: str) -> tuple[str, ...]:
        return tuple(w for w in self._words.tokenize(sentence) if self._is_word(w))


_SUMY = {
    "lexrank": ("sumy.summarizers.lex_rank", "LexRankSummarizer"),
    "textrank": ("sumy.summarizers.text_rank", "TextRankSummarizer"),
    "lsa": ("sumy.summarizers.lsa", "LsaSummarizer"),
    "luhn": ("sumy.summarizers.luhn", "LuhnSummarizer"),
}


def _sorted_dictionary(lsa_class: type) -> type:
    """sumy's LSA with its term rows in sorted order, so that runs are reproducible.

    sumy numbers the terms in ``frozenset`` order, which changes with ``PYTHONHASHSEED``;
    the SVD's round-off changes with the row order and flips near-ties between sentences.
    """

    class SortedLsaSummarizer(lsa_class):
        def _create_dictionary(self, document):
            terms = super()._create_dictionary(document)
            return {term: i for i, term in enumerate(sorted(terms))}

    return SortedLsaSummarizer


class SumySystem:
    """A sumy summarizer over all documents of a cluster (one paragraph per document).

    sumy ranks every sentence; instead of a sentence count it is given a callable
    ``sentences_count`` that keeps the best-rated sentences fitting the word budget.
    The summary lists them in document order, as sumy does.
    """

    def __init__(self, algorithm: str, language: str = "english") -> None:
        if algorithm not in _SUMY:
            raise ValueError(f"unknown sumy algorithm {algorithm!r}; use one of {sorted(_SUMY)}")
        self.algorithm, self.language = algorithm, language
        self._summarizer: Callable | None = None

    def _load(self) -> Callable:
        if self._summarizer is None:
            try:
                import importlib

                from sumy.nlp.stemmers import Stemmer
                from sumy.utils import get_stop_words
            except ImportError as exc:
                raise ResourceMissingError(
                    f"baseline {self.algorithm!r} needs sumy: pip install 'sumy>=0.11'"
                ) from exc
            module, name = _SUMY[self.algorithm]
            cls = getattr(importlib.import_module(module), name)
            if self.algorithm == "lsa":
                cls = _sorted_dictionary(cls)
            summarizer = cls(Stemmer(self.language))
            summarizer.stop_words = get_stop_words(self.language)
            self._summarizer = summarizer
        return self._summarizer

    def __call__(self, docs: Sequence[EvalDoc], words: int) -> str:
        from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence

        tokenizer = OfflineTokenizer(self.language)
        paragraphs = [
            Paragraph([Sentence(s, tokenizer) for s in tokenizer.to_sentences(d.text)])
            for d in docs
        ]
        document = ObjectDocumentModel(paragraphs)

        def budget(infos):  # infos arrive best-rated first
            return [infos[i] for i in fit_budget([str(x.sentence) for x in infos], words)]

        import numpy as np

        # LexRank's power iteration divides by a zero norm on tiny clusters (NaN ranks,
        # sumy's behaviour); keep the run quiet, the ranking stays deterministic.
        with np.errstate(invalid="ignore", divide="ignore"):
            picked = self._load()(document, budget)
        return _join([str(s) for s in picked], words)


BASELINES: dict[str, System] = {
    "lead3": Lead(3),
    "lead3_first_doc": Lead(3, order="first_doc"),
    "lexrank": SumySystem("lexrank"),
    "textrank": SumySystem("textrank"),
    "lsa": SumySystem("lsa"),
    "luhn": SumySystem("luhn"),
}
"""The built-in baselines by name; registered under kind ``"baselines"``, where
:func:`summarize.bench.runner.systems` finds them beside our own systems."""


def register(registry) -> None:
    """Built-in plugin hook."""
    from summarize.registry import BASELINES as KIND

    for name, system in BASELINES.items():
        registry.register(KIND, name, system)
