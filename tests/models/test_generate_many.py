"""GenerativeModel.generate_many: several prompts decoded together give each prompt's own greedy text."""

from __future__ import annotations

import pytest

from summarize.models.generative import BATCH_LOOKUP_TOKENS, DecodingOptions, get_model

SYSTEM = {"role": "system", "content": "You rewrite news reports into one sentence. Keep every number, name and date."}
USERS = [
    "Shorten: The old river bridge in Springfield collapsed on Tuesday morning, killing 12 people, officials said.",
    "Combine: [1] Rescue teams searched the water. [2] Divers searched.",
    "Combine: [1] The central bank raised interest rates by 0.5 points on Wednesday, its third rise this year. "
    "[2] Rates went up on Wednesday.",
    "Shorten: Hello.",
    "Repeat exactly: The old river bridge in Springfield collapsed on Tuesday morning, killing 12 people.",
]
CAPS = [30, 12, 40, 5, 40]


@pytest.mark.slow
@pytest.mark.model
@pytest.mark.parametrize("lookahead", [None, 10, 3])
def test_many_prompts_together_give_each_prompts_greedy_text(monkeypatch, lookahead):
    """fp32 on both CPU kinds. With bf16 or int8-mixed weights a 5-row decoding step can round
    a near-tie the other way (the 135M model's "Repeat exactly" under simulated AVX2; 5 of 61
    briefs of a 200-article night with ``default`` in bf16, docs/models.md)."""
    monkeypatch.setenv("SUMMARIZE_NUM_THREADS", "1")
    model = get_model("tiny", backend="onednn-fp32")
    prompts = [[SYSTEM, {"role": "user", "content": u}] for u in USERS]
    options = DecodingOptions(prompt_lookup_num_tokens=lookahead)
    alone = [model.generate(p, n, options) for p, n in zip(prompts, CAPS)]
    together = model.generate_many(prompts, CAPS, options)
    assert [t.text for t in together] == [a.text for a in alone]
    assert [t.new_tokens for t in together] == [a.new_tokens for a in alone]
    assert all(t.new_tokens <= cap for t, cap in zip(together, CAPS))
    if (lookahead or 0) <= BATCH_LOOKUP_TOKENS:  # the same drafts, so the same passes
        assert [t.forward_passes for t in together] == [a.forward_passes for a in alone]
    # Only the user turns were run through the model: the system turn came from its cache.
    assert [t.prefilled_tokens for t in together] == [a.prefilled_tokens for a in alone]
    assert len({t.prompt_tokens for t in together}) > 1  # rows of different lengths


@pytest.mark.slow
@pytest.mark.model
def test_each_row_is_prefilled_as_generate_prefills_it_on_the_cpus_own_backend(monkeypatch):
    """Whatever the backend, a row's prompt runs through the same passes as alone, so its
    first answer token is the one generate() gives (later ones may differ on a near-tie)."""
    monkeypatch.setenv("SUMMARIZE_NUM_THREADS", "1")
    model = get_model("tiny")
    prompts = [[SYSTEM, {"role": "user", "content": u}] for u in USERS]
    alone = [model.generate(p, 1) for p in prompts]
    together = model.generate_many(prompts, [1] * len(prompts))
    assert [t.text for t in together] == [a.text for a in alone]
    assert [t.prefilled_tokens for t in together] == [a.prefilled_tokens for a in alone]
    longer = model.generate_many(prompts, CAPS)
    assert all(t.new_tokens <= cap for t, cap in zip(longer, CAPS))


@pytest.mark.slow
@pytest.mark.model
def test_prompts_without_one_shared_system_turn_run_each_after_its_own(monkeypatch):
    """Rows of different system turns (or none): each row's prompt is run as generate()
    runs it. fp32: in bf16 the 135M model's answer to "Say hello." has a near-tie that a
    3-row decoding step rounded the other way ("my world" / "my little corner")."""
    monkeypatch.setenv("SUMMARIZE_NUM_THREADS", "1")
    model = get_model("tiny", backend="onednn-fp32")
    prompts = [[SYSTEM, {"role": "user", "content": USERS[0]}], "Say hello.",
               [{"role": "system", "content": "You answer briefly."}, {"role": "user", "content": USERS[1]}]]
    together = model.generate_many(prompts, [20, 8, 12])
    assert [t.text for t in together] == [model.generate(p, n).text for p, n in zip(prompts, [20, 8, 12])]
    alone = [model.generate(p, n) for p, n in zip(prompts, [20, 8, 12])]
    assert [t.prefilled_tokens for t in together] == [a.prefilled_tokens for a in alone]
    assert together[1].prefilled_tokens == together[1].prompt_tokens  # no system turn: nothing cached


def test_one_cap_per_prompt_is_required():
    with pytest.raises(ValueError, match="one max_new_tokens per prompt"):
        get_model("tiny").generate_many(["a", "b"], [5])
