"""Events, not beats: same-beat events stay apart, long events stay whole, and stories of
one storyline are linked as a thread (stable across nights) instead of merged."""

from __future__ import annotations

import zlib
from dataclasses import replace

import numpy as np
import pytest
from conftest import INFRASTRUCTURE_TALKS, JOBLESS_CLAIMS

from summarize.errors import InputError
from summarize.events.cluster import (
    ClusterOptions,
    StoryIndex,
    cluster,
    cluster_report,
    cluster_vectors,
)
from summarize.events.threads import thread_id
from summarize.records import Article


class HashingEmbedder:
    """A fast stand-in for MiniLM: L2-normalised hashed bag of lower-cased words."""

    name = "fake-hashing"

    def encode(self, texts):
        out = np.zeros((len(texts), 512), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                word = word.strip(".,;:!?\"'()")
                if len(word) > 3:
                    out[row, zlib.crc32(word.encode()) % 512] += 1.0
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


FAKE = HashingEmbedder()

# Two events of one beat on one day: the same people, chamber and day, different bills,
# figures and senators.
CONTEXT = (
    "Senate Democrats and Senate Republicans clashed again on Thursday as the White House "
    "pressed Congress to act before the July recess, and party leaders Chuck Schumer and "
    "Mitch McConnell traded blame on the Senate floor. "
)
SENATE = {
    "infra": [
        *INFRASTRUCTURE_TALKS["offer"],
        "Shelley Capito led Senate Republicans in presenting a $568 billion counterproposal on "
        "infrastructure on Thursday. The plan funds bridges, roads and broadband; Democrats in "
        "the Senate dismissed the offer as far too small for the White House.",
    ],
    "votes": [
        "The Senate on Thursday failed to advance a voting rights bill in a 50-50 vote, as "
        "Republicans blocked debate. Senator Joe Manchin joined Democrats after a compromise on "
        "voter identification. The White House said the fight over ballot access would "
        "continue.",
        "Senate Republicans blocked the voting rights bill 50-50 on Thursday. Joe Manchin voted "
        "with fellow Democrats after they accepted his voter identification compromise, and "
        "the White House vowed to keep fighting for ballot access.",
        "A 50-50 Senate vote on Thursday stopped the Democrats' voting rights bill. Republicans "
        "refused to open debate despite Joe Manchin's compromise on voter identification; the "
        "White House promised the fight over ballot access is not over.",
    ],
}

CLAIMS = JOBLESS_CLAIMS

MERGER = (
    "Acme Robotics agreed to buy Helix Sensors for $4.2 billion in cash, the companies said on "
    "Tuesday, creating the largest maker of warehouse automation in Europe. Acme chief "
    "executive Dana Voss said the deal would close by March after regulatory approval."
)


def senate(published: str = "2021-04-23") -> list[Article]:
    return [Article(id=f"{name}{i}", text=CONTEXT + text, published=published)
            for name, texts in SENATE.items() for i, text in enumerate(texts)]


def claims(week: int, day: str, n: str, expected: str, continuing: str, ended: str):
    return [Article(id=f"claims{week}-{i}", published=day,
                    text=t.format(n=n, e=expected, c=continuing, w=ended))
            for i, t in enumerate(CLAIMS)]


def week1() -> list[Article]:
    return claims(1, "2021-05-13", "473,000", "490,000", "3.65", "May 8")


def week2() -> list[Article]:
    return claims(2, "2021-05-20", "444,000", "450,000", "3.75", "May 15")


def groups(stories) -> list[list[str]]:
    return sorted(sorted(a.id for a in s.articles) for s in stories)


@pytest.mark.parametrize("published", ["2021-04-23", ""])
def test_same_beat_events_on_one_day_stay_apart(published):
    expected = [["infra0", "infra1", "infra2"], ["votes0", "votes1", "votes2"]]
    assert groups(cluster(senate(published), embedder=FAKE)) == expected
    # It is the local density rule that keeps them apart: without it they merge.
    no_density = ClusterOptions(density_neighbors=0)
    assert len(cluster(senate(published), embedder=FAKE, options=no_density)) == 1


def test_a_long_event_reported_daily_stays_one_story():
    text = ("Rescue crews in Riverton kept working on day {d} after the Marrow River flood. "
            "Mayor Ellen Park said {n} residents were still in shelters and the lower town "
            "remained under water. Volunteers handed out food and the Marrow River level fell "
            "to {level} metres.")
    daily = [Article(id=f"flood-{d:02d}", published=f"2024-04-{d + 1:02d}",
                     text=text.format(d=d, n=3400 - 200 * d, level=round(9.2 - 0.3 * d, 1)))
             for d in range(10)]
    (story,) = cluster(daily, embedder=FAKE)
    assert len(story.articles) == 10


def test_a_weekly_release_makes_two_stories_of_one_thread():
    report = cluster_report(week1() + week2() + [Article(id="merger", text=MERGER,
                                                         published="2021-05-18")], embedder=FAKE)
    by_first = {s.articles[0].id: s for s in report.stories}
    first, second, merger = by_first["claims1-0"], by_first["claims2-0"], by_first["merger"]
    assert groups([first, second]) == [[a.id for a in week1()], [a.id for a in week2()]]
    assert first.thread_id == second.thread_id == thread_id(first.id)
    assert merger.thread_id == thread_id(merger.id) != first.thread_id
    # Without the time decay the two weeks would be one story.
    flat = replace(ClusterOptions(), decay_per_day=0.0, max_gap_days=30.0)
    assert len(cluster(week1() + week2(), embedder=FAKE, options=flat)) == 1


def test_threads_are_stable_across_nights_and_a_round_trip():
    index = StoryIndex()
    night1 = index.assign(week1() + [Article(id="merger", text=MERGER, published="2021-05-13")],
                          embedder=FAKE)
    story1 = night1.assignments["claims1-0"]
    thread1 = night1.threads[story1]
    assert thread1 == index.thread_of(story1) == thread_id(story1)
    assert night1.threads[night1.assignments["merger"]] != thread1

    restored = StoryIndex.from_dict(index.to_dict())
    assert restored.thread_ids == index.thread_ids
    night2 = restored.assign(week2(), embedder=FAKE)
    story2 = night2.assignments["claims2-0"]
    assert night2.created == (story2,) and story2 != story1
    assert night2.threads == {story2: thread1}
    assert restored.related(story2) == [story1]
    assert restored.related(story1) == [story2]
    assert restored.related("s-unknown") == [] and restored.thread_of("s-unknown") == ""
    # Re-assigning known articles reports their stories' threads without changing anything.
    again = restored.assign(week1()[:1], embedder=FAKE)
    assert again.threads == {story1: thread1} and again.created == ()


def test_an_empty_index_round_trips():
    empty = StoryIndex.from_dict(StoryIndex().to_dict())
    assert len(empty) == 0 and empty.thread_ids == []
    result = empty.assign(week1(), embedder=FAKE)
    assert len(result.created) == 1 and set(result.threads.values()) == {thread_id(result.created[0])}


def test_an_index_of_the_old_layout_is_refused():
    index = StoryIndex()
    index.assign(week1(), embedder=FAKE)
    old = {k: v for k, v in index.to_dict().items() if k not in ("thread_ids", "density")}
    with pytest.raises(InputError, match="version 1"):
        StoryIndex.from_dict({**old, "version": 1})
    with pytest.raises(InputError):
        StoryIndex.from_dict({**old, "version": StoryIndex.VERSION})


def infrastructure_nights() -> tuple[list[Article], list[Article]]:
    talks = INFRASTRUCTURE_TALKS
    first = [Article(id=f"offer{i}", text=t, published="2021-04-22")
             for i, t in enumerate(talks["offer"])]
    second = [Article(id="offer-late", text=talks["late"][0], published="2021-04-23")] + [
        Article(id=f"answer{i}", text=t, published="2021-04-23") for i, t in enumerate(talks["answer"])]
    return first, second


@pytest.mark.parametrize("real", [False, True], ids=["fake", "minilm"])
def test_next_night_same_event_joins_and_a_new_event_of_the_thread_is_a_new_story(real):
    from summarize.nlp.embed import default_embedder

    embedder = default_embedder() if real else FAKE
    first, second = infrastructure_nights()
    index = StoryIndex()
    night1 = index.assign(first, embedder=embedder)
    (story1,) = set(night1.assignments.values())
    index = StoryIndex.from_dict(index.to_dict())  # what the digest store does between nights
    night2 = index.assign(second, embedder=embedder)
    assert night2.assignments["offer-late"] == story1  # the same event continues its story
    story2 = night2.assignments["answer0"]
    assert night2.assignments["answer1"] == story2 and night2.created == (story2,)
    assert story2 != story1 and night2.threads[story2] == night2.threads[story1] == thread_id(story1)
    assert index.related(story2) == [story1]


def crowded_beat(lone: int = 12, dim: int = 256, beat: float = 0.18, pair: float = 0.6):
    """Unit vectors of ``lone`` single reports of one beat (cosine about ``beat`` with
    each other, none closer) plus two reports of one event (cosine about ``pair``)."""
    rng = np.random.default_rng(3)
    basis, _ = np.linalg.qr(rng.standard_normal((dim, lone + 4)))
    common, shared, own = basis[:, 0], basis[:, 1], basis[:, 2:].T
    x = np.sqrt(beat) * common + np.sqrt(1 - beat) * own[: lone + 2]
    x[-2:] = (np.sqrt(beat) * common + np.sqrt(pair - beat) * shared
              + np.sqrt(1 - pair) * own[lone : lone + 2])
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_lone_reports_of_a_crowded_beat_do_not_pair_up():
    x = crowded_beat()
    options = ClusterOptions(threshold=0.12)
    labels = cluster_vectors(x, options=options)
    assert len(set(labels[:-2])) == 12  # each lone report stays alone ...
    assert labels[-1] == labels[-2] and labels[-1] not in labels[:-2]  # ... the clear pair forms
    # Before the lone-report rules (pair margin, relative closeness from one side) the
    # beat chained into a single story.
    before = replace(options, pair_margin=-1.0, single_relative=0.0)
    assert len(set(cluster_vectors(x, options=before)[:-2])) == 1
