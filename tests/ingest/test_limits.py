"""Hostile input: what a limit refuses is Skipped (left out), what it cuts is noted (kept=True).

Issue 16: deep JSON, one bad record among good ones, huge files and articles, symlinks out of
the input folder, deeply nested HTML.
"""

import json
import time

import pytest

from summarize.errors import InputError
from summarize.ingest.loaders import read
from summarize.ingest.prepare import prepare, read_inputs
from summarize.options import Limits
from summarize.records import Skipped

GOOD = "Officials said the bridge would reopen on Monday. Repairs took three weeks and cost $2 million."


def good_record(i):
    return {"id": f"a{i}", "text": f"Story {i}: {GOOD}"}


def deep_array(depth):
    return "[" * depth + "]" * depth


# -- 1. deep JSON ---------------------------------------------------------------------------------


def test_deep_json_file_is_refused_with_its_name_and_the_good_files_are_read(tmp_path):
    (tmp_path / "good.json").write_text(json.dumps(good_record(1)))
    (tmp_path / "deep.json").write_text(deep_array(100_000))  # 200 KB of nested arrays
    skipped = []
    articles = read(tmp_path, skipped)
    assert [a.id for a in articles] == ["a1"]
    [item] = skipped
    assert item.id == str(tmp_path / "deep.json") and not item.kept
    assert "nested deeper than 64" in item.reason and "max_json_depth" in item.reason
    with pytest.raises(InputError, match="deep.json.*nested deeper than 64"):
        read(tmp_path / "deep.json")


def test_deep_jsonl_line_is_refused_with_its_line_number(tmp_path):
    path = tmp_path / "wire.jsonl"
    path.write_text("\n".join([json.dumps(good_record(1)), deep_array(3_000), json.dumps(good_record(2))]))
    skipped = []
    assert [a.id for a in read(path, skipped)] == ["a1", "a2"]
    assert skipped == [Skipped(f"{path}:2", "line 2: JSON nested deeper than 64 levels (limits.max_json_depth)")]
    objects = tmp_path / "obj.jsonl"
    objects.write_text('{"text": ' * 5_000 + '"x"' + "}" * 5_000)
    with pytest.raises(InputError, match="obj.jsonl: line 1: JSON nested deeper"):
        read(objects)


def test_brackets_inside_strings_do_not_count_and_the_depth_is_a_limit(tmp_path):
    path = tmp_path / "a.json"
    path.write_text(json.dumps({"id": "q", "text": GOOD + " " + "[{" * 500 + '"\\"[['}))
    assert [a.id for a in read(path)] == ["q"]
    path.write_text(json.dumps({"id": "n", "text": GOOD, "tags": [[["x"]]]}))
    assert read(path)[0].id == "n"
    with pytest.raises(InputError, match="nested deeper than 3"):
        read(path, limits=Limits(max_json_depth=3))


