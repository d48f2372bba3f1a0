"""Attribution of brief sentences to numbered sources (fake embedder, no model)."""

import pytest
from conftest import BRIDGE, HashingEmbedder, make_article

from summarize.briefing.attribute import (
    attribute,
    attribute_generated,
    disagreement_sentences,
    source_list,
    unsupported,
)
from summarize.evidence.score import score_story
from summarize.evidence.select import select
from summarize.ingest.clean import clean
from summarize.records import Source, Story
from summarize.write.base import Draft

A, B, C = BRIDGE
CRACKS = "Engineers had warned about cracks in the bridge in 2019, documents show."


def bridge_story():
    """Four cleaned articles; ``d`` is a wire copy of ``a`` and has no outlet."""
    raw = [
        make_article("a", "ADVERTISEMENT\n\n" + A, "Alpha News", title="Bridge falls",
                     url="https://alpha.example/bridge", published="2024-03-05"),
        make_article("b", "Share this article\n\n" + B, "Beta Post"),
        make_article("c", C, "Gamma Times"),
        make_article("d", A, ""),
    ]
    return Story(id="s", articles=tuple(clean(a) for a in raw), voices=(("a", "d"),))


@pytest.fixture(scope="module")
def evidence():
    return score_story(bridge_story(), HashingEmbedder())


def generated(evidence, *sentences, target=1000):
    """Run ``attribute_generated`` on a fully generated draft, no length padding."""
    draft = Draft(sentences=tuple(sentences), origins=(None,) * len(sentences))
    return attribute_generated(draft, evidence, source_list(evidence), HashingEmbedder(), [], target)


def test_source_list_numbers_articles_in_story_order(evidence):
    """Sources are numbered 1..k in story order, with a stand-in for a missing outlet (the
    publisher itself stays empty: unknown is not a name)."""
    assert source_list(evidence) == (
        Source(n=1, article_id="a", outlet="Alpha News", title="Bridge falls",
               url="https://alpha.example/bridge", published="2024-03-05", publisher="Alpha News"),
        Source(n=2, article_id="b", outlet="Beta Post", publisher="Beta Post"),
        Source(n=3, article_id="c", outlet="Gamma Times", publisher="Gamma Times"),
        Source(n=4, article_id="d", outlet="Unknown outlet (d)", publisher=""),
    )


def test_unsupported_reports_missing_numbers_and_names():
    """A figure or a name that no source contains is reported, numbers first."""
    sources = ["The toll rose to 1,400 in Springfield.", "Police said the mayor resigned."]
    assert unsupported("The toll rose to 1,500 in Springfield.", sources) == ["1500"]
    assert unsupported("Police said Mayor Quimby resigned.", sources) == ["Mayor Quimby", "Quimby"]
    assert unsupported("The toll in Shelbyville rose to 1,500.", sources) == ["1500", "Shelbyville"]


def test_unsupported_accepts_normalised_numbers_and_dotted_names():
    """``1,400``/``1400`` are one number; ``U.S.`` matches across its dots; case is ignored."""
    sources = ["Officials in the U.S. said 1,400 people left Springfield."]
    assert unsupported("Officials said 1400 people left Springfield.", sources) == []
    assert unsupported("Envoys of the U.S. counted 1,400 departures.", sources) == []
    assert unsupported("Data from the US show 1400 left.", ["The U.S. said 1,400 left."]) == []
    assert unsupported("He said 1,400 left the City of Springfield.", ["1400 left the city of springfield"]) == []


def test_attribute_cites_every_member_of_the_claim_group(evidence):
    """Copied sentences cite their claim group's articles, with exact offsets."""
    selected = select(evidence, 40)
    assert selected
    draft = Draft(sentences=tuple(s.text for s in selected), origins=tuple(selected))
    brief = attribute(draft, evidence, source_list(evidence))
    numbers = {"a": 1, "b": 2, "c": 3, "d": 4}
    assert [s.text for s in brief] == [s.text for s in selected]
    for sentence, sel in zip(brief, selected):
        assert sentence.citations == tuple(sorted({numbers[a] for a in sel.group.article_ids}))
        assert sentence.status == "extracted"
        assert sentence.agreement == sel.group.support and sentence.salience == sel.group.salience
        assert [sp.n for sp in sentence.support] == sorted(sp.n for sp in sentence.support)
        for sp in sentence.support:
            assert evidence.article(sp.article_id).text[sp.start:sp.end] == sp.text
            assert sp.n == numbers[sp.article_id]
    collapse = next(s for s in brief if "collapsed" in s.text)
    assert collapse.citations == (1, 2, 3, 4)
    assert collapse.agreement == 3  # a and its wire copy d are one voice


