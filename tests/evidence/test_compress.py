"""Sentence compression: each kind of cut, the cuts that must be refused, and that selection
counts the shorter sentence while citations keep the whole source sentence."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from test_select import evidence

import summarize
from summarize.errors import InputError
from summarize.evidence import compress
from summarize.evidence.compress import CUTS, Compressor, compress_with_cuts
from summarize.evidence.select import select
from summarize.records import Article, Sentence, Story


@pytest.mark.parametrize(("kind", "text", "expected"), [
    # datelines the cleaner left: lower-cased Multi-News text, a credit opening a sentence
    ("dateline", "Cancun, mexico ( ap ) — a onetime american reality television producer was "
     "convicted thursday of murdering his wife, a state prosecutor said.",
     "A onetime american reality television producer was convicted thursday of murdering his "
     "wife, a state prosecutor said."),
    ("dateline", "( cnn ) take a look at a newborn's tiny fist.", "Take a look at a newborn's tiny fist."),
    ("dateline", "Athens &#124; athens ( reuters ) - greek police have asked interpol to help.",
     "Greek police have asked interpol to help."),
    ("connective", "However, the storm turned north overnight.", "The storm turned north overnight."),
    ("connective", "In addition, two bridges were closed to traffic.", "Two bridges were closed to traffic."),
    ("connective", "But the bill still needs a Senate vote.", "The bill still needs a Senate vote."),
    ("conversion", "The storm was 10 kilometers (about 6 miles) off the coast.",
     "The storm was 10 kilometers off the coast."),
    ("conversion", "The quake struck at 9:30 a.m. ET (1330 GMT) near the coast.",
     "The quake struck at 9:30 a.m. ET near the coast."),
    ("conversion", "The plan will cost $5 million (4.1 million euros) a year.",
     "The plan will cost $5 million a year."),
    ("that", "Police said that the suspect fled on foot.", "Police said the suspect fled on foot."),
])
def test_each_kind_of_cut(kind, text, expected):
    shorter, made = compress_with_cuts(text, (kind,))
    assert shorter == expected
    assert [c.kind for c in made] == [kind]
    assert compress_with_cuts(text, tuple(k for k in CUTS if k != kind)) == (text, ())


@pytest.mark.parametrize("text", [
    # a figure in parentheses that restates nothing, or an aside with a name or a qualifier
    "The vote was 285 (120 abstained) on Tuesday.",
    "He won 52 percent (3 million votes) of the ballots cast.",
    "Sen. Ted Cruz (R-Texas) voted against the bill.",
    "A suspicious package was found (though it was later cleared) near the station.",
    # attribution and its date stay: no kind removes "officials said Tuesday" or a hedge
    "The bridge will reopen in May, officials said Tuesday.",
    "Reportedly, the talks collapsed after midnight.",
    "Allegedly, the two men fled the country.",
    # connectives that carry time or a change of plan
    "Earlier, the company denied the report.",
    "Instead, the council voted to delay the plan.",
    # inside a quotation nothing is reworded
    "“However, we will fight this in court,” she said.",
    '" but we said that the plan works, " he said.',
    # the shorter sentence would be too short to stand alone
    "But it rained hard.",
    # a mid-sentence dash after an acronym is not a dateline
    "The Islamic State (IS) - which holds the city - said it would fight.",
])
def test_cuts_that_would_change_what_a_sentence_says_are_refused(text):
    assert compress_with_cuts(text, CUTS)[0] == text


def test_every_number_name_and_attribution_survives_the_default_cuts():
    from summarize.nlp.text import names_in, numbers_in

    text = ("However, the mayor of Genoa said that the fall of 45 meters (148 feet) on Tuesday "
            "killed 43 people, police said.")
    shorter = compress.compress(text, CUTS)
    assert shorter == "The mayor of Genoa said the fall of 45 meters on Tuesday killed 43 people, police said."
    assert numbers_in(text) - numbers_in(shorter) == {"148"}  # only the restated figure
    assert names_in(text) <= names_in(shorter) | {"However"}
    assert shorter.endswith("police said.")


def test_a_sentence_inside_a_quotation_of_several_sentences_is_left_whole():
    # seed 000: the middle sentence of Blinken's quote has no quote marks of its own
    paragraph = ('"We are working very aggressively on getting more humanitarian assistance in Gaza. '
                 'And we have very concrete ways in doing that. And I think we will see it," Blinken stated.')
    after = "But the talks in Ankara ended without a deal on a ceasefire."
    text = paragraph + "\n" + after
    story = Story(id="s", articles=(Article(id="a", text=text),))
    shorten = Compressor(SimpleNamespace(story=story))
    inner = "And we have very concrete ways in doing that."
    assert shorten(inner, Sentence("a", 1, text.index(inner), text.index(inner) + len(inner), inner)) == inner
    outside = Sentence("a", 3, text.index(after), len(text), after)
    assert shorten(after, outside) == "The talks in Ankara ended without a deal on a ceasefire."


def test_unknown_cut_kind_is_refused():
    with pytest.raises(InputError, match="compression"):
        compress_with_cuts("However, it rained all day.", ("aside",))
    with pytest.raises(InputError, match="compression"):
        select(evidence([("a", 0, "However, it rained all day long.", 1.0, 0)]), 20, cuts=("aside",))


def test_selection_counts_the_compressed_length_and_keeps_the_source_sentence():
    lead = "( ap ) — rescue crews pulled twelve survivors from the collapsed motorway bridge overnight."
    rows = [("a", 0, lead, 1.0, 0),
            ("b", 0, "However, engineers had warned for years about corroded steel cables on the span.", 0.9, 1),
            ("c", 0, "The city declared a state of emergency and closed the port.", 0.5, 2)]
    ev = evidence(rows)
    chosen = select(ev, 24, max_sentence_words=40, cuts=("dateline", "connective"))
    texts = {s.group.id: s.text for s in chosen}
    assert texts[0] == "Rescue crews pulled twelve survivors from the collapsed motorway bridge overnight."
    assert texts[1] == "Engineers had warned for years about corroded steel cables on the span."
    rep = {s.group.id: s.representative for s in chosen}
    assert rep[0].sentence.text == lead  # identity: the whole source sentence, for citations
    # 11 + 12 words fit a 24-word budget; uncompressed (14 + 13) the second one does not
    uncut = select(ev, 24, max_sentence_words=40, cuts=())
    assert [s.text for s in uncut if s.group.id == 0] == [lead]
    assert {s.group.id for s in uncut} != {s.group.id for s in chosen}


def test_a_brief_shows_the_compressed_sentence_and_cites_the_whole_one(fake_embedder):
    lead = ("Genoa, italy ( ap ) — rescue crews pulled twelve survivors from the collapsed motorway "
            "bridge overnight.")
    articles = [
        Article(id="a", outlet="Wire A", text=lead + " The city declared a state of emergency on Wednesday."),
        Article(id="b", outlet="Paper B", text=(
            "Engineers had warned about corroded cables on the bridge for years. "
            "The port of Genoa stayed closed on Wednesday.")),
    ]
    brief = summarize.brief(articles, words=30, embedder=fake_embedder, model="extractive")
    shown = [s for s in brief.sentences if s.text.startswith("Rescue crews")]
    assert shown and shown[0].text == ("Rescue crews pulled twelve survivors from the collapsed motorway "
                                       "bridge overnight.")
    assert [sp.text for sp in shown[0].support] == [lead]
    assert "( ap )" not in brief.plain_text
