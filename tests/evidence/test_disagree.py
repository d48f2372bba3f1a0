import numpy as np

from summarize.evidence.disagree import consistent, find_conflicts, quantities
from summarize.records import ScoredSentence, Sentence


def sent(text, article="a", index=0):
    return Sentence(article_id=article, index=index, start=0, end=len(text), text=text)


def q(text):
    [quantity] = quantities(sent(text))
    return quantity


def scored(text, article, voice=None):
    return ScoredSentence(sentence=sent(text, article), voice=voice or article, centrality=0, position=0,
                          coverage=0, salience=0)


def test_quantities_keep_unit_and_hedge_and_skip_years_and_times():
    qs = quantities(sent("In 2023, nearly 10,000 people died and 27,478 were killed by 5 pm on 12 December."))
    assert [(x.value, x.unit, x.hedge) for x in qs] == [(10000.0, "people", "nearly"), (27478.0, "killed", "")]
    assert q("the death toll reached 10,022 Palestinians").unit == "palestinian"
    assert q("about 1.5 million displaced Palestinians").value == 1.5e6


def test_approximations_are_consistent():
    assert consistent(q("nearly 10,000 people"), q("10,022 people"))
    assert consistent(q("more than 8,000 calls"), q("8,100 calls"))
    assert consistent(q("about 30 trucks"), q("28 trucks"))


def test_different_figures_are_not():
    assert not consistent(q("killed 1,400 people"), q("killed 1,200 people"))
    assert not consistent(q("100 trucks"), q("30 trucks"))
    assert not consistent(q("nearly 10,000 people"), q("12,000 people"))


def test_conflict_found_between_voices_not_within_one():
    a = scored("Hamas attacks on Israel killed 1,400 people on October 7.", "a")
    b = scored("Hamas attacks on Israel killed 1,200 people on October 7.", "b")
    c = scored("Hamas attacks on Israel killed nearly 1,400 people on October 7.", "c")
    sim = np.ones((3, 3))
    voices = {"a": "a", "b": "b", "c": "c"}
    conflicts = find_conflicts([a, b, c], sim, voices)
    pairs = {(x.a.sentence.article_id, x.b.sentence.article_id) for x in conflicts}
    assert pairs == {("a", "b"), ("b", "c")}
    assert all(x.topic == "people" for x in conflicts)
    # the same voice (a syndicated copy) never disagrees with itself
    assert find_conflicts([a, b], sim, {"a": "w", "b": "w"}) == []


def test_unrelated_sentences_are_not_compared():
    a = scored("The ministry said 10,022 Palestinians have died.", "a")
    b = scored("The attack killed 1,400 people.", "b")
    assert find_conflicts([a, b], np.array([[1, 0.3], [0.3, 1]]), {"a": "a", "b": "b"}) == []
