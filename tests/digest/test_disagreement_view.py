from summarize.digest import render as digest_render
from summarize.digest.records import Digest, DigestStory
from summarize.records import Brief, BriefSentence, Disagreement, Source


def _digest(*disagreements):
    sources = (Source(1, "a", "Alpha", "A", "https://a.example/1", "2005-11-02"),
               Source(2, "b", "Beta", "B", "https://b.example/2", "2005-11-03"))
    brief = Brief("s-1", "Storm", (BriefSentence("The storm hit Honduras.", (1, 2), ()),), sources,
                  disagreements=disagreements)
    return Digest("2005-11-03", (DigestStory(1, "s-1", 1.0, brief, ("a", "b"), ("Alpha", "Beta")),), (), {})


def test_the_page_shows_what_outlets_differ_on_and_lists_changed_figures_apart():
    differ = Disagreement("death", "38 <b>died</b> in Kabul.", (1,), "30 died in Kabul.", (2,), kind="number",
                          subject="the death toll in Kabul", when="2005-11-02", a_figure="38", b_figure="30")
    changed = Disagreement("death", "12 died.", (1,), "20 died.", (2,), kind="update", subject="the death toll",
                           when="2005-11-03", a_figure="12", b_figure="20")
    page = digest_render.to_html(_digest(differ, changed))
    differ_block = page[page.index("<h3>Where outlets differ</h3>"):]
    assert "the death toll in Kabul (2005-11-02)" in differ_block
    assert "<strong>38</strong>, “38 &lt;b&gt;died&lt;/b&gt; in Kabul.”" in differ_block
    assert "“12 died.”" not in page  # an update is not shown as outlets differing
    assert "<strong>the death toll</strong>: 12" in page and "then 20" in page and "on 2005-11-03 (latest)" in page


def test_a_page_with_only_a_changed_figure_says_no_outlets_differ():
    changed = Disagreement("death", "12 died.", (1,), "20 died.", (2,), kind="update", subject="the death toll",
                           when="2005-11-03", a_figure="12", b_figure="20")
    page = digest_render.to_html(_digest(changed))
    assert "Where outlets differ" not in page and "outlets differ" not in page
    assert "(latest)" in page
