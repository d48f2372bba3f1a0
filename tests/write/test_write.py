"""The abstractive writer and the verification of generated sentences, with a fake model."""


import pytest
from conftest import FakeModel, HashingEmbedder

from summarize.briefing.compose import brief_story
from summarize.options import Options
from summarize.records import Article, Story
from summarize.write.abstractive import AbstractiveWriter, clean_generation
from summarize.write.extractive import ExtractiveWriter
from summarize.write.writers import get_writer

A = ("The old river bridge in Springfield collapsed on Tuesday morning, killing 12 people. "
     "Rescue teams searched the water through the night. "
     "Mayor Ann Lee ordered an inspection of every bridge in the city.")
B = ("Twelve people were killed when the Springfield river bridge collapsed on Tuesday morning. "
     "Rescue teams searched the water through the night with divers. "
     "Engineers had warned about cracks in the bridge in 2019, documents show.")
C = ("Officials said the river bridge in Springfield collapsed on Tuesday morning and killed 12 people. "
     "The state governor declared an emergency for the county.")


def story():
    return Story(id="s", articles=(
        Article(id="a", text=A, outlet="Alpha News", title="Bridge collapses"),
        Article(id="b", text=B, outlet="Beta Post"),
        Article(id="c", text=C, outlet="Gamma Times"),
    ))


def run(model, words=40):
    writer = AbstractiveWriter("fake", model=model)
    return brief_story(story(), Options(words=words, model="fake"), embedder=HashingEmbedder(), writer=writer)


def test_get_writer_picks_by_name():
    assert isinstance(get_writer("extractive"), ExtractiveWriter)
    assert isinstance(get_writer("default"), AbstractiveWriter)


def test_clean_generation_drops_brackets_labels_and_bullets():
    assert clean_generation("**Brief:** The bridge fell [1][2]. It was old [3, 4].") == "The bridge fell. It was old."
    assert clean_generation("# Title\n- First point.\n- Second point.") == "First point. Second point."
    assert clean_generation("The U. S. and the U. K. agreed.") == "The U.S. and the U.K. agreed."


def test_citations_come_from_alignment_not_from_the_model():
    model = FakeModel("The Springfield river bridge collapsed on Tuesday morning and killed 12 people [3]. "
                      "Rescue teams searched the water through the night.")
    b = run(model, words=20)
    first = b.sentences[0]
    assert first.status == "kept"
    assert set(first.citations) >= {1, 2, 3}  # all three report it; the model said [3] only
    assert all(b.source(sp.n).article_id == sp.article_id for sp in first.support)
    prompt = model.prompts[0]
    assert prompt[0]["role"] == "system" and "[1]" in prompt[1]["content"]
    assert b.metadata["writer"]["prompt"]["template"] == "brief"
    assert len(b.metadata["writer"]["prompt"]["sha256"]) == 64


def test_invented_numbers_are_repaired_and_nonsense_dropped():
    model = FakeModel("The river bridge in Springfield collapsed on Tuesday morning, killing 40 people. "
                      "Purple elephants sang opera loudly on distant moons yesterday. "
                      "Mayor Ann Lee ordered an inspection of every bridge in the city.")
    b = run(model, words=30)
    statuses = [s.status for s in b.sentences]
    assert "repaired" in statuses
    assert b.metadata["counts"]["repaired"] == 1 and b.metadata["counts"]["dropped"] == 1
    repaired = b.sentences[statuses.index("repaired")]
    assert "40" not in repaired.text and "12" in repaired.text
    assert not any("elephants" in s.text for s in b.sentences)


def test_length_is_held_whatever_the_model_writes():
    short = run(FakeModel("The bridge collapsed."), words=40)
    assert 0.8 * 40 <= short.metadata["words"] <= 1.2 * 40
    assert short.metadata["counts"]["extracted"] >= 1
    rambling = " ".join([A, B, C])
    long = run(FakeModel(rambling), words=20)
    assert long.metadata["words"] <= 1.2 * 20
    assert long.metadata["counts"]["trimmed"] >= 1


def test_long_evidence_goes_through_map_reduce(monkeypatch):
    from summarize.write import abstractive as write

    monkeypatch.setattr(write, "MAX_PROMPT_TOKENS", 20)
    monkeypatch.setattr(write, "SLICE_TOKENS", 20)
    model = FakeModel("The river bridge in Springfield collapsed on Tuesday morning, killing 12 people.")
    b = run(model, words=20)
    assert b.metadata["writer"]["map_reduce_slices"] >= 2
    assert len(model.prompts) == b.metadata["writer"]["map_reduce_slices"] + 1
    assert "part 1 of" in model.prompts[0][1]["content"]
    assert "Write the brief now" in model.prompts[-1][1]["content"]


@pytest.mark.slow
@pytest.mark.model
def test_tiny_model_end_to_end_on_a_seed_pair():
    from conftest import TRIP

    import summarize

    b = summarize.brief(TRIP[:2], model="tiny", words=60)
    assert b.sentences
    for s in b.sentences:
        assert s.citations and s.status in {"kept", "repaired", "extracted", "disagreement"}
    counts = b.metadata["counts"]
    assert counts["kept"] + counts["repaired"] + counts["dropped"] >= 1
    assert 0.8 * 60 <= b.metadata["words"] <= 1.2 * 60 or counts["trimmed"] == 0


@pytest.mark.slow
@pytest.mark.model
def test_default_model_end_to_end_on_the_seed_story():
    """The real quality model on the four-outlet seed story (CI runs it: about 1-2 min)."""
    from conftest import TRIP

    import summarize
    from summarize.briefing.attribute import unsupported

    b = summarize.brief(TRIP, model="default")
    assert b.metadata["model"] == "default"
    assert 0.8 * 120 <= b.metadata["words"] <= 1.2 * 120
    cited = {b.source(n).outlet for s in b.sentences for n in s.citations}
    assert len(cited) >= 3
    articles = {a.id: a for a in summarize.load(TRIP)}
    for s in b.sentences:
        assert s.citations
        for sp in s.support:
            assert articles[sp.article_id].text[sp.start:sp.end] == sp.text
        if s.status == "kept":  # generated sentences passed the number and name check
            assert unsupported(s.text, [sp.text for sp in s.support]) == []
    assert b.metadata["writer"]["prompt"]["template"] == "claim"  # the claim-level writer (summarize/write/fusion.py)
    assert b.metadata["writer"]["generations"][0]["new_tokens"] > 0


def test_greedy_by_default_and_sampling_on_request():
    model = FakeModel("The river bridge in Springfield collapsed on Tuesday morning, killing 12 people.")
    model.default_options = None
    writer = AbstractiveWriter("fake", model=model)
    assert writer._decoding(Options(model="fake")) is None  # the model's greedy defaults
    chosen = writer._decoding(Options(model="fake", sample=True, temperature=0.5, seed=7))
    assert (chosen.do_sample, chosen.temperature, chosen.seed) == (True, 0.5, 7)


@pytest.mark.slow
@pytest.mark.model
def test_sampling_with_a_seed_is_reproducible():
    from conftest import TRIP

    import summarize

    briefs = [summarize.brief(TRIP[:2], model="tiny", words=40, sample=True, seed=seed) for seed in (1, 1, 2)]
    # What the model wrote (the brief may fall back to the same source sentences either way).
    raw = [b.metadata["writer"]["raw"] for b in briefs]
    assert raw[0] == raw[1] and briefs[0].text == briefs[1].text
    assert raw[0] != raw[2]
