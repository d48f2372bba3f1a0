import json

import pytest

from summarize.briefing import render
from summarize.errors import OutputError
from summarize.records import Brief, BriefSentence, Disagreement, Fact, Source, Support


def sample_brief() -> Brief:
    support = (
        Support(n=1, article_id="a", start=0, end=20, text="The bridge collapsed.", similarity=1.0),
        Support(n=2, article_id="b", start=5, end=30, text="A bridge fell down today.", similarity=0.81),
    )
    return Brief(
        story_id="s-1",
        title="Bridge collapses",
        sentences=(
            BriefSentence(text="The bridge collapsed.", citations=(1, 2), support=support, salience=0.9,
                          agreement=2, status="extracted",
                          parts={"centrality": 1.0, "position": 1.0, "coverage": 0.7}),
            BriefSentence(text="Twelve died, “officials” said.", citations=(2,), support=support[1:],
                          salience=0.5, agreement=1, status="kept"),
        ),
        sources=(Source(n=1, article_id="a", outlet="Alpha", title="T1", url="https://a.example/1",
                        published="2024-01-01"),
                 Source(n=2, article_id="b", outlet="Beta")),
        facts=(Fact(text="The bridge collapsed.", citations=(1, 2), support=2),),
        disagreements=(Disagreement(topic="people", a_text="12 died", a_citations=(1,), b_text="14 died",
                                    b_citations=(2,)),),
        unique=(Fact(text="Engineers warned in 2019.", citations=(2,), support=1),),
        metadata={"model": "extractive", "options": {"words": 120}, "counts": {"kept": 1}},
    )


def test_json_round_trip_is_lossless():
    b = sample_brief()
    again = render.from_json(render.to_json(b))
    assert again == b
    assert again.metadata == b.metadata
    assert render.from_json(render.to_json([b, b])) == [b, b]


def test_text_has_inline_citations():
    assert sample_brief().text == "The bridge collapsed. [1][2] Twelve died, “officials” said. [2]"
    assert "[" not in sample_brief().plain_text


def test_markdown_shows_brief_agreement_disagreement_and_sources():
    md = render.to_markdown(sample_brief())
    assert md.startswith("## Bridge collapses")
    assert "The bridge collapsed. [1][2]" in md
    assert "Where outlets differ" in md and "“12 died” [1] vs “14 died” [2]" in md
    assert "Reported by one outlet only" in md and "Beta: Engineers warned in 2019. [2]" in md
    assert "1. Alpha, “T1”, 2024-01-01, <https://a.example/1>" in md


def test_bad_json_is_a_typed_error():
    with pytest.raises(OutputError):
        render.from_json("{not json")
    data = json.loads(render.to_json(sample_brief()))
    data["schema_version"] = 99
    with pytest.raises(OutputError, match="schema_version"):
        Brief.from_dict(data)
    del data["schema_version"]
    with pytest.raises(OutputError):
        Brief.from_dict({"schema_version": 1})
