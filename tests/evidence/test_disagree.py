import numpy as np

from summarize.briefing.attribute import disagreement_statement, update_statement
from summarize.evidence.disagree import (
    classify,
    consistent,
    find_conflicts,
    quantities,
    running_tally,
    subject_phrase,
    superseded,
)
from summarize.records import ScoredSentence, Sentence


def sent(text, article="a", index=0):
    return Sentence(article_id=article, index=index, start=0, end=len(text), text=text)


def q(text, published=""):
    [quantity] = quantities(sent(text), published)
    return quantity


def scored(text, article, voice=None):
    return ScoredSentence(sentence=sent(text, article), voice=voice or article, centrality=0, position=0,
                          coverage=0, salience=0)


def conflicts(texts, published=None, kinds=("real",)):
    """find_conflicts over one sentence per article "a", "b", ... that all report one claim."""
    ids = [chr(ord("a") + i) for i in range(len(texts))]
    story = [scored(t, i) for t, i in zip(texts, ids)]
    return find_conflicts(story, np.ones((len(ids), len(ids))), {i: i for i in ids},
                          published=dict(zip(ids, published or [""] * len(ids))), kinds=kinds)


def test_quantities_keep_unit_and_hedge_and_skip_years_and_times():
    qs = quantities(sent("In 2023, nearly 10,000 people died and 27,478 were killed by 5 pm on 12 December."))
    assert [(x.value, x.unit, x.hedge) for x in qs] == [(10000.0, "people", "nearly"), (27478.0, "death", "")]
    assert q("the death toll reached 10,022 Palestinians").unit == "palestinian"
    assert q("about 1.5 million displaced Palestinians").value == 1.5e6
    assert q("The death toll has reached 357.").unit == "death"  # a count named before its number


def test_not_figures_are_never_figures():
    for text in [
        "The storm moved several hundred kilometers (miles) inland.",
        "Officials met on Nov. 2 and again on the 5th.",
        "John Smith, 45, and a 21-year-old student were questioned.",
        "Call 555-123-4567 for the No. 2 seed and Covid-19 tests.",
        "The Senate voted 54-35 to cut emissions 50%-52%, between 20 and 30 people said.",
        "The first attack came at 8:50 a.m., the second at 9.47am.",
    ]:
        assert quantities(sent(text)) == [], text
    # a unit conversion in brackets is the same figure, not a second one
    assert [x.value for x in quantities(sent("It vanished 190 miles (306 km) off the coast."))] == [190.0]
    # money is its own unit and never meets a count
    dollars, people = q("The town donated $10,000 to the Red Cross."), q("The town sent 10,500 volunteers.")
    assert dollars.unit == "money:$" and classify(dollars, people) == "different_subject"


def test_approximations_and_rounding_are_consistent():
    assert consistent(q("nearly 10,000 people"), q("10,022 people"))
    assert consistent(q("more than 8,000 calls"), q("8,100 calls"))
    assert consistent(q("about 30 trucks"), q("28 trucks"))
    assert consistent(q("6.1 million voters"), q("6,132,000 voters"))
    assert not consistent(q("killed 1,400 people"), q("killed 1,200 people"))
    assert not consistent(q("100 trucks"), q("30 trucks"))
    assert not consistent(q("nearly 10,000 people"), q("12,000 people"))


def test_hurricane_speed_at_two_hours_is_not_a_disagreement():
    a = "At 5 a.m. the hurricane was moving west at 2 mph, the hurricane center said."
    b = "At 11 a.m. the hurricane was moving west at 8 mph, the hurricane center said."
    assert classify(q(a), q(b)) == "update"
    assert conflicts([a, b], ["2005-11-02", "2005-11-02"]) == []


def test_different_subjects_are_not_compared():
    a = "In Cambodia, 62 percent of children under five are stunted, the agency found."
    b = "In North Korea, 65 percent of children under five are stunted, the agency found."
    assert classify(q(a), q(b)) == "different_subject"
    assert conflicts([a, b]) == []
    # killed and made homeless are two counts of people
    killed = q("The earthquake killed about 200,000 people, officials estimate.")
    homeless = q("The earthquake made 250,000 people homeless, officials estimate.")
    assert classify(killed, homeless) == "different_subject"


