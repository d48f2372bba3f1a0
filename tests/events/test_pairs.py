"""The learned pair model: its shipped weights are checked, its features see what two
reports of one event share, and its re-scoring stays exact through average linkage."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
import scipy.sparse as sp
from test_threads import FAKE, senate

from summarize.errors import ModelError, ResourceMissingError
from summarize.events.cluster import ClusterOptions, StoryIndex, cluster, pair_table
from summarize.events.linkage import Groups, agglomerate
from summarize.events.pairs import (
    FEATURES,
    MODEL_PATH,
    PairTexts,
    load_pair_model,
    pair_features,
)
from summarize.events.threads import ThreadSettings, assign_threads
from summarize.records import Article


def test_the_shipped_model_loads_and_a_damaged_copy_is_refused(tmp_path):
    model = load_pair_model()
    assert model.coef.shape == model.mean.shape == model.scale.shape == (len(FEATURES),)
    assert "2021-04+2021-05" in model.trained_on  # fitted on April-May only
    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    data["coef"][0] += 1.0
    (tmp_path / "damaged.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ModelError, match="checksum"):
        load_pair_model(tmp_path / "damaged.json")
    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    data["features"] = data["features"][:-1]
    (tmp_path / "other.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ModelError, match="feature list"):
        load_pair_model(tmp_path / "other.json")
    with pytest.raises(ResourceMissingError, match="train_pairs"):
        load_pair_model(tmp_path / "missing.json")


def test_features_see_shared_figures_headlines_and_weekdays():
    titles = ["Senate Republicans unveil $568 billion infrastructure plan",
              "GOP offers $568 billion infrastructure counterproposal",
              "US to share 60 million AstraZeneca doses"]
    leads = ["Senate Republicans on Thursday unveiled a $568 billion plan, said Shelley Capito.",
             "On Thursday Shelley Capito presented the $568 billion offer of Senate Republicans.",
             "The White House said on Monday it would share 60 million AstraZeneca doses."]
    emb = np.eye(3)
    pairs = np.array([[0, 1], [0, 2], [1, 2]])
    x = pair_features(pairs, emb, np.zeros((3, 3)), PairTexts(titles, leads, leads),
                      links=np.array([0.4, 0.1, 0.1]), density=np.full(3, 0.2))
    col = {name: i for i, name in enumerate(FEATURES)}
    assert x.shape == (3, len(FEATURES))
    assert x[0, col["figures weighted jaccard"]] > 0.5 > x[1, col["figures weighted jaccard"]]
    assert x[0, col["names weighted jaccard"]] > x[1, col["names weighted jaccard"]]
    assert x[0, col["title word jaccard"]] > x[1, col["title word jaccard"]]
    assert x[:, col["same weekday named"]].tolist() == [1.0, -1.0, -1.0]
    assert x[0, col["link less local density"]] == pytest.approx(0.2)
    assert x[0, col["mutual rank"]] == pytest.approx(2.0)  # each is the other's best


def test_the_shipped_model_scores_one_event_above_its_beat():
    articles = senate("")  # two events of one beat, one day, no dates
    ids, pairs, x = pair_table(articles, embedder=FAKE)
    assert len(pairs)
    p = load_pair_model().probability(x)
    same = np.array([ids[a][:4] == ids[b][:4] for a, b in pairs])
    assert same.any() and (~same).any()
    assert p[same].min() > p[~same].max()


def test_rescoring_is_off_by_default_and_keeps_each_event_whole():
    assert ClusterOptions().pair_weight == 0
    rescored = cluster(senate(""), embedder=FAKE, options=ClusterOptions(pair_weight=0.2))
    assert sorted(sorted(a.id for a in s.articles) for s in rescored) == [
        ["infra0", "infra1", "infra2"], ["votes0", "votes1", "votes2"]]


def _unit_rows(gram: np.ndarray) -> np.ndarray:
    return np.linalg.cholesky(gram)  # rows whose dot products are ``gram``


def test_a_pair_bonus_survives_merges():
    # 0-1 close; 2 is linked to 1 only; its link to {0, 1} is the exact dot product plus
    # the bonus of the pair (1, 2), so a negative bonus there keeps 2 out.
    x = _unit_rows(np.array([[1, 0.6, 0.3], [0.6, 1, 0.3], [0.3, 0.3, 1.0]]))
    pairs = np.array([[0, 1], [1, 2]])
    sims = np.array([0.6, 0.3])
    opts = replace(ClusterOptions(), density_neighbors=0, relative=0.0, single_relative=0.0)

    def run(bonus):
        nodes = Groups(dense=x.copy(), lexical=None, size=[1, 1, 1], lo=[np.nan] * 3,
                       hi=[np.nan] * 3, frozen=[False] * 3, sq=[1.0] * 3)
        return agglomerate(nodes, pairs, sims + (0 if bonus is None else bonus), opts,
                           bonus=bonus)

    assert run(None) == [[0, 1, 2]]
    assert run(np.zeros(2)) == [[0, 1, 2]]
    assert run(np.array([0.0, -0.5])) == [[0, 1], [2]]


def test_a_crowded_beat_does_not_thread_stories_that_only_share_it():
    # Eight one-article stories of one beat, all linked at 0.3 (above the thread bar of
    # 0.2); two of them (0 and 1) at 0.35, a storyline standing out from the beat.
    gram = np.full((8, 8), 0.3)
    gram[0, 1] = gram[1, 0] = 0.35
    np.fill_diagonal(gram, 1.0)
    dense = _unit_rows(gram)
    days = np.full(8, 100.0)

    def threads(density_neighbors):
        settings = ThreadSettings(threshold=0.2, decay_per_day=0.005, max_gap_days=30.0,
                                  neighbors=15, exact_limit=20_000, probes=8, seed=0,
                                  density_neighbors=density_neighbors, density_margin=0.025,
                                  density_prior=0.02)
        out = assign_threads([f"s{i}" for i in range(8)], [""] * 8, dense,
                             sp.csr_matrix((8, 4)), np.ones(8), np.ones(8), days, days,
                             settings)
        return [sorted(i for i in range(8) if out[i] == t) for t in dict.fromkeys(out)]

    assert threads(0) == [list(range(8))]  # without local scaling the beat is one thread
    assert threads(5) == [[0, 1]] + [[i] for i in range(2, 8)]


def test_an_index_with_the_pair_model_keeps_its_ids_and_setting_across_nights():
    index = StoryIndex(ClusterOptions(pair_weight=0.2))
    night1 = index.assign(senate("2021-04-22"), embedder=FAKE)
    restored = StoryIndex.from_dict(index.to_dict())
    assert restored.options.pair_weight == 0.2
    night2 = restored.assign(senate("2021-04-23")[:1] + [
        Article(id="next", text=senate("2021-04-23")[3].text, published="2021-04-23")],
        embedder=FAKE)
    assert restored.story_ids[: len(index)] == index.story_ids  # old stories keep their ids
    assert night2.assignments["infra0"] == night1.assignments["infra0"]
    assert night2.assignments["next"] == night1.assignments["votes0"]  # its copy joins it
    assert set(night1.assignments.values()) <= set(restored.story_ids)


# --- crowded stories are split into events (ClusterOptions.split_*) ----------------------

_WORDS = [f"w{a}{b}{c}" for a in "bcdfgh" for b in "klmnpr" for c in "stvxz"]


def _storyline(beat_events: int, beat_words: str = ""):
    """Two events of one storyline (three reports each, named "on Monday" and "on
    Thursday") and ``beat_events`` other events of the same beat around them. The texts
    share no words beyond the day (and ``beat_words``, added to every text), so the
    designed embeddings decide the links."""
    rng = np.random.default_rng(0)

    def unit(v):
        return v / np.linalg.norm(v)

    def near(centre, cos):
        return unit(centre * np.sqrt(cos) + unit(rng.normal(size=64)) * np.sqrt(1 - cos))

    beat = unit(rng.normal(size=64))
    story = near(beat, 0.5)
    events = [("A", " on Monday", near(story, 0.8)), ("B", " on Thursday", near(story, 0.8))]
    events += [(f"E{j}", "", near(beat, 0.5)) for j in range(beat_events)]
    table, articles = {}, []
    for name, day, centre in events:
        for i in range(3):
            k = len(articles)
            text = f"Officials {' '.join(_WORDS[6 * k : 6 * k + 6])} met{day} about it.{beat_words}"
            table[text] = near(centre, 0.85)
            articles.append(Article(id=f"{name}{i}", text=text))

    class Designed:
        name = "designed"

        def encode(self, texts):
            return np.array([table[t] for t in texts])

    return articles, Designed()


@pytest.fixture
def weekday_model(monkeypatch):
    """A pair model that reads only whether two leads name the same weekday."""
    import summarize.events.pairs as pairs

    coef = np.zeros(len(FEATURES))
    coef[FEATURES.index("same weekday named")] = 8.0
    model = pairs.PairModel(mean=np.zeros(len(FEATURES)), scale=np.ones(len(FEATURES)),
                            coef=coef, intercept=0.0)
    monkeypatch.setattr(pairs, "load_pair_model", lambda path=None: model)
    return model


def _groups(stories):
    return sorted(sorted(a.id for a in s.articles) for s in stories)


def _crowding(beat_events: int, beat_words: str = "") -> tuple[float, float]:
    """The storyline story's crowding on the whole links and on their words alone."""
    articles, embedder = _storyline(beat_events, beat_words)
    index = StoryIndex(ClusterOptions(split_weight=0.0))
    ready, _, _ = index._prepare(articles)
    g = index._graph(ready, embedder)
    ids = [a.id for a in g.arts]
    story = [ids.index(f"{e}{i}") for e in "AB" for i in range(3)]
    groups = [story] + [[i] for i in range(len(ids)) if i not in story]
    a, b = g.pairs[:, 0], g.pairs[:, 1]
    words = g.sims - np.einsum("ij,ij->i", g.dense0[a], g.dense0[b])
    return (float(index.crowding(g, groups)[story].mean()),
            float(index.crowding(g, groups, words)[story].mean()))


def test_a_crowded_storyline_is_split_into_its_events(weekday_model):
    articles, embedder = _storyline(beat_events=6)
    # The texts share few words, so the bar is set under the story's crowding on them.
    options = ClusterOptions(split_weight=0.3, split_crowding=_crowding(6)[1] - 0.005)
    before = _groups(cluster(articles, embedder=embedder,
                             options=replace(options, split_weight=0.0)))
    assert ["A0", "A1", "A2", "B0", "B1", "B2"] in before
    stories = _groups(cluster(articles, embedder=embedder, options=options))
    assert ["A0", "A1", "A2"] in stories and ["B0", "B1", "B2"] in stories
    rest = [g for g in before if g[0].startswith("E")]
    assert rest and [g for g in stories if g[0].startswith("E")] == rest  # beat untouched


def test_a_storyline_alone_in_its_pool_is_kept_whole(weekday_model):
    # The same two events with nothing around them: the pair model alone would split them
    # (it does with pair_weight), but the story is not crowded, so it stays one.
    articles, embedder = _storyline(beat_events=0)
    options = ClusterOptions(split_weight=0.3, split_crowding=0.06)
    assert _groups(cluster(articles, embedder=embedder, options=options)) == [
        ["A0", "A1", "A2", "B0", "B1", "B2"]]
    split = cluster(articles, embedder=embedder,
                    options=replace(options, split_weight=0.0, pair_weight=0.3))
    assert len(split) == 2


def test_a_story_crowded_in_its_vectors_alone_is_kept_whole(weekday_model):
    # The designed vectors put the beat's events all around the storyline, but the texts
    # share no words with them: the bar is read on the words, which do not move with the
    # embedder (int8 against fp32 vectors), so the story is not cut.
    whole_links, words = _crowding(6)
    assert words < 0.06 < whole_links
    articles, embedder = _storyline(beat_events=6)
    stories = _groups(cluster(articles, embedder=embedder,
                              options=ClusterOptions(split_weight=0.3, split_crowding=0.06)))
    assert ["A0", "A1", "A2", "B0", "B1", "B2"] in stories


def test_an_index_saved_before_the_words_bar_keeps_reading_the_whole_links():
    index = StoryIndex(ClusterOptions())
    index.assign(senate("2021-04-22"), embedder=FAKE)
    saved = index.to_dict()
    assert StoryIndex.from_dict(saved).options.split_words is True
    del saved["options"]["split_words"]  # as written before session 8, with its 0.19 bar
    assert StoryIndex.from_dict(saved).options.split_words is False
