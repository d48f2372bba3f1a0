"""Publisher and wire source: read where the input states them, never guessed."""

from __future__ import annotations

import json

import pytest
from conftest import SEEDS

from summarize.ingest import outlets
from summarize.ingest.loaders import read, unglue_inline

PARA = " ".join(["The council approved the new budget on Tuesday after a long debate."] * 4)

# What each seed states about who published it and which agency wrote it (seeds/README.md):
# 000's masthead line and "(Reuters) -" dateline, 001's "– The Guardian" headline suffix,
# 003's "Create an account on CNN.com" furniture; 002 and 004 name no outlet.
SEED_CREDITS = {
    "000_d6128c9dd60b449d": ("ICARO Media Group", "Reuters"),
    "001_ed83338f0cb7f41e": ("The Guardian", ""),
    "002_edbb9f93f4e3c2ae": ("", ""),
    "003_9a2df30f68da744d": ("CNN", ""),
    "004_ebdcb07ac4449184": ("", ""),
}


def test_the_seeds_credit_only_what_their_text_states():
    found = {a.id: (a.outlet, a.wire) for a in read(SEEDS)}
    assert found == SEED_CREDITS
    raw = {p.stem: p.read_text(encoding="utf-8") for p in SEEDS.glob("00*.txt")}
    for article_id, (publisher, wire) in found.items():
        for name in filter(None, (publisher, wire)):
            assert name.split()[0].lower() in raw[article_id].lower()  # the page names it


@pytest.mark.parametrize(("url", "name"), [
    ("https://www.reuters.com/world/x", "Reuters"),
    ("https://edition.cnn.com/2023/11/06/x", "CNN"),
    ("https://www.bbc.co.uk/news/x", "BBC News"),
    ("https://abcnews.go.com/Politics/x", "ABC News"),
    ("https://news.example.com/a/b", "example.com"),  # not in the table: the domain itself
    ("http://local.paper.co.uk/x", "paper.co.uk"),
    ("https://notreuters.com/x", "notreuters.com"),
    ("", ""),
    ("not a url", ""),
    ("https://192.168.0.1/x", ""),
])
def test_publisher_from_url_names_well_known_domains_else_the_domain(url, name):
    assert outlets.publisher_from_url(url) == name


@pytest.mark.parametrize(("text", "wire"), [
    ("ANKARA, Nov 6 (Reuters) - U.S. Secretary of State Antony Blinken left.", "Reuters"),
    ("WASHINGTON (AP) — The Senate passed the bill on Tuesday.", "Associated Press"),
    ("(AFP) - Floods hit the coast.", "AFP"),
    ("Cape canaveral, fla. ( reuters ) - the u.s. Military's space plane landed.", "Reuters"),  # lower-cased
    ("Harrisburg (PA) - The state senate voted.", ""),  # Pennsylvania, not PA Media
    ("By Jane Doe, Associated Press\nThe Senate passed the bill on Tuesday.", "Associated Press"),
    ("Source: AFP\nFloods hit the coast on Monday.", "AFP"),
    ("Reuters\nThe Senate passed the bill on Tuesday.", "Reuters"),
    # The body's attributions are quotes, not wire credits.
    ("The Senate passed the bill, according to Reuters.", ""),
    ("Al-Ansari told CNN that talks went on.", ""),
    ("Officials said (Reuters reported) that talks went on - and on.", ""),
    ("The Senate passed the bill on Tuesday.\n" * 7 + "WASHINGTON (AP) — Late dateline.", ""),
])
def test_wire_comes_from_a_dateline_or_byline_only(text, wire):
    assert outlets.wire_from_text(text) == wire


