"""Threads link one specific situation, not one beat: two stories that share rare terms
(a building collapse and the end of its search a week later) are threaded; stories that
share only a beat's common words (Senate Democrats on three bills) are not; and a stream
fed night by night threads them as one batch does."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import scipy.sparse as sp
from test_threads import FAKE

from summarize.errors import InputError
from summarize.events.cluster import ClusterOptions, StoryIndex, cluster_report
from summarize.events.threads import ThreadSettings, assign_threads
from summarize.records import Article

BEAT_LEAD = "Senate Democrats said on {day} that "
# One beat, several events: the same chamber and party, different bills on different days.
BEAT = {
    "insulin": ("2021-07-12", "Monday", [
        "the Senate would vote on a bill to cap insulin prices at 35 dollars a month for "
        "Medicare patients.",
        "the Senate will take up a cap of 35 dollars a month on insulin costs for patients on "
        "Medicare.",
        "a vote on limiting the monthly price of insulin for Medicare patients to 35 dollars "
        "is coming.",
    ]),
    "fed": ("2021-07-13", "Tuesday", [
        "hearings on Sarah Bloom Raskin, the nominee for the Federal Reserve board, would start "
        "soon.",
        "the Banking Committee would hold hearings on the Federal Reserve nominee Sarah Bloom "
        "Raskin.",
        "Sarah Bloom Raskin's nomination to the Federal Reserve board will get its committee "
        "hearing.",
    ]),
    "cannabis": ("2021-07-14", "Wednesday", [
        "a draft bill would end the federal ban on marijuana and expunge cannabis convictions.",
        "they unveiled a draft law to decriminalize marijuana nationally and clear records of "
        "cannabis offenses.",
        "marijuana would be removed from the federal list of controlled drugs under their "
        "cannabis draft.",
    ]),
}
# Earlier reports of the same beat, more than a thread window before: they make the beat's
# words common (low IDF), as months of Senate news do.
OLDER = ["the Senate would debate a bill on {x} before the recess, and Senate Republicans "
         "objected to the vote.".format(x=x)
         for x in ("drug prices", "postal reform", "chip makers", "police reform", "gun checks",
                   "student loans", "veterans care", "rail safety")]
# One situation, two events a week apart: the collapse, then the end of the search.
COLLAPSE = {
    "fall": ("2021-07-08", [
        "Part of the Champlain Towers South condo in Surfside collapsed overnight. Rescue crews "
        "pulled survivors from the rubble and 159 residents are unaccounted for, officials in "
        "Surfside said.",
        "A wing of the twelve-storey Champlain Towers South condominium in Surfside fell early "
        "on Thursday; firefighters searched the rubble as 159 people remained missing.",
        "The Champlain Towers South building in Surfside partially collapsed, leaving 159 "
        "residents missing while rescuers dug through concrete rubble through the night.",
    ]),
    "end": ("2021-07-14", [
        "Officials ended the search for survivors at the Champlain Towers South site in "
        "Surfside, turning to recovery of remains; families gathered at a memorial for the 97 "
        "victims.",
        "The search at Champlain Towers South in Surfside is now a recovery operation, the fire "
        "chief told families of the 97 victims at a memorial service.",
        "Rescue work at the Surfside condo Champlain Towers South became a recovery effort after "
        "crews found no survivors; the toll stands at 97 victims, families were told.",
    ]),
}


def pool() -> list[Article]:
    arts = [Article(id=f"older{i}", text=BEAT_LEAD.format(day="Monday") + text,
                    published=f"2021-05-{i + 3:02d}") for i, text in enumerate(OLDER)]
    for name, (day, weekday, texts) in BEAT.items():
        arts += [Article(id=f"{name}{i}", text=BEAT_LEAD.format(day=weekday) + text,
                         published=day) for i, text in enumerate(texts)]
    for name, (day, texts) in COLLAPSE.items():
        arts += [Article(id=f"{name}{i}", text=text, published=day) for i, text in enumerate(texts)]
    return arts


def threads_by_first(report) -> dict[str, str]:
    """First member id of each story -> its thread id."""
    return {s.articles[0].id.rstrip("0123456789"): s.thread_id for s in report.stories}


def test_the_defaults_weigh_distinctive_terms():
    assert ClusterOptions().thread_distinct_weight > 0


@pytest.mark.parametrize("real", [False, True], ids=["fake", "minilm"])
def test_a_shared_situation_is_threaded_and_a_shared_beat_is_not(real):
    from summarize.nlp.embed import default_embedder

    embedder = default_embedder() if real else FAKE
    report = cluster_report(pool(), embedder=embedder)
    stories = {s.articles[0].id: s for s in report.stories}
    assert {"fall0", "end0", "insulin0", "fed0", "cannabis0"} <= set(stories)  # five events
    thread = threads_by_first(report)
    assert thread["fall"] == thread["end"]  # the collapse and the end of its search
    assert len({thread["insulin"], thread["fed"], thread["cannabis"], thread["fall"]}) == 4
    if real:
        return  # MiniLM vectors alone already link the collapse's two events
    # With bag-of-words vectors the mean similarity alone does not link the collapse's two
    # events: it is the rule that threads them.
    plain = replace(ClusterOptions(), thread_distinct_weight=0.0)
    thread = threads_by_first(cluster_report(pool(), embedder=embedder, options=plain))
    assert thread["fall"] != thread["end"]


@pytest.mark.parametrize("real", [False, True], ids=["fake", "minilm"])
def test_night_by_night_threads_as_one_batch(real):
    from summarize.nlp.embed import default_embedder

    embedder = default_embedder() if real else FAKE
    arts = pool()
    batch = cluster_report(arts, embedder=embedder)
    nights: dict[str, list[Article]] = {}
    for art in arts:
        nights.setdefault(art.published, []).append(art)
    index = StoryIndex()
    for night in sorted(nights):
        index = StoryIndex.from_dict(index.to_dict())  # what the digest store does
        index.assign(nights[night], embedder=embedder)

    def partition(thread_of_article: dict[str, str]) -> list[list[str]]:
        groups: dict[str, list[str]] = {}
        for article, thread in sorted(thread_of_article.items()):
            groups.setdefault(thread, []).append(article)
        return sorted(groups.values())

    streamed = {a: index.thread_of(s) for a, s in index.members.items()}
    assert partition({a.id: s.thread_id for s in batch.stories for a in s.articles}) == \
        partition(streamed)
    assert streamed["fall0"] == streamed["end0"] != streamed["cannabis0"]


def test_the_rule_needs_the_terms():
    settings = ThreadSettings(threshold=0.2, decay_per_day=0.0, max_gap_days=30.0, neighbors=5,
                              exact_limit=100, probes=1, seed=0, distinct_weight=0.2)
    dense = np.eye(2)
    with pytest.raises(InputError, match="ThreadTerms"):
        assign_threads(["s-a", "s-b"], ["", ""], dense, sp.csr_matrix((2, 4)), np.ones(2),
                       np.ones(2), np.zeros(2), np.zeros(2), settings)


def test_an_index_saved_before_the_rule_keeps_threading_as_it_was_built():
    index = StoryIndex()
    index.assign(pool()[:4], embedder=FAKE)
    saved = index.to_dict()
    saved["options"] = {k: v for k, v in saved["options"].items()
                        if k not in ("thread_distinct_weight", "thread_distinct_power")}
    assert StoryIndex.from_dict(saved).options.thread_distinct_weight == 0.0
    assert StoryIndex.from_dict(index.to_dict()).options.thread_distinct_weight == \
        ClusterOptions().thread_distinct_weight
