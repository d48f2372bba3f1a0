"""Evidence stage on small hand-made stories (fake embedder: plumbing, not model quality)."""

from conftest import BRIDGE

from summarize.events.syndication import voice_map
from summarize.evidence.score import score_story
from summarize.evidence.select import select
from summarize.records import Article, Story

A, B, C = BRIDGE


def story(with_copy=True):
    arts = [
        Article(id="a", text=A, outlet="Alpha News"),
        Article(id="b", text=B, outlet="Beta Post"),
        Article(id="c", text=C, outlet="Gamma Times"),
    ]
    voices = ()
    if with_copy:
        arts.append(Article(id="d", text=A, outlet="Delta Daily"))  # wire copy of a
        voices = (("a", "d"),)
    return Story(id="s", articles=tuple(arts), voices=voices)


def test_voices_merge_syndicated_copies_and_one_outlets_articles():
    st = story()
    assert voice_map(st) == {"a": "a", "b": "b", "c": "c", "d": "a"}
    same_outlet = Story(id="s", articles=(Article(id="x", text="t", outlet="BBC"),
                                          Article(id="y", text="u", outlet="bbc")))
    assert voice_map(same_outlet) == {"x": "x", "y": "x"}


def test_agreement_counts_a_syndicated_copy_once(fake_embedder):
    ev = score_story(story(), fake_embedder)
    collapse = next(g for g in ev.groups if "collapsed" in g.seed.sentence.text)
    assert set(collapse.article_ids) == {"a", "b", "c", "d"}
    assert collapse.support == 3  # a and its copy d are one voice
    without_copy = score_story(story(with_copy=False), fake_embedder)
    assert next(g for g in without_copy.groups if "collapsed" in g.seed.sentence.text).support == 3
    for s in ev.sentences:
        if s.group == collapse.id:
            assert s.agreement == 3


def test_salience_parts_are_exposed_and_combined(fake_embedder):
    ev = score_story(story(), fake_embedder)
    for s in ev.sentences:
        assert 0.0 <= s.centrality <= 1.0 and 0.0 <= s.coverage <= 1.0 and 0.0 < s.position <= 1.0
        assert abs(s.salience - (0.5 * s.centrality + 0.2 * s.position + 0.3 * s.coverage)) < 1e-5
    top = max(ev.sentences, key=lambda s: s.salience)
    assert "collapsed" in top.sentence.text


def test_unique_claims_are_kept_per_outlet(fake_embedder):
    ev = score_story(story(with_copy=False), fake_embedder)
    unique_texts = [g.seed.sentence.text for g in ev.unique]
    assert all(g.support == 1 for g in ev.unique)
    assert any("governor declared an emergency" in t or "cracks in the bridge" in t or
               "inspection of every bridge" in t for t in unique_texts)


def test_selection_respects_the_budget_and_prefers_confirmed_claims(fake_embedder):
    ev = score_story(story(), fake_embedder)
    chosen = select(ev, 25)
    words = sum(len(c.text.split()) for c in chosen)
    assert words <= 1.2 * 25
    assert chosen and "collapsed" in chosen[0].text


def _kabul(second: str) -> Story:
    first = ("Gunmen stormed the military hospital in Kabul on Wednesday, killing 38 people, "
             "the hospital said. The attack lasted several hours.")
    return Story(id="k", articles=(
        Article(id="a", text=first, outlet="NBC News", published="2017-03-08"),
        Article(id="b", text=second, outlet="Reuters", published="2017-03-08"),
    ))


def test_a_broken_sentence_is_never_one_side_of_a_disagreement(fake_embedder):
    whole = ("Gunmen stormed the military hospital in Kabul on Wednesday, killing 30 people, "
             "officials said. Security forces ended the siege.")
    assert len(score_story(_kabul(whole), fake_embedder).conflicts) == 1
    # the same claim with half a quote (hygiene keeps it out): no "outlets differ" either
    cut = ("Gunmen stormed the military hospital in Kabul on Wednesday, killing 30 people, "
           "officials said.” Security forces ended the siege.")
    evidence = score_story(_kabul(cut), fake_embedder)
    assert evidence.conflicts == ()


def test_a_sentence_inside_a_quotation_of_several_sentences_is_no_claim(fake_embedder):
    # seed 000: the middle of Blinken's quote has no quote marks of its own
    quote = ('"We are working very aggressively on getting more humanitarian assistance in Gaza. '
             'And we have very concrete ways in doing that. And I think we will see the assistance '
             'expand in significant ways," Blinken stated.\n'
             "Blinken met Turkish Foreign Minister Hakan Fidan in Ankara on Monday.")
    evidence = score_story(Story(id="s", articles=(Article(id="a", text=quote),)), fake_embedder)
    grouped = {m.sentence.text for g in evidence.groups for m in g.members}
    assert "And we have very concrete ways in doing that." not in grouped
    assert "Blinken met Turkish Foreign Minister Hakan Fidan in Ankara on Monday." in grouped
    middle = next(s for s in evidence.sentences if s.sentence.text.startswith("And we have"))
    assert middle.centrality > 0  # it still counts for centrality
