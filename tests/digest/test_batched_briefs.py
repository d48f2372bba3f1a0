"""The night's briefs written side by side, their model calls decoded together
(summarize.digest.engine.write_briefs, summarize.models.batching): each brief is the one
its story gets alone."""

from __future__ import annotations

import json
import threading

import pytest
from conftest import JOBLESS_CLAIMS, TRIP, FakeGeneration, HashingEmbedder

import summarize
from summarize.digest import engine
from summarize.digest import job as digest
from summarize.errors import ModelError
from summarize.models import generative
from summarize.models.batching import GenerationBatcher
from summarize.options import Options
from summarize.records import Story


def _stories() -> list[Story]:
    """Four stories: the seed trip (4 outlets) and three weeks of jobless claims (3 outlets each)."""
    trip = summarize.load(TRIP)
    stories = [Story(id="trip", articles=tuple(trip))]
    for week, (n, e, c, w) in enumerate([("412,000", "425,000", "3.7", "May 8"),
                                         ("376,000", "390,000", "3.6", "May 15"),
                                         ("344,000", "360,000", "3.5", "May 22")]):
        articles = summarize.load([{"id": f"w{week}-{i}", "text": t.format(n=n, e=e, c=c, w=w),
                                    "outlet": f"Outlet {i}", "published": f"2021-05-{13 + 7 * week}"}
                                   for i, t in enumerate(JOBLESS_CLAIMS)])
        stories.append(Story(id=f"claims-{week}", articles=tuple(articles)))
    return stories


class EchoModel:
    """Answers a claim prompt with the last line of its user turn (a function of the prompt
    alone, as greedy decoding is), alone or many at a time; records the calls."""

    spec = "echo"
    default_options = generative.DecodingOptions(prompt_lookup_num_tokens=10)

    def __init__(self) -> None:
        self.calls: list[int] = []
        self.threads: set[int] = set()  # the threads the model ran on
        self._lock = threading.Lock()

    def _answer(self, prompt) -> FakeGeneration:
        user = prompt[-1]["content"] if isinstance(prompt, list) else prompt
        line = [t for t in user.splitlines() if t.strip()][-1]
        return FakeGeneration(line.strip(), new_tokens=5)

    def generate(self, prompt, max_new_tokens=256, options=None):
        with self._lock:
            self.calls.append(1)
            self.threads.add(threading.get_ident())
        return self._answer(prompt)

    def generate_many(self, prompts, max_new_tokens, options=None):
        assert len(max_new_tokens) == len(prompts)
        with self._lock:
            self.calls.append(len(prompts))
            self.threads.add(threading.get_ident())
        return [self._answer(p) for p in prompts]


@pytest.fixture
def echo(monkeypatch):
    model = EchoModel()
    monkeypatch.setattr(generative, "get_model", lambda spec="default", backend=None: model)
    return model


def test_batched_briefs_equal_the_briefs_written_one_by_one(echo):
    options = Options(model="echo-model", words=60)
    stories = _stories()
    alone = {s.id: engine.write_brief(s, options, HashingEmbedder())[0] for s in stories}
    assert set(echo.calls) == {1}
    echo.calls.clear()
    echo.threads.clear()
    made = list(engine.write_briefs([(s.id, s) for s in stories], options, HashingEmbedder(), width=3))
    assert sorted(key for key, _, _ in made) == sorted(alone)
    for key, brief, evidence in made:
        assert brief.text == alone[key].text
        assert brief.metadata["writer"]["claims"] == alone[key].metadata["writer"]["claims"]
        assert evidence.story.id == key
    assert max(echo.calls) > 1  # prompts of several stories really went in one call
    # Every call ran on the batcher's one model thread (one OpenMP team), not a writer's.
    assert len(echo.threads) == 1 and threading.get_ident() not in echo.threads
    assert sum(echo.calls) == sum(a.metadata["writer"]["claims_generated"] for a in alone.values())


