"""Baselines: budgets, Lead-k order, and sumy running without NLTK data."""

from __future__ import annotations

import pytest

from summarize.bench.baselines import (
    BASELINES,
    Lead,
    OfflineTokenizer,
    SumySystem,
    fit_budget,
    word_count,
)
from summarize.bench.datasets import EvalDoc

DOCS = (
    EvalDoc("a", "Storm hits the coast. Power is out for thousands. Schools are closed."),
    EvalDoc("b", "A storm struck the coast on Friday. Thousands lost power. Roads flooded."),
    EvalDoc("c", "The coast was hit by a storm. Crews work to restore power. Rain continues."),
)


def test_fit_budget_skips_what_does_not_fit_and_duplicates():
    candidates = ["one two three", "four five six seven", "eight", "One  two three", "nine ten"]
    # 3 words, then 4 would make 7 > 5: skipped; "eight" fits (4); the duplicate of the
    # first is dropped; "nine ten" would make 6 > 5: skipped.
    assert fit_budget(candidates, 5) == [0, 2]
    assert fit_budget(["a very long first sentence"], 2) == [0]  # kept alone, caller cuts
    assert fit_budget([], 10) == []


def test_lead_round_robin_takes_every_lead_first():
    summary = Lead(3)(DOCS, 20)
    assert summary.startswith(
        "Storm hits the coast. A storm struck the coast on Friday. The coast was hit by a storm.")
    assert word_count(summary) <= 20


def test_lead_first_doc_and_budget_cut():
    assert Lead(2, order="first_doc")(DOCS, 100) == "Storm hits the coast. Power is out for thousands."
    # Leads of 4+ words overflow a 3-word budget and are skipped; a later 3-word one fits.
    assert Lead(3)(DOCS, 3) == "Thousands lost power."
    assert Lead(3)(DOCS, 1) == "Storm"  # nothing fits: the first lead, cut
    with pytest.raises(ValueError):
        Lead(3, order="sideways")


def test_offline_tokenizer_never_loads_nltk_data(monkeypatch):
    import nltk.data

    def refuse(*args, **kwargs):
        raise AssertionError("nltk.data.load must not be called offline")

    monkeypatch.setattr(nltk.data, "load", refuse)
    tokenizer = OfflineTokenizer()
    assert tokenizer.to_sentences("Gen. Smith left. He didn't return.") == (
        "Gen. Smith left.", "He didn't return.")
    assert tokenizer.to_words("He didn't return, 3 times.") == (
        "He", "did", "n't", "return", "times")  # sumy's filter keeps "n't", drops "3" and ","
    for name in ("lexrank", "textrank", "lsa", "luhn"):
        summary = SumySystem(name)(DOCS, 15)
        assert summary and word_count(summary) <= 15


@pytest.mark.parametrize("name", sorted(BASELINES))
def test_every_baseline_respects_the_budget(name):
    summary = BASELINES[name](DOCS, 12)
    assert summary.strip()
    assert word_count(summary) <= 12


def test_sumy_keeps_document_order_and_unknown_algorithm_fails():
    summary = SumySystem("lexrank")(DOCS, 1000)  # everything fits: all unique sentences
    assert summary.split(". ")[0] == "Storm hits the coast"
    with pytest.raises(ValueError, match="unknown sumy algorithm"):
        SumySystem("kl-divergence")


def test_lsa_term_rows_do_not_depend_on_the_hash_seed():
    from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence

    tokenizer = OfflineTokenizer()
    document = ObjectDocumentModel(
        [Paragraph([Sentence(s, tokenizer) for s in tokenizer.to_sentences(d.text)])
         for d in DOCS])
    terms = SumySystem("lsa")._load()._create_dictionary(document)
    assert list(terms) == sorted(terms) and list(terms.values()) == list(range(len(terms)))