def test_attribute_rejects_generated_sentences(evidence):
    """A sentence without an origin must go through ``attribute_generated``."""
    with pytest.raises(ValueError):
        attribute(Draft(sentences=("Made up.",), origins=(None,)), evidence, source_list(evidence))


def test_copied_sentence_is_kept_and_cited_to_its_source(evidence):
    """A generated sentence equal to a source sentence is kept and cited to it."""
    brief, counts = generated(evidence, CRACKS)
    assert counts == {"kept": 1, "repaired": 0, "dropped": 0, "extracted": 0, "trimmed": 0}
    [s] = brief
    assert (s.text, s.status, s.citations) == (CRACKS, "kept", (2,))
    assert any(sp.text == CRACKS and sp.article_id == "b" for sp in s.support)
    for sp in s.support:
        assert evidence.article(sp.article_id).text[sp.start:sp.end] == sp.text


def test_invented_number_is_repaired_with_the_source_sentence(evidence):
    """A wrong year is not kept: the sentence is replaced by its best source."""
    brief, counts = generated(evidence, CRACKS.replace("2019", "2017"))
    assert (counts["kept"], counts["repaired"], counts["dropped"]) == (0, 1, 0)
    [s] = brief
    assert (s.text, s.status, s.citations) == (CRACKS, "repaired", (2,))
    assert "2017" not in s.text


def test_unrelated_sentence_is_dropped(evidence):
    """A sentence no source supports is dropped, not repaired."""
    brief, counts = generated(evidence, "A chef baked chocolate cake for wedding guests yesterday.")
    assert brief == ()
    assert (counts["kept"], counts["repaired"], counts["dropped"]) == (0, 0, 1)


def test_counts_add_up_and_a_used_source_is_not_repeated(evidence):
    """kept + repaired + dropped equals the sentences written; a source backs one sentence."""
    written = (CRACKS, CRACKS.replace("2019", "2017"), "A chef baked chocolate cake for wedding guests.")
    brief, counts = generated(evidence, *written)
    # The wrong-year sentence's best source already backs the kept one: it is dropped.
    assert counts == {"kept": 1, "repaired": 0, "dropped": 2, "extracted": 0, "trimmed": 0}
    assert counts["kept"] + counts["repaired"] + counts["dropped"] == len(written)
    assert [s.text for s in brief] == [CRACKS]


def test_length_is_trimmed_to_the_target(evidence):
    """Sentences past 120% of the target are cut from the end and counted."""
    first = "Rescue teams searched the water through the night with divers."
    brief, counts = generated(evidence, first, CRACKS, target=10)
    assert [s.text for s in brief] == [first]
    assert (counts["kept"], counts["trimmed"]) == (2, 1)


def test_no_disagreement_without_conflicts(evidence):
    """Consistent figures (12 and 12) produce no disagreement sentence."""
    assert evidence.conflicts == ()
    assert disagreement_sentences(evidence, source_list(evidence)) == []


def test_disagreement_cites_both_sides():
    """Two outlets giving different tolls: one sentence quoting and citing both."""
    x = "Hamas attacks on Israel killed 1,400 people on October 7, officials said."
    y = "Hamas attacks on Israel killed 1,200 people on October 7, officials said."
    story = Story(id="t", articles=(make_article("x", x, "X Wire"), make_article("y", y, "Y Daily")))
    ev = score_story(story, HashingEmbedder())
    sources = source_list(ev)
    [s] = disagreement_sentences(ev, sources)
    assert (s.citations, s.status, s.agreement) == ((1, 2), "disagreement", 1)
    assert [(sp.n, sp.article_id, sp.text) for sp in s.support] == [(1, "x", x), (2, "y", y)]
    assert "1,400" in s.text and "1,200" in s.text
    assert disagreement_sentences(ev, sources, limit=0) == []


def test_unsupported_matches_names_as_whole_words():
    # A name hidden inside a longer word is not support for it.
    assert unsupported("Officials met in Paris.", ["A comparison of the plans was made."]) == ["Paris"]
    assert unsupported("The plan was praised by Ford.", ["The affordable plan passed."]) == ["Ford"]
    # Possessives, plurals and punctuation around the name still count.
    assert unsupported("Paris hosted the talks.", ["Paris's mayor hosted talks."]) == []
    assert unsupported("The Smith family spoke.", ["The Smiths, a family, spoke (Smith said)."]) == []
    assert unsupported("Hakan Fidan met him.", ["He met Turkish Foreign Minister Hakan Fidan."]) == []
