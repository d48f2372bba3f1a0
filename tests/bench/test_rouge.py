"""The ROUGE wrapper against hand-computed values and against rouge-score itself."""

from __future__ import annotations

import pytest
from rouge_score import rouge_scorer

from summarize.bench.rouge import (
    RougeOptions,
    RougeScorer,
    Score,
    bootstrap,
    truncate_sentences,
)
from summarize.errors import InputError


def one_line(text: str) -> list[str]:
    """A splitter that never splits: the whole text is one sentence."""
    return [text]


@pytest.fixture(scope="module")
def scorer() -> RougeScorer:
    return RougeScorer()


def test_unigram_bigram_and_lcs_by_hand(scorer):
    # system: the cat sat on the mat     -> the x2, cat, sat, on, mat (6 unigrams)
    # ref:    the cat lay on the mat     -> the x2, cat, lay, on, mat (6 unigrams)
    # unigram overlap: the 2 + cat 1 + on 1 + mat 1 = 5      -> P = R = F = 5/6
    # bigrams (5 each): shared the-cat, on-the, the-mat = 3   -> P = R = F = 3/5
    # LCS: the cat . on the mat = 5                           -> P = R = F = 5/6
    s = scorer.score("The cat sat on the mat.", ["The cat lay on the mat."], "c1")
    assert s.mean["rouge1"] == pytest.approx(Score(5 / 6, 5 / 6, 5 / 6))
    assert s.mean["rouge2"] == pytest.approx(Score(3 / 5, 3 / 5, 3 / 5))
    assert s.mean["rougeL"] == pytest.approx(Score(5 / 6, 5 / 6, 5 / 6))
    assert s.system_words == 6


def test_precision_and_recall_differ_when_lengths_differ(scorer):
    # system: a b c x y z (6 tokens), ref: a b c d (4 tokens); overlap a, b, c = 3
    # P = 3/6, R = 3/4, F = 2PR/(P+R) = 0.6
    s = scorer.score("a b c x y z", ["a b c d"])
    assert s.mean["rouge1"].precision == pytest.approx(0.5)
    assert s.mean["rouge1"].recall == pytest.approx(0.75)
    assert s.mean["rouge1"].f1 == pytest.approx(0.6)


def test_stemming_is_on_by_default_and_can_be_turned_off():
    # Porter: dogs -> dog, running -> run, runs -> run; "dog" (3 chars) is not stemmed.
    stemmed = RougeScorer().score("dogs running", ["dog runs"])
    plain = RougeScorer(RougeOptions(stemming=False)).score("dogs running", ["dog runs"])
    assert stemmed.mean["rouge1"].f1 == pytest.approx(1.0)
    assert plain.mean["rouge1"].f1 == pytest.approx(0.0)


def test_single_reference_matches_rouge_score_itself(scorer):
    system = "Officials said the storm killed 12 people. Power was restored on Monday."
    ref = "The storm killed twelve people, officials said. Power returned Monday."
    expected = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    golden = expected.score(ref, system)
    ours = scorer.score(system, [ref])
    for metric, score in golden.items():
        assert ours.mean[metric] == pytest.approx(Score(*score))


def test_multi_reference_mean_max_and_pooled(scorer):
    # system "a b c d"; ref 1 "a b c d": F = 1; ref 2 "a b x y": overlap 2 of 4, F = 0.5
    s = scorer.score("a b c d", ["a b c d", "a b x y"])
    assert s.mean["rouge1"].f1 == pytest.approx(0.75)
    assert s.max["rouge1"].f1 == pytest.approx(1.0)
    assert len(s.per_reference) == 2
    # pooled (ROUGE-1.5.5 -f A): hits 4 + 2 over counts 4 + 4 -> 0.75
    assert s.pooled["rouge1"].recall == pytest.approx(0.75)


def test_pooled_weights_long_references_more(scorer):
    # system "a b"; ref 1 "a b" (R = 1); ref 2 "a c d e f g" (hits 1 of 6, R = 1/6)
    # mean R = (1 + 1/6) / 2 = 7/12; pooled R = (2 + 1) / (2 + 6) = 3/8,
    # pooled P = 3 hits / (2 system unigrams x 2 references) = 3/4
    s = scorer.score("a b", ["a b", "a c d e f g"])
    assert s.mean["rouge1"].recall == pytest.approx(7 / 12)
    assert s.pooled["rouge1"].recall == pytest.approx(3 / 8)
    assert s.pooled["rouge1"].precision == pytest.approx(3 / 4)