def test_recursion_in_the_json_parser_is_caught_as_a_last_resort(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text(deep_array(200_000))
    with pytest.raises(InputError, match="deep.json.*nest"):
        read(path, limits=Limits(max_json_depth=10**6))
    jsonl = tmp_path / "deep.jsonl"
    jsonl.write_text(json.dumps(good_record(1)) + "\n" + deep_array(200_000) + "\n")
    skipped = []
    assert [a.id for a in read(jsonl, skipped, limits=Limits(max_json_depth=10**6))] == ["a1"]
    assert [s.id for s in skipped] == [f"{jsonl}:2"]


# -- 2. one bad record does not drop its file ---------------------------------------------------


def test_one_malformed_jsonl_line_is_skipped_and_the_rest_is_read(tmp_path):
    lines = [json.dumps(good_record(i)) for i in range(1, 11)]
    lines.insert(6, '{"id": "broken", "text": ')  # line 7
    path = tmp_path / "file.jsonl"
    path.write_text("\n".join(lines) + "\n")
    prepared = prepare(path)
    assert len(prepared.articles) == 10
    [item] = prepared.skipped
    assert item.id == f"{path}:7"
    assert item.reason.startswith("line 7: not valid JSON: ")


def test_one_bad_record_in_a_json_array_is_skipped_and_the_rest_is_read(tmp_path):
    records = [good_record(1), {"id": "empty", "title": "only a title"}, 42, good_record(2)]
    path = tmp_path / "a.json"
    path.write_text(json.dumps(records))
    skipped = []
    assert [a.id for a in read(path, skipped)] == ["a1", "a2"]
    assert [s.id for s in skipped] == [f"{path}[1]", f"{path}[2]"]
    assert "no text" in skipped[0].reason and "expected a JSON object" in skipped[1].reason
    jsonl = tmp_path / "b.jsonl"
    jsonl.write_text(json.dumps(good_record(3)) + "\n" + json.dumps({"title": "no body"}) + "\n")
    skipped = []
    assert [a.id for a in read(jsonl, skipped)] == ["a3"]
    assert skipped == [Skipped(f"{jsonl}:2", "line 2: the article has no text; give it a 'text' field")]


def test_the_digest_reader_keeps_the_good_lines_too(tmp_path):
    path = tmp_path / "wire.jsonl"
    path.write_text(json.dumps(good_record(1)) + "\nnot json\n" + json.dumps(good_record(2)) + "\n")
    skipped = []
    assert [a.id for a in read_inputs([path], skipped)] == ["a1", "a2"]
    assert [s.id for s in skipped] == [f"{path}:2"]


# -- 3. size of one input ---------------------------------------------------------------------------


def test_a_file_over_max_file_bytes_is_refused_before_it_is_read(tmp_path):
    (tmp_path / "big.txt").write_text("Headline\n" + GOOD * 100)
    (tmp_path / "small.txt").write_text("Headline\n" + GOOD)
    skipped = []
    articles = read(tmp_path, skipped, limits=Limits(max_file_bytes=1_000))
    assert [a.id for a in articles] == ["small"]
    [item] = skipped
    assert item.id == str(tmp_path / "big.txt") and "max_file_bytes" in item.reason and "1,000" in item.reason


def test_a_long_article_is_cut_at_a_sentence_end_and_noted(tmp_path):
    sentences = [f"Sentence number {i} says the council met again." for i in range(200)]
    path = tmp_path / "long.txt"
    path.write_text("A headline for it\n" + " ".join(sentences))
    prepared = prepare(path, Limits(max_article_chars=1_000))
    [article] = prepared.articles
    assert len(article.text) <= 1_000 and article.text.endswith("again.")
    [note] = prepared.skipped
    assert note.id == "long" and note.kept and "max_article_chars" in note.reason


def test_an_article_without_punctuation_is_cut_at_whitespace(tmp_path):
    text = " ".join(["word"] * 5_000)
    [article] = read(text, [], limits=Limits(max_article_chars=1_000))
    assert len(article.text) <= 1_000 and article.text.endswith("word")


def test_only_max_sentences_of_an_article_are_kept_and_noted():
    text = "\n".join(f"Line {i} reports that the council met on Monday." for i in range(50))
    skipped = []
    [article] = read({"id": "many", "text": text}, skipped, limits=Limits(max_sentences=5))
    assert article.text.count("\n") == 4 and article.text.endswith("Monday.")
    assert skipped == [Skipped("many", skipped[0].reason, kept=True)] and "max_sentences" in skipped[0].reason


def test_bytes_and_strings_are_bounded_too():
    with pytest.raises(InputError, match="max_file_bytes"):
        read(("Headline\n" + GOOD * 50).encode(), limits=Limits(max_file_bytes=1_000))
    with pytest.raises(InputError, match="max_file_bytes"):
        read("Headline\n" + GOOD * 50, limits=Limits(max_file_bytes=1_000))


def test_hostile_titles_and_datelines_are_read_in_linear_time():
    start = time.perf_counter()
    read({"title": "Council" + " " * 100_000 + "x", "text": GOOD})
    read("A" + " " * 100_000 + "(x\n" + GOOD)
    assert time.perf_counter() - start < 2


# -- 5. symlinks ----------------------------------------------------------------------------------


def test_a_symlink_leaving_the_input_folder_is_skipped_unless_asked(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("Private notes\nThe password of the server is hunter2 for now.")
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("Headline\n" + GOOD)
    (folder / "inner.txt").symlink_to(folder / "a.txt")  # stays inside: read
    (folder / "leak.txt").symlink_to(outside / "secret.txt")
    (folder / "sub").symlink_to(outside, target_is_directory=True)
    skipped = []
    articles = read(folder, skipped)
    assert sorted(a.id for a in articles) == ["a", "inner"]
    assert sorted(skipped, key=str) == sorted([Skipped(str(folder / "leak.txt"), "symlink leaves the input folder"),
                                      Skipped(str(folder / "sub"), "symlink leaves the input folder")], key=str)
    skipped = []
    assert sorted(a.id for a in read_inputs([folder], skipped)) == ["a", "inner"]
    assert Skipped(str(folder / "leak.txt"), "symlink leaves the input folder") in skipped
    followed = read(folder, [], limits=Limits(follow_symlinks=True))
    assert "leak" in {a.id for a in followed}
    assert read(folder / "leak.txt")[0].id == "leak"  # named on its own: the user asked for it


# -- 6. deeply nested HTML ------------------------------------------------------------------------

PARA = " ".join(["The council approved the new budget on Tuesday after a long debate."] * 4)


def nested_page(depth):
    return ("<html><head><title>Council passes budget</title></head><body><nav>Home | World</nav>"
            + "<div>" * depth + f"<p>{PARA}</p>" + "</div>" * depth + "</body></html>")


@pytest.mark.parametrize("depth", [300, 5_000])
def test_text_deep_in_an_html_page_is_still_extracted_and_noted(tmp_path, depth):
    path = tmp_path / "deep.html"
    path.write_text(nested_page(depth))
    skipped = []
    [article] = read(path, skipped)
    assert "approved the new budget" in article.text and "Home | World" not in article.text
    assert article.title == "Council passes budget"
    [note] = skipped
    assert note.kept and note.id == "deep" and "nested" in note.reason


def test_a_shallow_page_is_not_noted_and_a_deep_empty_one_says_why(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(nested_page(3))
    skipped = []
    assert "approved the new budget" in read(path, skipped)[0].text and skipped == []
    path.write_text("<html><body>" + "<div>" * 2_000 + "Home" + "</div>" * 2_000 + "</body></html>")
    with pytest.raises(InputError, match="no article text.*nested"):
        read(path)


@pytest.mark.parametrize("html", ["<" * 200_000, "<!--" * 50_000, "<a " * 100_000, "<div>" * 100_000 + "</span>" * 100_000])
def test_hostile_html_is_read_in_linear_time(tmp_path, html):
    path = tmp_path / "x.html"
    path.write_text(html)
    start = time.perf_counter()
    with pytest.raises(InputError):
        read(path)
    assert time.perf_counter() - start < 20
