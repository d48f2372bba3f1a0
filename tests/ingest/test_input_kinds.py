"""Input dropped silently or for the wrong reason (issue 16 item 4): encodings, one-line
articles, other languages."""

import codecs

import pytest

from summarize.errors import InputError
from summarize.ingest.loaders import read
from summarize.ingest.prepare import prepare

TEXT = "Bridge reopens after repairs\nOfficials said the bridge would reopen on Monday. Repairs took three weeks."

RUSSIAN = ("Госсекретарь США Энтони Блинкен завершил свою поездку по Ближнему Востоку. "
           "Он встретился с министром иностранных дел Турции Хаканом Фиданом в Анкаре. "
           "Стороны обсудили гуманитарную помощь сектору Газа и освобождение заложников.")
ARABIC = ("اختتم وزير الخارجية الأمريكي أنتوني بلينكن جولته في الشرق الأوسط. "
          "والتقى بوزير الخارجية التركي هاكان فيدان في أنقرة. "
          "وناقش الجانبان المساعدات الإنسانية لقطاع غزة والإفراج عن الرهائن.")
CHINESE = ("美国国务卿布林肯结束了他的中东之行。他在安卡拉会见了土耳其外长费丹。"
           "双方讨论了向加沙地带提供人道主义援助以及释放人质的问题。")


@pytest.mark.parametrize(
    "data",
    [
        codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"),
        codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"),
        codecs.BOM_UTF32_LE + TEXT.encode("utf-32-le"),
        codecs.BOM_UTF32_BE + TEXT.encode("utf-32-be"),
        TEXT.encode("utf-16-le"),  # no BOM: told by its zero bytes
        TEXT.encode("utf-16-be"),
        codecs.BOM_UTF8 + TEXT.encode(),
    ],
)
def test_utf16_and_utf32_are_decoded(tmp_path, data):
    path = tmp_path / "a.txt"
    path.write_bytes(data)
    [article] = read(path)
    assert article.title == "Bridge reopens after repairs"
    assert article.text == TEXT.splitlines()[1]


def test_binary_is_still_binary(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(InputError, match="binary"):
        read(path)


@pytest.mark.parametrize(
    "line",
    [
        "Officials said the bridge would reopen on Monday after three weeks of repairs",
        "2024-01-02 Officials said the bridge would reopen on Monday after three weeks of repairs",
    ],
)
def test_a_one_line_article_keeps_its_line_as_text(line):
    [article] = read(line)
    assert article.text == "Officials said the bridge would reopen on Monday after three weeks of repairs"
    [again] = read({"id": "one", "text": line})
    assert again.text == article.text
    assert prepare([line]).articles[0].text == article.text


@pytest.mark.parametrize("text, language", [(RUSSIAN, "Russian"), (ARABIC, "Arabic"), (CHINESE, "Chinese")])
def test_another_language_is_reported_as_such(tmp_path, text, language):
    path = tmp_path / "foreign.txt"
    path.write_text(text)
    with pytest.raises(InputError, match=f"not English \\(looks like {language}") as info:
        prepare(path)
    assert "furniture" not in str(info.value)
    (tmp_path / "english.txt").write_text(TEXT)
    prepared = prepare(tmp_path)
    assert [a.id for a in prepared.articles] == ["english"]
    [item] = prepared.skipped
    assert item.id == "foreign" and item.reason.startswith(f"not English (looks like {language}")


def test_english_with_a_few_foreign_words_is_english():
    text = TEXT + " The sign read «Мост открыт» and «桥梁开放» in two languages."
    assert prepare(text).articles


def test_json_the_parser_refuses_is_skipped_not_a_traceback(tmp_path):
    path = tmp_path / "wire.jsonl"
    path.write_text('{"id": "ok", "text": "' + TEXT.splitlines()[1] + '"}\n{"text": "x", "n": ' + "1" * 5_000 + "}\n")
    skipped = []
    assert [a.id for a in read(path, skipped)] == ["ok"]
    assert [s.id for s in skipped] == [f"{path}:2"] and "not valid JSON" in skipped[0].reason
    whole = tmp_path / "n.json"
    whole.write_text("[" + "1" * 5_000 + "]")
    with pytest.raises(InputError, match="n.json: invalid JSON"):
        read(whole)


def test_lone_surrogates_from_json_escapes_are_replaced():
    [article] = read('{"id": "s", "text": "Officials said \\ud800 the bridge would reopen on Monday."}')
    assert "\ud800" not in article.text and article.text.endswith("reopen on Monday.")
    assert prepare(["Officials said \ud800 the bridge would reopen on Monday.\nIt did."]).articles
