from summarize.nlp.segment import sentences, split
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