def test_the_embedder_is_only_called_from_the_iterating_thread(echo):
    callers = set()

    class Watched(HashingEmbedder):
        def encode(self, texts):
            callers.add(threading.get_ident())
            return super().encode(texts)

    stories = _stories()
    made = list(engine.write_briefs([(s.id, s) for s in stories], Options(model="echo-model"), Watched(), width=4))
    assert len(made) == len(stories) and callers == {threading.get_ident()}


def test_a_failing_brief_stops_the_night_with_its_error(echo, monkeypatch):
    def broken(prompt, max_new_tokens=256, options=None):
        raise ModelError("the model failed")

    monkeypatch.setattr(echo, "generate_many", lambda *a, **k: broken(None))
    monkeypatch.setattr(echo, "generate", broken)
    stories = _stories()
    with pytest.raises(ModelError, match="the model failed"):
        list(engine.write_briefs([(s.id, s) for s in stories], Options(model="echo-model"), HashingEmbedder(), width=2))


def test_batcher_waits_for_every_member_and_runs_a_lone_call_alone():
    model = EchoModel()
    batcher = GenerationBatcher(model)
    results: dict[int, str] = {}

    def ask(i: int) -> None:
        results[i] = batcher.generate([{"role": "user", "content": f"claim {i}"}], 10).text
        batcher.left()

    for _ in range(3):
        batcher.joined()
    threads = [threading.Thread(target=ask, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert results == {i: f"claim {i}" for i in range(3)} and model.calls == [3] == batcher.batches
    batcher.joined()
    assert batcher.generate("alone", 5).text == "alone" and model.calls == [3, 1]
    assert batcher.spec == "echo" and not hasattr(batcher, "generate_batch")
    batcher.close()


def test_digest_with_a_model_writes_every_brief_ahead_in_batches_and_reruns_from_the_cache(echo, tmp_path):
    lines = []
    for story in _stories():
        lines += [json.dumps({"id": a.id, "text": a.text, "outlet": a.outlet, "published": "2021-05-27"})
                  for a in story.articles]
    source = tmp_path / "night.jsonl"
    source.write_text("\n".join(lines) + "\n")
    kwargs = dict(date="2021-05-27", out_dir=tmp_path / "out", store=tmp_path / "s.sqlite",
                  options=Options(model="echo-model"), embedder=HashingEmbedder())
    first = digest.run([str(source)], **kwargs, engine=engine.LocalEngine(width=3))
    assert first.counts["briefs_written"] == len(first.stories) >= 2 and max(echo.calls) > 1
    echo.calls.clear()
    one_by_one = digest.run([str(source)], **{**kwargs, "store": tmp_path / "t.sqlite", "out_dir": tmp_path / "o2"})
    assert set(echo.calls) == {1}  # the default engine writes one story at a time
    assert [s.brief.text for s in one_by_one.stories] == [s.brief.text for s in first.stories]
    again = digest.run([str(source)], **kwargs)
    assert again.counts["briefs_cached"] == len(first.stories)


@pytest.mark.slow
@pytest.mark.model
def test_batched_briefs_equal_one_by_one_with_the_tiny_model(monkeypatch):
    """The real path: the packaged ``tiny`` model's greedy loop, alone with prompt lookup
    against several stories' prompts decoded together (``generate_many``)."""
    monkeypatch.setenv("SUMMARIZE_NUM_THREADS", "1")
    options = Options(model="tiny", words=60)
    stories = _stories()
    alone = {s.id: engine.write_brief(s, options, HashingEmbedder())[0] for s in stories}
    model = generative.get_model("tiny")
    calls = []
    many = model.generate_many

    def spy(prompts, max_new_tokens, options=None):
        calls.append(len(prompts))
        return many(prompts, max_new_tokens, options)

    monkeypatch.setattr(model, "generate_many", spy)
    made = list(engine.write_briefs([(s.id, s) for s in stories], options, HashingEmbedder(), width=3))
    assert calls and max(calls) > 1
    assert {key: brief.text for key, brief, _ in made} == {k: b.text for k, b in alone.items()}
    assert sum(a.metadata["writer"]["claims_generated"] for a in alone.values()) > len(stories)
