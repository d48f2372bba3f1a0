"""Copy detection: wire copy is grouped whatever its header and footer; other reports are not."""

from __future__ import annotations

import random

import pytest

from summarize.events.syndication import (
    SyndicationOptions,
    copy_pairs,
    shingles,
    voices,
)
from summarize.records import Article

WIRE = (
    "Firefighters in the northern province battled a wildfire that forced the evacuation of "
    "three villages on Tuesday, officials said. The blaze started near the Karsten dam late "
    "on Monday and spread quickly through dry pine forest, driven by strong winds. About 1,200 "
    "residents spent the night in school gyms and a sports hall in the regional capital. "
    "No deaths have been reported, but two firefighters were treated for smoke inhalation. "
    "The regional governor said water-bombing aircraft would resume at first light and asked "
    "residents of nearby hamlets to be ready to leave at short notice. Meteorologists expect "
    "the wind to ease on Thursday, when light rain is forecast for the higher valleys."
)

OTHER = (
    "The city council approved a new budget on Tuesday that raises spending on public "
    "transport by a fifth and freezes property taxes for a second year. Councillors argued "
    "for six hours over a proposal to close two libraries, which was eventually dropped. "
    "The mayor said the plan would add forty electric buses to the fleet by next spring and "
    "extend night service on three tram lines. Opposition members called the transport "
    "figures optimistic and warned that fare revenue had not recovered since the pandemic."
)


def article(article_id: str, text: str, published: str = "") -> Article:
    return Article(id=article_id, text=text, published=published)


def wire_copy() -> str:
    return (
        "Home | World | Europe\nBy Staff Reporter (AFP)\n" + WIRE
        + "\nShare this article on social media.\nCopyright 2024 Example Daily. "
        "All rights reserved. Sign up for our newsletter."
    )


def test_wire_copy_with_other_header_and_footer_is_grouped():
    groups = voices([article("a", WIRE), article("b", wire_copy()), article("c", OTHER)])
    assert groups == (("a", "b"), ("c",))


def test_truncated_reprint_is_a_copy():
    half = WIRE[: len(WIRE) // 2]
    assert voices([article("a", WIRE), article("b", half)]) == (("a", "b"),)


def test_different_report_of_the_same_event_is_not_a_copy():
    rewrite = (
        "Three villages were evacuated as a forest fire near the Karsten dam spread overnight, "
        "fanned by high winds. Around 1,200 people were put up in schools and a sports hall. "
        "Two firefighters needed treatment after breathing smoke; nobody has died. Aircraft "
        "will drop water again at dawn, the governor said, and rain may come on Thursday."
    )
    assert voices([article("a", WIRE), article("b", rewrite)]) == (("a",), ("b",))


def test_the_earliest_published_copy_comes_first():
    groups = voices([article("a", WIRE, "2024-05-02"), article("z", wire_copy(), "2024-05-01")])
    assert groups == (("z", "a"),)


def test_input_order_does_not_matter():
    items = [article("a", WIRE), article("b", wire_copy()), article("c", OTHER),
             article("d", OTHER + " Updated at 5pm."), article("e", "")]
    expected = voices(items)
    rng = random.Random(7)
    for _ in range(5):
        rng.shuffle(items)
        assert voices(items) == expected
    assert expected == (("a", "b"), ("c", "d"), ("e",))


def test_empty_and_tiny_texts_are_their_own_voice():
    groups = voices([article("a", ""), article("b", ""), article("c", "Breaking news."),
                     article("d", "Breaking news.")])
    assert groups == (("a",), ("b",), ("c",), ("d",))


def test_copy_pairs_report_jaccard_and_reject_repeated_ids():
    pairs = copy_pairs([article("a", WIRE), article("b", wire_copy())])
    assert [(a, b) for a, b, _ in pairs] == [("a", "b")]
    assert 0.5 <= pairs[0][2] <= 1.0
    with pytest.raises(ValueError):
        copy_pairs([article("a", WIRE), article("a", OTHER)])


def test_shingles_ignore_case_and_punctuation():
    assert shingles("The cat, sat!", size=2) == shingles("the CAT sat", size=2)
    assert shingles("", size=5) == frozenset()


def test_thresholds_are_options():
    edited = WIRE.replace("No deaths have been reported", "One resident is missing")
    items = [article("a", WIRE), article("b", edited)]
    assert voices(items) == (("a", "b"),)
    strict = SyndicationOptions(threshold=0.99, containment=0.99)
    assert voices(items, strict) == (("a",), ("b",))


def test_a_wire_credit_joins_the_wire_voice_and_a_quoted_wire_does_not():
    """ICARO's "(Reuters)" copy and Reuters' own report are one voice, Reuters; two outlets
    that quote Reuters in their own reports stay two voices."""
    from summarize.events.syndication import voice_map
    from summarize.records import Story

    arts = (
        Article(id="icaro", text="ANKARA (Reuters) - " + WIRE, outlet="ICARO Media Group", wire="Reuters"),
        Article(id="reuters", text="ANKARA (Reuters) - An update. " + OTHER, outlet="Reuters"),
        Article(id="alpha", text=OTHER + " The fire spread, according to Reuters.", outlet="Alpha News"),
        Article(id="beta", text="Reuters reported that the blaze spread. " + WIRE[:200], outlet="Beta Post"),
    )
    voices_of = voice_map(Story(id="s", articles=arts))
    assert voices_of["icaro"] == voices_of["reuters"]
    assert len({voices_of["alpha"], voices_of["beta"], voices_of["icaro"]}) == 3
