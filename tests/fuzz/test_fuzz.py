"""Property-based fuzzing (hypothesis): hostile input may only ever raise a SummarizeError.

Targets: the loaders, the feed parser, the cleaner, the segmenter, the clusterer, the
disagreement finder, the brief and digest renderers, and the digest's input reader. Inputs
are random bytes, random Unicode (right-to-left marks, zero-width characters, lone
surrogates, control characters), broken HTML, JSON / JSONL / XML fragments mutated at
random, deep nesting, and huge or empty fields.

Two profiles: ``fast`` (the default, a few dozen examples per target, run by ``make test``)
and ``long`` (``SUMMARIZE_FUZZ_PROFILE=long``, 10,000 examples per target, run by
``benchmarks/fuzz.py``). Any example slower than 10 s fails as a hang (hypothesis'
deadline).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np
from conftest import HashingEmbedder
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from summarize.briefing import render as brief_render
from summarize.digest import render as digest_render
from summarize.digest.records import Digest, DigestStory
from summarize.errors import SummarizeError
from summarize.events.cluster import StoryIndex
from summarize.evidence.disagree import find_conflicts, quantities
from summarize.ingest import clean, feeds, loaders
from summarize.ingest.prepare import read_inputs
from summarize.nlp import segment
from summarize.records import (
    Article,
    Brief,
    BriefSentence,
    Disagreement,
    Fact,
    ScoredSentence,
    Sentence,
    Source,
    Support,
)

_COMMON = {"deadline": 10_000, "derandomize": False, "print_blob": True,
           "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.function_scoped_fixture]}
settings.register_profile("fast", max_examples=25, **{**_COMMON, "derandomize": True})  # same examples every run
settings.register_profile("medium", max_examples=500, **_COMMON)
settings.register_profile("long", max_examples=int(os.environ.get("SUMMARIZE_FUZZ_EXAMPLES", "10000")), **_COMMON)
settings.load_profile(os.environ.get("SUMMARIZE_FUZZ_PROFILE", "fast"))

# --- strategies ------------------------------------------------------------------------

TRICKY = ["\u202e", "\u200b", "\u200d", "\ufeff", "\x00", "\x1b[31m", "\ud800", "\udfff", "\r", "\u2028",
          "\u0644\u0627", "\u4e2d\u6587", "Ё", "é", "\U0001F600", "&amp;", "<", ">", "\"", "'", "{{", "}}"]
WORDS = ["The", "minister", "said", "on", "Monday", "that", "12", "people", "died", "1,400", "percent",
         "Reuters", "(AP)", "—", ".", "!", "?", "\n", "\n\n", "  ", "$568 billion", "Mr.", "U.S.", "\"", "said."]

unicode_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=400)
wordy_text = st.lists(st.sampled_from(WORDS + TRICKY), max_size=120).map(" ".join)
any_text = st.one_of(unicode_text, wordy_text, st.sampled_from(["", " ", "\n" * 50, "a" * 5000, "." * 3000]))


@st.composite
def nested(draw) -> str:
    depth = draw(st.integers(0, 3000))
    opener = draw(st.sampled_from(["[", "{\"a\":", "<div>", "<b><i>"]))
    return opener * depth + draw(st.sampled_from(["1", "\"x\"", "text", ""]))


@st.composite
def mutated(draw, base: str) -> str:
    """A valid document with random cuts, insertions and duplications."""
    text = base
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(["cut", "insert", "dup"]))
        if op == "cut":
            text = text[:at] + text[at + draw(st.integers(0, 40)):]
        elif op == "insert":
            text = text[:at] + draw(st.sampled_from(TRICKY + ["{", "]", "<", "\"", "\\", ","])) + text[at:]
        else:
            text = text[:at] + text[:at][-draw(st.integers(0, 30)):] + text[at:]
    return text


JSON_DOC = json.dumps([{"id": "a", "title": "T", "text": "The minister said 12 people died.", "outlet": "X",
                        "published": "2024-01-02", "url": "https://x.example/a"}])
JSONL_DOC = "\n".join(json.dumps({"id": f"a{i}", "text": f"Story {i} said 12 people died."}) for i in range(3))
HTML_DOC = ("<html><head><title>T</title><meta property='og:site_name' content='X'></head><body><article>"
            "<h1>Head</h1><p>The minister said 12 people died on Monday.</p><script>alert(1)</script>"
            "</article></body></html>")
RSS_DOC = ("<?xml version='1.0'?><rss version='2.0'><channel><title>F</title><item><title>A</title>"
           "<link>https://x.example/a</link><description>The minister said 12 people died.</description>"
           "<pubDate>Mon, 06 Nov 2023 18:00:00 GMT</pubDate></item></channel></rss>")

documents = st.one_of(
    any_text, nested(),
    mutated(JSON_DOC), mutated(JSONL_DOC), mutated(HTML_DOC), mutated(RSS_DOC),
    st.binary(max_size=600).map(lambda b: b.decode("latin-1")),
)
suffixes = st.sampled_from(["", ".txt", ".json", ".jsonl", ".html", ".xml", ".rss"])


def tolerated(call, *args, **kwargs):
    """Run ``call``; a SummarizeError is an allowed answer to hostile input, nothing else is."""
    try:
        return call(*args, **kwargs)
    except SummarizeError:
        return None


# --- targets ---------------------------------------------------------------------------


@given(documents, suffixes)
def test_loaders_parse_text(text, suffix):
    tolerated(loaders.parse_text, text, origin="fuzz", id="f", suffix=suffix)


@given(st.one_of(st.binary(max_size=2000), documents.map(lambda t: t.encode("utf-8", "surrogatepass"))))
def test_loaders_read_bytes(data):
    tolerated(loaders.read, data)


@given(st.one_of(st.binary(max_size=2000), mutated(RSS_DOC).map(lambda t: t.encode("utf-8", "surrogatepass"))))
def test_feed_parser(data):
    tolerated(feeds.parse_feed, data, "fuzz.rss", [])


@given(documents)
def test_cleaner(text):
    cleaned, furniture = tolerated(clean.clean_text, text) or ("", ())
    assert isinstance(cleaned, str)


@given(documents)
def test_segmenter(text):
    spans = tolerated(segment.split_spans, text) or []
    assert all(0 <= a <= b <= len(text) for a, b in spans)


articles = st.builds(
    Article, id=st.text(min_size=1, max_size=20), text=any_text, outlet=st.text(max_size=20),
    title=any_text, published=st.one_of(st.just(""), st.text(max_size=12), st.dates().map(str)),
)


@given(st.lists(articles, max_size=8))
def test_clusterer(batch):
    index = StoryIndex()
    result = tolerated(index.assign, batch, embedder=HashingEmbedder(32))
    if result is not None:
        placed = set(result.assignments) | {s.id for s in result.skipped}
        assert {a.id for a in batch} <= placed


@given(st.lists(any_text, min_size=1, max_size=6))
def test_disagreement_finder(texts):
    sentences = [Sentence(f"a{i}", 0, 0, len(t), t) for i, t in enumerate(texts)]
    for s in sentences:
        tolerated(quantities, s)
    scored = [ScoredSentence(s, s.article_id, 0.5, 0.5, 0.5, 0.5) for s in sentences]
    sim = np.ones((len(scored), len(scored)))
    tolerated(find_conflicts, scored, sim, {s.article_id: s.article_id for s in sentences})


def _brief(texts: list[str], urls: list[str]) -> Brief:
    sources = tuple(Source(n=i + 1, article_id=f"a{i}", outlet=t[:30], title=t[:40], url=u, published=t[:10])
                    for i, (t, u) in enumerate(zip(texts, urls)))
    sentences = tuple(BriefSentence(text=t, citations=(1,), support=(Support(1, "a0", 0, len(t), t, 0.5),))
                      for t in texts)
    return Brief(story_id="s-1", title=texts[0], sentences=sentences, sources=sources,
                 facts=(Fact(texts[0], (1,), 3),), unique=(Fact(texts[-1], (1,), 1),),
                 disagreements=(Disagreement("toll", texts[0], (1,), texts[-1], (1,)),))


@given(st.lists(any_text, min_size=1, max_size=4), st.lists(st.one_of(any_text, st.just("javascript:alert(1)")),
                                                          min_size=4, max_size=4))
def test_renderers(texts, urls):
    brief = _brief(texts, urls)
    assert brief_render.from_json(brief_render.to_json(brief)) == brief
    tolerated(brief_render.to_markdown, brief)
    digest = Digest(date="2026-11-23", stories=(DigestStory(1, "s-1", 1.0, brief, ("a0",), (texts[0],)),),
                    counts={"read": 1})
    tolerated(digest_render.to_markdown, digest)
    tolerated(digest_render.to_html, digest)
    json.dumps(digest_render.to_dict(digest), ensure_ascii=False)


@given(st.lists(st.tuples(suffixes, st.one_of(st.binary(max_size=800),
                                              documents.map(lambda t: t.encode("utf-8", "surrogatepass")))),
                min_size=1, max_size=4))
def test_digest_input_reader(files):
    with tempfile.TemporaryDirectory() as tmp:
        for i, (suffix, data) in enumerate(files):
            Path(tmp, f"in{i}{suffix or '.txt'}").write_bytes(data)
        skipped: list = []
        tolerated(read_inputs, [tmp], skipped)