def test_unknown_outlet_stays_unknown():
    [a] = read({"id": "x", "text": "Officials met on Monday. They talked for hours, according to Reuters."})
    assert (a.outlet, a.wire) == ("", "")
    assert a.display_outlet == "Unknown outlet (x)"
    # A headline suffix that names no outlet is part of the headline, not a publisher.
    [b] = read({"id": "y", "title": "Biden signs the bill – Analysis", "text": "The bill was signed today."})
    assert (b.outlet, b.title) == ("", "Biden signs the bill – Analysis")
    # A site named in the body is not the publisher.
    [d] = read({"id": "z", "text": "The group urged its fans to sign up at gettr.com. The site grew fast."})
    assert d.outlet == ""
    # A section label under the headline is not a masthead.
    [c] = read("Blinken leaves the region\nIsrael-Hamas war\nThe secretary left on Monday. He said little.")
    assert c.outlet == ""


def test_metadata_wins_and_the_wire_is_still_read_from_the_dateline(tmp_path):
    records = [
        {"id": "m1", "outlet": "ICARO Media Group", "url": "https://www.reuters.com/x",
         "text": "ANKARA, Nov 6 (Reuters) - Blinken left Ankara on Monday."},
        {"id": "m2", "url": "https://www.reuters.com/x", "text": "ANKARA (Reuters) - Blinken left."},
        {"id": "m3", "domain": "apnews.com", "text": "WASHINGTON (AP) — The Senate voted."},
        {"id": "m4", "url": "https://example.org/a", "text": "The Senate voted on Tuesday."},
    ]
    (tmp_path / "a.jsonl").write_text("\n".join(json.dumps(r) for r in records))
    got = {a.id: (a.outlet, a.wire) for a in read(tmp_path / "a.jsonl")}
    assert got == {"m1": ("ICARO Media Group", "Reuters"), "m2": ("Reuters", "Reuters"),
                   "m3": ("Associated Press", "Associated Press"), "m4": ("example.org", "")}


def test_sidecar_url_names_the_publisher_of_a_text_file(tmp_path):
    (tmp_path / "a.txt").write_text("Headline here\nWASHINGTON (AP) — Body text of the article is here.")
    (tmp_path / "metadata.jsonl").write_text('{"file": "a.txt", "url": "https://www.usatoday.com/story/x"}\n')
    [a] = read(tmp_path)
    assert (a.outlet, a.wire) == ("USA Today", "Associated Press")


def test_html_page_credits_site_name_and_dateline(tmp_path):
    html = f"""<html><head><title>Council passes budget</title>
    <meta property="og:site_name" content="Daily Example"></head>
    <body><article><h1>Council passes budget</h1><p>SPRINGFIELD (AP) — {PARA}</p><p>{PARA}</p>
    </article></body></html>"""
    (tmp_path / "page.html").write_text(html)
    [a] = read(tmp_path / "page.html")
    assert (a.outlet, a.wire) == ("Daily Example", "Associated Press")


def test_words_run_together_at_an_inline_tag_are_parted_and_real_words_are_not():
    assert unglue_inline("<p>Secretary <a href='x'>Antony Blinken</a>stressed aid.</p>") == (
        "<p>Secretary <a href='x'>Antony Blinken</a> stressed aid.</p>")
    assert unglue_inline("met with<A HREF='x'>Antony Blinken</A>") == "met with<A HREF='x'> Antony Blinken</A>"
    kept = ("the <a href='x'>iPhone</a>s, <b>Blinken</b>'s aide, <span>McDonald</span>, Java<b>Script</b>, "
            "<i>Mc</i>Donald, the <em>New York Times</em>.")
    assert unglue_inline(kept) == kept


def test_html_glued_at_a_link_reads_as_two_words(tmp_path):
    html = (f"<html><body><article><p>{PARA}</p><p>Secretary <a href='/p/blinken'>Antony Blinken</a>stressed "
            f"the importance of aid to Gaza on Monday in Riyadh.</p><p>{PARA}</p></article></body></html>")
    (tmp_path / "page.html").write_text(html)
    [a] = read(tmp_path / "page.html")
    assert "Antony Blinken stressed the importance" in a.text and "Blinkenstressed" not in a.text
