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


# --- safety (issue 16): text and links from articles cannot inject markup ---------------

HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "<svg/onload=alert(1)>",
    "[click](javascript:alert(1))",
    "![x](javascript:alert(1))",
    "<javascript:alert(1)>",
    "[1]: javascript:alert(1)",
    "`x` <img src=x onerror=alert(1)> `y`",
    "line one\n<script>alert(1)</script>\n\n[2]: javascript:alert(1)",
    "```",
]


def hostile_brief(payload: str, url: str) -> Brief:
    sentence = BriefSentence(text=f"{payload} officials said.", citations=(1,), support=())
    return Brief(
        story_id="s-1", title=payload,
        sentences=(BriefSentence(text=payload, citations=(1,), support=()), sentence),
        sources=(Source(n=1, article_id=payload, outlet=payload, title=payload, url=url, published=payload),
                 Source(n=2, article_id="b", outlet="Beta", url="https://b.example/2")),
        facts=(Fact(text=payload, citations=(1, 2), support=3),),
        disagreements=(Disagreement(topic=payload, a_text=payload, a_citations=(1,), b_text=payload,
                                    b_citations=(2,)),),
        unique=(Fact(text=payload, citations=(1,), support=1),),
    )


def _render_commonmark(text: str):
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": True})
    md.validateLink = lambda url: True  # follow any link, as a careless renderer would
    tokens = md.parse(text)
    return md.render(text), [t for tok in tokens for t in [tok, *(tok.children or [])]]


@pytest.mark.parametrize("payload", HOSTILE)
@pytest.mark.parametrize("url", ["javascript:alert(1)", " JaVaScRiPt:alert(1)", "java\tscript:alert(1)",
                                 "\x01javascript:alert(1)", "data:text/html;base64,PHNjcmlwdD4=",
                                 "vbscript:msgbox(1)", 'https://a.example/x"><img src=x onerror=alert(1)>'])
def test_markdown_of_a_hostile_brief_has_no_raw_html_and_no_unsafe_link(payload, url):
    md = render.to_markdown(hostile_brief(payload, url))
    html, tokens = _render_commonmark(md)
    assert [t.content for t in tokens if t.type in {"html_inline", "html_block"}] == []
    assert [t.type for t in tokens if t.type == "image"] == []
    hrefs = [t.attrs["href"] for t in tokens if t.type == "link_open"]
    assert all(str(h).startswith(("https://a.example/", "https://b.example/")) for h in hrefs), hrefs
    assert "<script" not in html and "<img" not in html and "<svg" not in html
    assert md.startswith("## ") and md.count("\n## ") == 0  # the heading stays one heading
    assert "<p><strong>Sources</strong></p>" in html  # no fence or block swallowed the rest


def test_markdown_of_a_hostile_brief_keeps_the_payload_as_visible_text():
    payload = '"><img src=x onerror=alert(1)>'
    html, _ = _render_commonmark(render.to_markdown(hostile_brief(payload, "https://a.example/1")))
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    assert '<a href="https://a.example/1">https://a.example/1</a>' in html


def test_markdown_of_an_ordinary_brief_is_unchanged():
    md = render.to_markdown(sample_brief())
    assert md == (
        "## Bridge collapses\n\n"
        "The bridge collapsed. [1][2] Twelve died, \u201cofficials\u201d said. [2]\n\n"
        "**Confirmed by three or more outlets**\n\n"
        "- The bridge collapsed. [1][2] (2 outlets)\n\n"
        "**Where outlets differ**\n\n"
        "- people: \u201c12 died\u201d [1] vs \u201c14 died\u201d [2]\n\n"
        "**Reported by one outlet only**\n\n"
        "- Beta: Engineers warned in 2019. [2]\n\n"
        "**Sources**\n\n"
        "1. Alpha, \u201cT1\u201d, 2024-01-01, <https://a.example/1>\n"
        "2. Beta\n"
    )


def test_one_outlet_claims_name_the_publisher_and_its_wire():
    from dataclasses import replace

    b = sample_brief()
    b = replace(b, sources=(b.sources[0], replace(b.sources[1], outlet="ICARO Media Group",
                                                   publisher="ICARO Media Group", wire="Reuters")))
    md = render.to_markdown(b)
    assert "- ICARO Media Group (Reuters): Engineers warned in 2019. [2]" in md
    assert "2. ICARO Media Group (Reuters)" in md
