import json

import pytest
from conftest import SEEDS

from summarize.errors import InputError
from summarize.ingest.loaders import read


def by_id(articles):
    return {a.id: a for a in articles}


def test_seed_folder_metadata_is_inferred_where_the_text_says_so():
    arts = by_id(read(SEEDS))
    assert len(arts) == 5  # README.md and references.jsonl are not articles
    # A masthead line under the headline names the publisher; the "(Reuters) -" dateline the wire.
    assert (arts["000_d6128c9dd60b449d"].outlet, arts["000_d6128c9dd60b449d"].wire) == ("ICARO Media Group", "Reuters")
    assert arts["001_ed83338f0cb7f41e"].outlet == "The Guardian"  # "– The Guardian" suffix
    assert arts["001_ed83338f0cb7f41e"].title.startswith("Blinken leaves Middle East")
    assert not arts["001_ed83338f0cb7f41e"].title.endswith("Guardian")
    assert arts["003_9a2df30f68da744d"].outlet == "CNN"  # "Create an account on CNN.com" in its furniture
    # No seed but 000 credits a wire agency in a dateline or byline ("Al-Ansari told CNN" is a quote).
    assert [a.wire for a in arts.values() if a.wire] == ["Reuters"]
    assert arts["003_9a2df30f68da744d"].published == "2023-11-06"  # "date" line
    assert arts["003_9a2df30f68da744d"].text.startswith("Secretary of State Antony Blinken")
    assert arts["002_edbb9f93f4e3c2ae"].outlet == ""  # not said plainly: left empty
    assert arts["002_edbb9f93f4e3c2ae"].title.startswith("U.S. Secretary of State Blinken holds")
    assert arts["004_ebdcb07ac4449184"].display_outlet  # falls back to a readable name


def test_json_and_jsonl_with_metadata(tmp_path):
    records = [
        {"id": "x1", "text": "Body one is here.", "source": "BBC", "headline": "One", "url": "https://e.x/1",
         "date": "2024-01-02"},
        {"id": "x2", "body": "Body two is here.", "outlet": "NPR"},
    ]
    (tmp_path / "a.json").write_text(json.dumps(records))
    (tmp_path / "b.jsonl").write_text("\n".join(json.dumps(r) for r in records))
    for name in ("a.json", "b.jsonl"):
        arts = read(tmp_path / name)
        assert [a.id for a in arts] == ["x1", "x2"]
        assert arts[0].outlet == "BBC" and arts[0].title == "One" and arts[0].published == "2024-01-02"
        assert arts[0].url == "https://e.x/1"
        assert arts[1].text == "Body two is here." and arts[1].outlet == "NPR"


def test_malformed_jsonl_names_the_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "a", "text": "ok text"}\n{"id": "b", "text": \n')
    with pytest.raises(InputError, match="line 2"):
        read(path)


def test_json_record_without_text_is_an_error(tmp_path):
    path = tmp_path / "x.json"
    path.write_text(json.dumps([{"id": "a", "title": "only a title"}]))
    with pytest.raises(InputError, match="no text"):
        read(path)


@pytest.mark.parametrize(
    "content, message",
    [(b"", "empty"), (b"  \n\t\n", "empty"), (b"\x00\x01\x02binary", "binary"), (b"caf\xe9 au lait", "UTF-8")],
)
def test_unusable_files_get_a_clear_error(tmp_path, content, message):
    path = tmp_path / "article.txt"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message) as info:
        read(path)
    assert str(path) in str(info.value)


def test_missing_path_and_unsupported_type(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read(tmp_path / "nope.txt")
    (tmp_path / "x.pdf").write_bytes(b"%PDF")
    with pytest.raises(InputError, match="unsupported"):
        read(tmp_path / "x.pdf")


def test_strings_dicts_and_bytes():
    text = "A headline for the story\nThe body of the story says something. It goes on."
    [a] = read(text)
    assert a.title == "A headline for the story" and a.text.startswith("The body")
    assert a.id.startswith("a-")
    [b] = read({"text": "Just a body. Nothing else."})
    assert b.title == "" and b.text == "Just a body. Nothing else."
    assert read(text.encode())[0].text == a.text


def test_html_main_text_is_extracted(tmp_path):
    para = " ".join(["The council approved the new budget on Tuesday after a long debate."] * 4)
    html = f"""<html><head><title>Council passes budget</title>
    <meta property="og:site_name" content="Daily Example"></head>
    <body><nav>Home | World | Sport</nav><article><h1>Council passes budget</h1>
    <p>{para}</p><p>{para}</p></article><footer>Copyright 2024</footer></body></html>"""
    path = tmp_path / "page.html"
    path.write_text(html)
    [a] = read(path)
    assert "approved the new budget" in a.text
    assert "Home | World" not in a.text
    assert a.title == "Council passes budget"
    assert a.outlet == "Daily Example"


def test_html_without_article_text(tmp_path):
    path = tmp_path / "empty.html"
    path.write_text("<html><body><nav>Home</nav></body></html>")
    with pytest.raises(InputError, match="no article text"):
        read(path)


def test_sidecar_metadata_wins_over_inference(tmp_path):
    (tmp_path / "a.txt").write_text("Headline here – The Guardian\nBody text of the article is here.")
    (tmp_path / "metadata.jsonl").write_text(
        '{"file": "a.txt", "published": "2024-01-02", "url": "https://e.x/a", "outlet": "Guardian US"}\n')
    [a] = read(tmp_path)
    assert (a.published, a.url, a.outlet, a.title) == ("2024-01-02", "https://e.x/a", "Guardian US", "Headline here")
    [same] = read(tmp_path / "a.txt")  # the sidecar is found for a single file too
    assert same.published == "2024-01-02"
    (tmp_path / "metadata.jsonl").write_text('{"published": "2024-01-02"}\n')
    with pytest.raises(InputError, match="file"):
        read(tmp_path)
