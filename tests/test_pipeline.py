"""End to end on the real default path: real files, real Punkt, real MiniLM (marked slow)."""

import re
import subprocess
import sys

import pytest
from conftest import FURNITURE, FURNITURE_LINES, LATER_TRIP, SEEDS, TRIP

import summarize
from summarize.briefing import render
from summarize.errors import InputError
from summarize.nlp.embed import default_embedder

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def seed_briefs():
    return summarize.briefs(str(SEEDS))


def test_import_loads_no_model():
    code = ("import sys, summarize; from summarize import brief, briefs, stories; "
            "heavy = [m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules]; "
            "print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_seeds_make_two_stories(seed_briefs):
    stories = [sorted(b.metadata["story"]["articles"]) for b in seed_briefs]
    assert sorted(stories) == sorted([[p.split("/")[-1][:-4] for p in TRIP], [LATER_TRIP[0].split("/")[-1][:-4]]])
    assert len(seed_briefs[0].metadata["story"]["articles"]) == 4  # largest story first


def test_main_brief_cites_three_outlets_and_every_citation_is_real(seed_briefs):
    main = seed_briefs[0]
    cited_outlets = {main.source(n).outlet for s in main.sentences for n in s.citations}
    assert len(cited_outlets) >= 3
    articles = {a.id: a for a in summarize.load(str(SEEDS))}
    for b in seed_briefs:
        for s in b.sentences:
            assert s.citations and s.support
            for sp in s.support:
                art = articles[sp.article_id]
                assert art.text[sp.start:sp.end] == sp.text  # offsets into the cleaned article
                assert b.source(sp.n).article_id == sp.article_id
            # the brief sentence itself is in one of the cited articles
            assert any(s.text in articles[b.source(n).article_id].text or
                       s.text[1:] in articles[b.source(n).article_id].text for n in s.citations)
        for n in re.findall(r"\[(\d+)\]", b.text):
            assert int(n) in {src.n for src in b.sources}


def test_no_furniture_reaches_a_brief(seed_briefs):
    for b in seed_briefs:
        text = render.to_markdown(b)
        for marker in FURNITURE:
            assert marker not in b.text, marker
        for line in FURNITURE_LINES:
            assert line not in text.splitlines()


def test_length_is_held_within_twenty_percent(seed_briefs):
    main = seed_briefs[0]
    assert 0.8 * 120 <= main.metadata["words"] <= 1.2 * 120


def test_json_round_trip_of_real_briefs(seed_briefs):
    for b in seed_briefs:
        assert render.from_json(render.to_json(b)) == b


def test_salience_parts_are_on_the_brief(seed_briefs):
    for s in seed_briefs[0].sentences:
        assert set(s.parts) == {"centrality", "position", "coverage"}
        combined = 0.5 * s.parts["centrality"] + 0.2 * s.parts["position"] + 0.3 * s.parts["coverage"]
        assert abs(combined - s.salience) < 1e-5


def test_facts_agreed_by_three_or_more_outlets_are_listed(seed_briefs):
    main = seed_briefs[0]
    assert main.facts
    for fact in main.facts:
        assert fact.support >= 3 and len(fact.citations) >= 3


def test_second_call_reuses_the_loaded_models():
    emb = default_embedder()
    summarize.brief(TRIP[:2])
    loads = emb.loads
    summarize.brief(TRIP[2:])
    assert emb.loads == loads == 1


def test_single_article_and_duplicates_are_graceful():
    one = summarize.brief(LATER_TRIP)
    assert one.sentences and all(s.citations == (1,) for s in one.sentences)
    dup = summarize.brief([TRIP[0], TRIP[0], TRIP[1]])
    assert [s["reason"] for s in dup.metadata["skipped"]] == [f"exact duplicate of {TRIP[0].split('/')[-1][:-4]}"]
    assert len(dup.sources) == 2


def test_empty_input_is_a_typed_error():
    with pytest.raises(InputError):
        summarize.brief([])
    with pytest.raises(InputError):
        summarize.brief("   ")


def test_a_one_megabyte_article_is_cut_noted_and_briefed(tmp_path):
    sentence = "The council said on Monday that the bridge over the river would reopen after {} weeks of repairs. "
    path = tmp_path / "huge.txt"
    path.write_text("Bridge to reopen\n" + "".join(sentence.format(i) for i in range(11_000)))  # ~1 MB
    b = summarize.brief(str(path))
    assert b.sentences
    notes = [s["reason"] for s in b.metadata["skipped"]]
    assert any("limits.max_article_chars" in n for n in notes)
