import pytest

from summarize.nlp.segment import sentences, split, split_spans
from summarize.records import Article


def test_abbreviations_do_not_end_sentences():
    text = (
        "ANKARA, Nov 6 (Reuters) - U.S. Secretary of State Antony Blinken concluded his trip. "
        "The escalation began on Oct. 7 and saw little progress. "
        "Gen. Smith and Sen. Warren met in Washington."
    )
    assert split(text) == [
        "ANKARA, Nov 6 (Reuters) - U.S. Secretary of State Antony Blinken concluded his trip.",
        "The escalation began on Oct. 7 and saw little progress.",
        "Gen. Smith and Sen. Warren met in Washington.",
    ]


def test_question_inside_quote_does_not_split_the_sentence():
    text = 'He asked "Is it over?" and left the room. "Why now?" she said.'
    assert split(text) == ['He asked "Is it over?" and left the room.', '"Why now?" she said.']


def test_us_mid_sentence_and_at_the_end():
    assert split("The U.S. said Hamas violated it. Talks went on.") == [
        "The U.S. said Hamas violated it.",
        "Talks went on.",
    ]


def test_offsets_point_into_the_article_text():
    art = Article(id="a", text="First line here.\n\nSecond one. Third one!")
    sents = sentences(art)
    assert [s.text for s in sents] == ["First line here.", "Second one.", "Third one!"]
    for s in sents:
        assert art.text[s.start:s.end] == s.text


def test_lines_without_letters_are_not_sentences():
    assert split('" "\n\nReal sentence here.') == ["Real sentence here."]


def test_a_long_paragraph_is_split_like_short_ones():
    text = " ".join(f"Sentence {i} was said by Gen. Smith in the U.S. on Oct. 7 this year." for i in range(3_000))
    spans = split(text)
    assert len(spans) == 3_000
    assert spans[1234] == "Sentence 1234 was said by Gen. Smith in the U.S. on Oct. 7 this year."


@pytest.mark.slow  # Punkt reads about 60,000 such characters a second: ~10 s here
def test_dense_sentence_ends_do_not_trip_nltks_regex_timeout():
    # 600,000 characters in one paragraph: NLTK's guarded regex gave up after 5 s on it.
    assert len(split("A. b. " * 100_000)) > 1


def test_a_run_on_line_is_cut_into_sentence_sized_pieces():
    text = " ".join(["word"] * 200_000)  # a million characters, no punctuation
    spans = split_spans(text)
    assert len(spans) > 100
    assert all(e - s <= 2_000 for s, e in spans)
    assert all(not text[s:e].startswith(" ") and not text[s:e].endswith(" ") for s, e in spans)
    assert spans[0][0] == 0 and spans[-1][1] == len(text)


def test_limit_stops_after_that_many_sentences():
    text = "\n".join(f"Line {i} is here." for i in range(1_000))
    assert split_spans(text, limit=3) == split_spans(text)[:3]