def test_a_true_disagreement_is_still_found_and_stated():
    a = "Gunmen stormed the military hospital in Kabul on Wednesday, killing 38 people, the hospital said."
    b = "Gunmen stormed the military hospital in Kabul on Wednesday, killing 30 people, officials said."
    [c] = conflicts([a, b], ["2017-03-08", "2017-03-08"])
    assert (c.kind, c.a.value, c.b.value, c.a.when) == ("number", 38.0, 30.0, "2017-03-08")
    assert subject_phrase(c) == "the death toll in Kabul"
    text = disagreement_statement(c, {"a": 1, "b": 2}, {1: "NBC News", 2: "Reuters"})
    assert text == "Outlets differ on the death toll in Kabul on March 8: NBC News gives 38, Reuters 30."
    # the same voice (a syndicated copy) never disagrees with itself
    story = [scored(a, "a"), scored(b, "b")]
    assert find_conflicts(story, np.ones((2, 2)), {"a": "w", "b": "w"}) == []


def test_a_figure_changed_across_days_is_an_update_with_the_latest_figure():
    a = "Officials said the storm killed 12 people in Honduras."
    b = "Officials said the storm killed 20 people in Honduras."
    assert conflicts([b, a], ["2005-11-03", "2005-11-02"]) == []  # not a disagreement
    [c] = conflicts([b, a], ["2005-11-03", "2005-11-02"], kinds=("update",))
    assert c.kind == "update"
    assert (c.a.value, c.a.when, c.b.value, c.b.when) == (12.0, "2005-11-02", 20.0, "2005-11-03")
    assert update_statement(c) == "The death toll in Honduras rose from 12 on Nov. 2 to 20 on Nov. 3."
    # wording that reports a change makes an update even on one day
    revised = q("Officials lowered the death toll to about 6,100 on Monday.", "2005-11-02")
    first = q("Officials put the death toll at 7,000 on Monday.", "2005-11-02")
    assert classify(revised, first) == "update"


def test_relative_days_decide_whether_two_reports_are_about_one_day():
    # published a day apart, both about the vote on Thursday: one time, a real difference
    a = q("The Senate passed the measure on Thursday with 68 votes, the clerk said.", "2021-06-10")
    b = q("The Senate passed the measure on Thursday with 61 votes, the clerk said.", "2021-06-11")
    assert a.when == b.when == "2021-06-10"
    assert classify(a, b) == "real"
    # the same words published a week apart are about two different Thursdays
    c = q("The Senate passed the measure on Thursday with 61 votes, the clerk said.", "2021-06-18")
    assert classify(a, c) == "update"


def test_unrelated_sentences_are_not_compared():
    a = scored("The ministry said 10,022 Palestinians have died.", "a")
    b = scored("The attack killed 1,400 people.", "b")
    assert find_conflicts([a, b], np.array([[1, 0.3], [0.3, 1]]), {"a": "a", "b": "b"}) == []


def test_only_running_counts_of_people_are_stated_as_changed():
    tally = conflicts(["Officials said the storm killed 20 people in Honduras.",
                       "Officials said the storm killed 12 people in Honduras."],
                      ["2005-11-03", "2005-11-02"], kinds=("update",))
    assert [running_tally(c) for c in tally] == [True]
    # two aftershocks on two days are two events more often than one figure revised
    depth = conflicts(["The aftershock struck 28 kilometers south of Pichilemu, the survey said.",
                       "The aftershock struck 32 kilometers south of Pichilemu, the survey said."],
                      ["2010-05-21", "2010-11-28"], kinds=("update",))
    assert len(depth) == 1 and not running_tally(depth[0])
    assert subject_phrase(depth[0]) == "the distance"
    # a count that jumps far between days is more often another count
    jump = conflicts(["So far rescuers have recovered the remains of 24 people in Surfside.",
                      "Officials said 121 people are still missing in Surfside."],
                     ["2021-07-05", "2021-06-25"], kinds=("update",))
    assert not any(running_tally(c) for c in jump)


def test_the_old_value_of_a_stated_change_is_an_update_not_a_dispute():
    # labelled pair p067 of benchmarks/disagree_pairs.jsonl, shortened
    fell = "The unemployment rate fell to 5.8% from 6.1%, which was better than the estimate of 5.9%."
    stated = "The Bureau of Labor Statistics said Friday that the unemployment rate had fallen to 5.8%."
    old = next(x for x in quantities(sent(fell), "2021-06-04") if x.value == 6.1)
    new = q(stated, "2021-06-04")
    assert new.value == 5.8
    assert superseded(old) and not superseded(new)
    assert classify(old, new) == "update"
    # "from" without a change is no old value: the $8 billion project is the same project
    walked = q("The decision to walk away from the $8 billion project was confirmed Wednesday.")
    assert not superseded(walked)
