from datetime import date

from summarize.evidence.timeline import (
    When,
    event_time,
    mentions,
    opening_date,
    parse_published,
)

PUB = date(2005, 11, 3)  # a Thursday


def days(text, published=PUB):
    return [(w.iso(), w.precision) for w in mentions(text, published)]


def test_weekdays_resolve_to_the_latest_such_day_on_or_before_publication():
    assert days("The storm hit on Monday.") == [("2005-10-31", "day")]
    assert days("Officials met on Thursday.") == [("2005-11-03", "day")]
    assert days("Officials met last Thursday.") == [("2005-10-27", "day")]


def test_relative_words_and_calendar_dates():
    assert days("Yesterday the toll rose; today it fell.") == [("2005-11-02", "day"), ("2005-11-03", "day")]
    assert days("Last week the river crested.") == [("2005-10-27", "week")]
    assert days("The count on Nov. 2 and on 30 October.") == [("2005-11-02", "day"), ("2005-10-30", "day")]
    # a date later than a week after publication is last year's
    assert days("Since Dec. 26 the toll has climbed.") == [("2004-12-26", "day")]
    assert days("It was signed on May 3, 2021.") == [("2021-05-03", "day")]
    # "may" as a verb is no month
    assert days("Officials may 5 times revise it.") == []


def test_nothing_is_guessed_without_a_publication_date():
    assert days("The storm hit on Monday.", None) == []
    assert event_time("The storm hit on Monday.", "") is None
    assert event_time("The storm hit on Nov. 2, 2005.", "").iso() == "2005-11-02"


def test_event_time_prefers_the_expression_nearest_the_figure_and_falls_back_to_publication():
    text = "On Monday 12 people were rescued; on Wednesday 30 more were found."
    assert event_time(text, "2005-11-03", near=text.index("30")).iso() == "2005-11-02"
    assert event_time(text, "2005-11-03", near=text.index("12")).iso() == "2005-10-31"
    assert event_time("The toll stands at 30.", "2005-11-03T10:00:00Z").iso() == "2005-11-03"
    assert parse_published("not a date") is None


def test_week_precision_overlaps_days_of_that_week_and_labels_read_like_news():
    week = When(date(2005, 10, 27), "week")
    assert week.same_time(When(date(2005, 10, 31)))
    assert not When(date(2005, 10, 31)).same_time(When(date(2005, 11, 1)))
    assert When(date(2005, 11, 2)).label() == "Nov. 2"
    assert When(date(2005, 3, 8)).label() == "March 8"


def test_an_article_without_a_date_gives_the_one_in_its_opening_lines():
    assert opening_date("New earthquake hits Chile\n\nFriday, May 21, 2010\n\nA strong earthquake hit.") == "2010-05-21"
    assert opening_date("2005/01/08 Tsunami aid donations deductible") == "2005-01-08"
    assert opening_date("On Monday 5 people were hurt.") == ""  # no year, no date
