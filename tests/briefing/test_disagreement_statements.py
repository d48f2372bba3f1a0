from conftest import HashingEmbedder, make_article

from summarize.briefing import render
from summarize.briefing.compose import brief_story, order_by_time
from summarize.options import Options
from summarize.records import Brief, BriefSentence, Disagreement, Source, Story, Support

SOURCES = (Source(n=1, article_id="a", outlet="Alpha", published="2005-11-02"),
           Source(n=2, article_id="b", outlet="Beta", published="2005-11-03"))


def brief_with(*disagreements):
    return Brief(story_id="s", title="Storm", sentences=(), sources=SOURCES, disagreements=disagreements)


def test_a_disagreement_with_subject_day_and_figures_round_trips_and_reads_as_one_line():
    d = Disagreement(topic="death", a_text="The storm killed 38 people in Kabul.", a_citations=(1,),
                     b_text="The storm killed 30 people in Kabul.", b_citations=(2,), kind="number",
                     subject="the death toll in Kabul", when="2005-11-02", a_figure="38", b_figure="30")
    b = brief_with(d)
    assert render.from_json(render.to_json(b)) == b
    md = render.to_markdown(b)
    assert "**Where outlets differ**\n\n- The death toll in Kabul on Nov. 2: 38 [1] vs 30 [2]\n" in md
    assert "  - \u201cThe storm killed 38 people in Kabul.\u201d [1]" in md
    # JSON written before the new fields still reads back
    data = b.to_dict()
    for key in ("subject", "when"):
        del data["disagreements"][0][key]
    del data["disagreements"][0]["a"]["figure"]
    again = Brief.from_dict(data).disagreements[0]
    assert (again.subject, again.when, again.a_figure, again.b_figure) == ("", "", "", "30")


def test_a_changed_figure_is_listed_apart_with_the_latest_figure_and_its_day():
    d = Disagreement(topic="death", a_text="12 died.", a_citations=(1,), b_text="20 died.", b_citations=(2,),
                     kind="update", subject="the death toll", when="2005-11-03", a_figure="12", b_figure="20")
    md = render.to_markdown(brief_with(d))
    assert "**Where outlets differ**" not in md
    assert "**Figures that changed**\n\n- The death toll: 12 [1], then 20 [2] on Nov. 3 (latest)\n" in md


def _sentence(text, article):
    return BriefSentence(text=text, citations=(1,), support=(
        Support(n=1, article_id=article, start=0, end=len(text), text=text, similarity=1.0),))


def test_sentences_of_a_multi_day_story_follow_event_time():
    class Ev:  # only the story is read
        story = Story(id="s", articles=(make_article("a", "x", published="2005-11-03"),
                                        make_article("b", "y", published="2005-11-04")))

    later = _sentence("Rescuers found 20 more survivors.", "b")
    earlier = _sentence("The storm made landfall on Tuesday.", "a")  # Nov. 1
    same_day = _sentence("Officials counted the damage.", "a")  # Nov. 3, its article's day
    assert order_by_time([later, same_day, earlier], Ev) == (earlier, same_day, later)

    class OneDay:
        story = Story(id="s", articles=(make_article("a", "x", published="2005-11-03"),))

    assert order_by_time([later, earlier], OneDay) == (later, earlier)


def test_a_brief_of_a_two_day_story_states_the_latest_figure_as_an_update():
    # the real path of compose (score, select, extractive writer, attribute), with the
    # fast hashing embedder in place of MiniLM
    a = make_article("a", "Hurricane Beta hit the coast of Honduras on Tuesday. "
                          "Officials said the storm killed 12 people in Honduras. "
                          "Rescue teams reached the northern villages.", outlet="Alpha", published="2005-11-02")
    b = make_article("b", "Hurricane Beta left the coast of Honduras flooded. "
                          "Officials said the storm killed 20 people in Honduras. "
                          "Aid flights landed in the capital.", outlet="Beta", published="2005-11-03")
    brief = brief_story(Story(id="s", articles=(a, b)), Options.build(model="extractive", words=60),
                        embedder=HashingEmbedder())
    [change] = brief.disagreements
    assert (change.kind, change.a_figure, change.b_figure, change.when) == ("update", "12", "20", "2005-11-03")
    assert change.subject == "the death toll in Honduras"
    assert "- The death toll in Honduras: 12 [1], then 20 [2] on Nov. 3 (latest)" in render.to_markdown(brief)
