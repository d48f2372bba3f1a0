"""Sentence hygiene: broken sentences are told apart from whole ones, real words are not split."""

from __future__ import annotations

import pytest
from conftest import SEEDS

from summarize.nlp import hygiene

SEED_004 = (SEEDS / "004_ebdcb07ac4449184.txt").read_text(encoding="utf-8")
SEED_001 = (SEEDS / "001_ed83338f0cb7f41e.txt").read_text(encoding="utf-8")


def test_the_glued_name_of_seed_004_is_found_by_the_article_itself():
    names = hygiene.names_in(SEED_004)
    assert "Blinken" in names and "Riyadh" in names
    line = next(line for line in SEED_004.splitlines() if "Blinkenstressed" in line)
    assert hygiene.glued_words(line, names) == ["Blinkenstressed"]
    assert hygiene.problem(line, names)  # glued, and its quotes do not pair up either
    assert hygiene.glued_words("Antony Blinken stressed the importance of aid.", names) == []


@pytest.mark.parametrize("text", [
    "McDonald said the iPhone and JavaScript were Blinken's idea.",
    "Johnson flew to Washington and then to Fordham on Monday.",
    "Officials in Riyadh said the Obamacare rules and the Trumpworld crowd were unchanged.",
    "He said “no.”",
    "“We will not stop,” she said, “until every hostage is home.”",
    "2021 was the year the talks began.",
    "iPhone sales rose in the third quarter.",
    "ANKARA, Nov 6 (Reuters) - U.S. Secretary of State Antony Blinken concluded his trip.",
    "Is it over? It is, he said.",
    "( cnn ) the use of benzodiazepines is on the rise, new research says.",  # lower-cased upstream
    'Tillerson said, " i think the status of president assad will be decided by the syrian people. "',
])
def test_whole_sentences_pass(text):
    names = hygiene.names_in(text + " McDonald Johnson Washington Fordham Riyadh Obama Trump Blinken")
    assert hygiene.problem(text, names) == ""


@pytest.mark.parametrize(("text", "reason"), [
    ("We are working very aggressively to bring more humanitarian aid to Gaza.”", "unbalanced quotes"),
    ("“We know the great concern here about the toll on Palestinians.", "unbalanced quotes"),
    ('"We know there are thousands of victims here.', "unbalanced quotes"),
    ("” every single day.", "starts with a closing quote"),
    ("a concern that we share and share in we work every single day.", "starts in lower case"),
    ("“and then the talks ended,” he said.", "starts in lower case"),
    ("( the car is said to be from qatar, and its drivers were linked to the royal family. ) and so on.",
     "starts in lower case"),
    ("The secretary left Ankara for Tokyo and", "no final punctuation"),
    ("Blinken tried, saying: “a concern that we share and share in we work.” every single day.",
     "a quote cut off"),
])
def test_broken_sentences_are_named(text, reason):
    assert hygiene.problem(text).startswith(reason)


def test_the_spliced_quote_of_seed_001_is_caught_after_segmenting():
    from summarize.nlp.segment import split_spans

    line = next(line for line in SEED_001.splitlines() if "share in we work" in line)
    pieces = [line[a:b] for a, b in split_spans(line)]
    spliced = [p for p in pieces if "we work" in p or "every single day" in p or p.endswith("Gaza.”")]
    assert spliced and all(hygiene.problem(p) for p in spliced)


@pytest.mark.parametrize(("text", "reason"), [
    # the last sentence of the seed brief of issue 14: the second half of a quote
    ("“And to ensure that people can continue to come out of Gaza.”", "a quote that carries on"),
    ("“But we will keep going until it is done.”", "a quote that carries on"),
    ("Another objective: to ease regional tensions.", "a label and an infinitive"),
    ("Biden and his team...", "cut off with an ellipsis"),
    ("The Republican proposal also…", "cut off with an ellipsis"),
    ("The connections of links vs.", "ends at an abbreviation"),
    ("Image copyright getty images image caption t. Rex was a fierce carnivore.", "page furniture"),
    ("Photo by ethan miller/getty images.", "page furniture"),
    ("See best photos here.", "page furniture"),
    ("Click here for the update.", "page furniture"),
    # Multi-News: a wire photo's caption, a byline run into the text, a French source
    ("File - in this jan. 24, 2014 file photo, donald trump speaks in des moines, iowa.", "page furniture"),
    ("By amanda warford action news is learning more about a columbia county family.", "page furniture"),
    ("By Jane Doe CNN reports that the talks have ended.", "page furniture"),
    ("Sauf que l ' homme qui pose à côté de justin trudeau n ' est pas n ' importe quel électeur.",
     "not English"),
    ("Die Regierung hat am Montag die neuen Regeln für den Verkehr beschlossen.", "not English"),
])
def test_fragments_that_read_whole_are_named(text, reason):
    assert hygiene.problem(text).startswith(reason)


@pytest.mark.parametrize("text", [
    "“To be clear, we will act.”",  # an opening aside, then a whole quoted sentence
    "“We will not stop until every hostage is home,” she said.",
    "The goal is: to win the seat.",  # a verb before the colon: a clause, not a label
    "He had one aim: to win.",
    "He said no.",
    "She lives on Main St.",
    "He moved to the U.S.",
    "The photo by Reuters showed the crowd.",
    "“I was sure … he said nothing,” she recalled.",
    "By late Wednesday night, the account had been suspended.",
    "By a vote of 168 to 55, with six abstentions, the bishops went forward with the plan.",
    "By Tuesday, 37.3% of U.S. adults were fully vaccinated.",
    "Le Monde said that the vote was a blow for Macron and his party.",
    "The de la Cruz family said the plan was good for the people of the city.",
    "In this photo, the mayor is seen with the crew.",
])
def test_whole_sentences_with_those_shapes_pass(text):
    assert hygiene.problem(text) == ""


def test_a_sentence_inside_a_quotation_of_several_sentences_is_told_by_its_paragraph():
    text = ('Blinken spoke in Ankara.\n"We are working on aid in Gaza. And we have very concrete ways '
            'in doing that. And I think it will expand," Blinken stated. He then left.\n'
            '“One more. And a second one.” She agreed.')
    inside = ["And we have very concrete ways", "And I think it will expand", "And a second one"]
    outside = ["Blinken spoke", '"We are working', "He then left", "“One more", "She agreed"]
    assert all(hygiene.inside_quotation(text, text.index(s)) for s in inside)
    assert not any(hygiene.inside_quotation(text, text.index(s)) for s in outside)
    # marks that do not pair up in the paragraph tell nothing
    stray = 'He said " we will go. And then we left. Nobody came.'
    assert not hygiene.inside_quotation(stray, stray.index("And then"))