def test_truncate_sentences_keeps_units_and_cuts_the_last():
    assert truncate_sentences(["One two three.", "Four five six."], 4) == ["One two three.", "Four"]
    assert truncate_sentences(["One two."], None) == ["One two."]
    assert truncate_sentences(["One two.", "Three."], 2) == ["One two."]


def test_word_limit_truncates_system_and_references():
    # -l 3: system "a b c x y z" -> "a b c", reference "a b c d" -> "a b c": F = 1
    full = RougeScorer(splitter=one_line).score("a b c x y z", ["a b c d"])
    cut = RougeScorer(RougeOptions(word_limit=3), splitter=one_line).score("a b c x y z", ["a b c d"])
    assert full.mean["rouge1"].f1 == pytest.approx(0.6)
    assert cut.mean["rouge1"].f1 == pytest.approx(1.0)
    assert cut.system_words == 3


def test_lsum_uses_sentence_splitting():
    # system: "the cat sat | the dog ran", reference: "the dog ran | the cat sat".
    # One sequence each: LCS = 3 of 6 tokens ("the dog ran") -> rougeL = 0.5.
    # Sentence units: each reference sentence's union LCS covers all 3 of its tokens
    # -> 6 hits of 6 -> rougeLsum = 1.0. Without splitting rougeLsum falls back to 0.5.
    system, ref = "The cat sat. The dog ran.", "The dog ran. The cat sat."
    split = RougeScorer().score(system, [ref])
    unsplit = RougeScorer(splitter=one_line).score(system, [ref])
    assert split.mean["rougeL"].f1 == pytest.approx(0.5)
    assert split.mean["rougeLsum"].f1 == pytest.approx(1.0)
    assert unsplit.mean["rougeLsum"].f1 == pytest.approx(0.5)


def test_empty_system_scores_zero_and_missing_references_raise(scorer):
    assert scorer.score("", ["a b c"]).mean["rouge1"] == Score(0.0, 0.0, 0.0)
    with pytest.raises(InputError, match="'c9'"):
        scorer.score("a b", [], "c9")
    with pytest.raises(InputError, match="reference #2"):
        scorer.score("a b", ["a b", "  "], "c9")


def test_bootstrap_is_seeded():
    values = [0.1, 0.5, 0.2, 0.9, 0.4, 0.3, 0.7]
    a = bootstrap(values, seed=1)
    assert a == bootstrap(values, seed=1)
    assert a != bootstrap(values, seed=2)
    assert a.mid == pytest.approx(sum(values) / len(values))
    assert a.low < a.mid < a.high
    flat = bootstrap([0.3, 0.3, 0.3])
    assert (flat.low, flat.mid, flat.high) == pytest.approx((0.3, 0.3, 0.3))


def test_aggregate_reports_every_metric_with_intervals(scorer):
    scores = [scorer.score("a b c d", ["a b c d"], "x"), scorer.score("a b", ["c d"], "y")]
    corpus = scorer.aggregate(scores)
    assert corpus.n_clusters == 2
    r1 = corpus.get("rouge1")
    assert r1.mid == pytest.approx(0.5)
    assert 0.0 <= r1.low <= r1.mid <= r1.high <= 1.0
    assert corpus.get("rouge2", "max", "recall").mid == pytest.approx(0.5)
    again = RougeScorer(RougeOptions(seed=0)).aggregate(scores)
    assert again.intervals == corpus.intervals


def test_options_validate_and_name_their_perl_flags():
    assert RougeOptions().rouge155_flags() == "-n 2 -m -c 95 -r 1000 -p 0.5"
    assert "-l 100" in RougeOptions(word_limit=100).rouge155_flags()
    with pytest.raises(InputError, match="rouge7x"):
        RougeOptions(metrics=("rouge7x",))
    with pytest.raises(InputError):
        RougeOptions(word_limit=0)
    assert RougeOptions().to_dict()["rouge_score_version"] == "0.1.2"
