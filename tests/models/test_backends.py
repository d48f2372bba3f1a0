"""Which CPU path runs the linears, picked from the CPU's flags or forced by a setting.

The project's machine has AVX512-BF16, so the other CPU kinds are simulated: the flags
through ``$SUMMARIZE_CPU_FLAGS``, and the oneDNN bf16 reorder through a stand-in that
fails exactly as torch does on an AVX2-only CPU ("bf16 path needs the cpu support
avx_ne_convert or avx512bw"). A randomly initialised two-layer Llama written to a temp
folder stands in for a real model, so these tests load "a model" in about a second.
"""

from __future__ import annotations

import pytest

from summarize.errors import ModelError
from summarize.machine import RELEVANT_FLAGS
from summarize.models import cpu_linear
from summarize.models.generative import (
    BACKENDS,
    GenerativeModel,
    get_model,
    resolve_backend,
)

torch = pytest.importorskip("torch")

# /proc/cpuinfo flags of CPU kinds we do not have (trimmed to what matters here).
AVX2_ONLY = "fpu sse sse2 ssse3 sse4_1 sse4_2 avx f16c fma avx2 bmi2"  # e.g. EPYC Zen 2/3
AVX512_NO_BF16 = AVX2_ONLY + " avx512f avx512dq avx512cd avx512bw avx512vl"  # e.g. Skylake-SP
AVX512_BF16 = AVX512_NO_BF16 + " avx512_vnni avx512_bf16"  # e.g. this EPYC (Zen 4)
AMX = AVX512_BF16 + " amx_bf16 amx_tile amx_int8"  # e.g. Sapphire Rapids

BF16_ERROR = ("mkldnn_reorder_linear_weight: bf16 path needs the cpu support "
              "avx_ne_convert or avx512bw")


@pytest.fixture
def tiny_llama(tmp_path_factory):
    """A folder holding a random 2-layer Llama and a word-level tokenizer."""
    transformers = pytest.importorskip("transformers")
    from tokenizers import Tokenizer, models, pre_tokenizers

    out = tmp_path_factory.mktemp("tiny-llama")
    vocab = {w: i for i, w in enumerate(["<unk>", "<s>", "</s>"] + [f"w{i}" for i in range(61)])}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    transformers.PreTrainedTokenizerFast(
        tokenizer_object=tok, unk_token="<unk>", bos_token="<s>", eos_token="</s>"
    ).save_pretrained(out)
    torch.manual_seed(0)
    config = transformers.LlamaConfig(
        vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=1024,
        bos_token_id=1, eos_token_id=2,
    )
    transformers.LlamaForCausalLM(config).save_pretrained(out)
    return str(out)


class Reorders:
    """The dtypes of the weights reordered for oneDNN; with ``avx2`` set, bf16 fails as
    torch fails on an AVX2-only CPU."""

    def __init__(self) -> None:
        self.dtypes: list = []
        self.avx2 = False


@pytest.fixture
def reorders(monkeypatch):
    if not cpu_linear.available():
        pytest.skip("this torch build has no oneDNN")
    real = torch.ops.mkldnn._reorder_linear_weight
    seen = Reorders()

    def reorder(weight, *args, **kwargs):
        seen.dtypes.append(weight.dtype)
        if seen.avx2 and weight.dtype == torch.bfloat16:
            raise RuntimeError(BF16_ERROR)
        return real(weight, *args, **kwargs)

    monkeypatch.setattr(torch.ops.mkldnn, "_reorder_linear_weight", reorder)
    return seen


def cpu(monkeypatch, flags: str, backend: str | None = None) -> None:
    monkeypatch.setenv("SUMMARIZE_CPU_FLAGS", flags)
    if backend is None:
        monkeypatch.delenv("SUMMARIZE_BACKEND", raising=False)
    else:
        monkeypatch.setenv("SUMMARIZE_BACKEND", backend)


# --- the choice ------------------------------------------------------------------------


@pytest.mark.parametrize(("flags", "expected"), [
    (AVX2_ONLY, "int8-mixed"),
    (AVX512_NO_BF16, "int8-mixed"),  # bf16 would run, emulated, but it is not faster
    (AVX512_BF16, "onednn-bf16"),
    (AMX, "onednn-bf16"),
    (AVX2_ONLY.replace(" f16c", ""), "onednn-fp32"),  # fbgemm's fp16 needs F16C
])
def test_auto_follows_the_cpu_flags(monkeypatch, flags, expected):
    if not cpu_linear.available():
        pytest.skip("this torch build has no oneDNN")
    if expected == "int8-mixed" and not (cpu_linear.half_available() and cpu_linear.int8_available()):
        expected = "onednn-fp32"  # a torch build without fbgemm (not x86)
    cpu(monkeypatch, flags)
    assert resolve_backend() == expected
    assert resolve_backend("auto") == expected


def test_cpu_flags_come_from_the_setting_or_proc_cpuinfo(monkeypatch):
    monkeypatch.setenv("SUMMARIZE_CPU_FLAGS", "avx2, fma  AVX512F")
    assert cpu_linear.cpu_flags() == {"avx2", "fma", "avx512f"}
    monkeypatch.delenv("SUMMARIZE_CPU_FLAGS")
    real = cpu_linear.cpu_flags()
    assert real and all(f == f.lower() and " " not in f for f in real)


def test_setting_forces_a_backend_and_an_argument_wins(monkeypatch):
    cpu(monkeypatch, AVX512_BF16, backend="onednn-fp32")
    assert resolve_backend() == "onednn-fp32"
    assert resolve_backend("reference") == "reference"
    monkeypatch.setenv("SUMMARIZE_BACKEND", "reference")
    assert resolve_backend() == "reference"
    monkeypatch.setenv("SUMMARIZE_BACKEND", "auto")
    if cpu_linear.available():
        assert resolve_backend() == "onednn-bf16"


@pytest.mark.parametrize("flags", [AVX2_ONLY, "sse2"])
def test_forcing_bf16_on_a_cpu_without_it_is_a_model_error(monkeypatch, flags):
    cpu(monkeypatch, flags, backend="onednn-bf16")
    with pytest.raises(ModelError, match="avx512bw") as info:
        resolve_backend()
    assert "SUMMARIZE_BACKEND" in str(info.value) and "onednn-fp32" in str(info.value)


def test_forcing_bf16_on_avx512_without_native_bf16_is_allowed(monkeypatch):
    if not cpu_linear.available():
        pytest.skip("this torch build has no oneDNN")
    cpu(monkeypatch, AVX512_NO_BF16, backend="onednn-bf16")
    assert resolve_backend() == "onednn-bf16"


def test_unknown_backend_setting_is_a_model_error(monkeypatch):
    cpu(monkeypatch, AVX2_ONLY, backend="gpu")
    with pytest.raises(ModelError, match="SUMMARIZE_BACKEND") as info:
        resolve_backend()
    assert all(name in str(info.value) for name in BACKENDS)


def test_backend_problem_names_the_missing_flag():
    assert cpu_linear.backend_problem("onednn-bf16", frozenset(AVX2_ONLY.split())) is not None
    assert "avx512bw" in cpu_linear.backend_problem("onednn-bf16", frozenset(AVX2_ONLY.split()))
    assert cpu_linear.backend_problem("onednn-bf16", frozenset(AVX512_BF16.split())) is None
    assert cpu_linear.backend_problem("reference", frozenset()) is None


# --- a model loaded on a simulated CPU ----------------------------------------------------


def test_avx2_only_cpu_loads_with_fp16_and_int8_weights_and_never_calls_the_bf16_op(
        monkeypatch, tiny_llama, reorders):
    if not (cpu_linear.half_available() and cpu_linear.int8_available()):
        pytest.skip("this torch build has no fbgemm")
    cpu(monkeypatch, AVX2_ONLY)
    monkeypatch.setenv("SUMMARIZE_NUM_THREADS", "1")
    reorders.avx2 = True
    model = GenerativeModel(tiny_llama)
    model.load()
    assert torch.bfloat16 not in reorders.dtypes
    half = [m for m in model._model.modules() if isinstance(m, cpu_linear.HalfLinear)]
    int8 = [m for m in model._model.modules() if isinstance(m, cpu_linear.Int8Linear)]
    assert len(half) == 2 * 5 + 1  # q k v o down per layer, and the head
    assert len(int8) == 2 * 2  # gate and up per layer
    assert model.runtime["backend"] == "int8-mixed"  # never all-int8 by itself (docs/models.md)
    assert model.generate("w1 w2 w3", max_new_tokens=3).new_tokens >= 1


def test_avx2_only_cpu_without_fbgemm_falls_back_to_fp32(monkeypatch, tiny_llama, reorders):
    cpu(monkeypatch, AVX2_ONLY)
    monkeypatch.setattr(cpu_linear, "half_available", lambda: False)
    monkeypatch.setenv("SUMMARIZE_NUM_THREADS", "1")
    reorders.avx2 = True
    model = GenerativeModel(tiny_llama)
    model.load()
    assert reorders.dtypes and set(reorders.dtypes) == {torch.float32}
    assert model.runtime["backend"] == "onednn-fp32"
    assert model.generate("w1 w2 w3", max_new_tokens=3).new_tokens >= 1


def test_fp16_backend_logits_stay_close_to_the_reference(monkeypatch, tiny_llama):
    """Weight-only fp16: activations are not quantized, so the logits barely move (the old
    int8 scheme, one activation scale per tensor, fails this on the tiny model)."""
    if not cpu_linear.half_available():
        pytest.skip("this torch build has no fbgemm")
    monkeypatch.setenv("SUMMARIZE_NUM_THREADS", "1")
    ids = torch.tensor([[1, 5, 9, 17, 33, 8, 60, 12]])
    logits = {}
    for backend in ("reference", "fbgemm-fp16"):
        model = GenerativeModel(tiny_llama, backend=backend)
        model.load()
        with torch.inference_mode():
            logits[backend] = model._model(input_ids=ids).logits[0]
    exact, got = logits["reference"], logits["fbgemm-fp16"]
    assert torch.nn.functional.cosine_similarity(exact, got, dim=-1).min() > 0.9999
    assert (got - exact).abs().max() < 1e-2 * exact.abs().max()
    assert not torch.equal(got, exact)  # really fp16 weights, not an fp32 copy


def test_bf16_backend_loads_where_the_cpu_has_it(monkeypatch, tiny_llama, reorders):
    problem = cpu_linear.backend_problem("onednn-bf16")
    if problem:
        pytest.skip(problem)
    monkeypatch.delenv("SUMMARIZE_CPU_FLAGS", raising=False)
    monkeypatch.setenv("SUMMARIZE_NUM_THREADS", "1")
    model = GenerativeModel(tiny_llama, backend="onednn-bf16")
    model.load()
    assert torch.bfloat16 in reorders.dtypes
    head = model._model.get_output_embeddings()
    # The head keeps fp32 inputs: fp16 weights (fbgemm), else fp32 weights.
    assert isinstance(head, cpu_linear.HalfLinear) or torch.float32 in reorders.dtypes
    assert model.generate("w1 w2 w3", max_new_tokens=3).new_tokens >= 1


def test_forced_bf16_on_avx2_fails_before_loading_anything(monkeypatch, tiny_llama, reorders):
    cpu(monkeypatch, AVX2_ONLY, backend="onednn-bf16")
    reorders.avx2 = True
    model = get_model(tiny_llama)
    with pytest.raises(ModelError, match="avx512bw"):
        model.load()
    assert reorders.dtypes == [] and not model.loaded


def test_runtime_records_backend_and_cpu_flags(monkeypatch, tiny_llama):
    cpu(monkeypatch, AVX2_ONLY, backend="reference")
    model = GenerativeModel(tiny_llama)
    runtime = model.runtime
    assert runtime["requested"] == "reference" and runtime["backend"] == "reference"
    assert "avx2" in runtime["cpu_flags"] and "avx512_bf16" not in runtime["cpu_flags"]
    assert runtime["cpu_flags_from"] == "SUMMARIZE_CPU_FLAGS"
    assert set(runtime["cpu_flags"]) <= set(RELEVANT_FLAGS)


def test_packing_bf16_where_torch_refuses_is_a_model_error(reorders):
    reorders.avx2 = True
    with pytest.raises(ModelError, match="SUMMARIZE_BACKEND=onednn-fp32"):
        cpu_linear.pack_linears(torch.nn.Sequential(torch.nn.Linear(8, 4)), torch.bfloat16)


def test_brief_metadata_records_backend_and_cpu_flags(monkeypatch, tiny_llama):
    from conftest import HashingEmbedder

    from summarize.briefing.compose import brief_story
    from summarize.options import Options
    from summarize.records import Article, Story
    from summarize.write.abstractive import AbstractiveWriter

    cpu(monkeypatch, AVX2_ONLY)
    monkeypatch.setenv("SUMMARIZE_NUM_THREADS", "1")
    text = ("The river bridge in Springfield collapsed on Tuesday, killing 12 people. "
            "Rescue teams searched the water through the night.")
    story = Story(id="s", articles=(Article(id="a", text=text, outlet="Alpha"),
                                    Article(id="b", text=text.replace("Tuesday", "Tuesday morning"),
                                            outlet="Beta")))
    b = brief_story(story, Options(words=20, model=tiny_llama), embedder=HashingEmbedder(),
                    writer=AbstractiveWriter(tiny_llama))
    runtime = b.metadata["writer"]["runtime"]
    assert runtime["backend"] == resolve_backend("auto") != "onednn-bf16"
    assert runtime["requested"] == "auto" and {"avx2", "f16c"} <= set(runtime["cpu_flags"])


# --- int8 ---------------------------------------------------------------------------------


def test_int8_linear_stays_close_to_fp32():
    if not cpu_linear.int8_available():
        pytest.skip("this torch build has no fbgemm")
    torch.manual_seed(0)
    layer = torch.nn.Linear(256, 96)
    x = torch.randn(5, 3, 256)
    exact = layer(x)
    got = cpu_linear.Int8Linear(layer.weight, layer.bias)(x)
    assert got.shape == exact.shape and got.dtype == torch.float32
    error = (got - exact).norm() / exact.norm()
    assert error < 0.02, error  # 7-bit weights, 8-bit activations
    assert (got - exact).abs().max() > 0  # really quantized, not a float copy


def test_int8_weights_leave_room_in_16_bit_pair_sums():
    """AVX2 without VNNI adds two u8 x s8 products into a saturating int16: with 8-bit
    activations (0..255) the weights must stay within 63 so that no pair overflows."""
    if not cpu_linear.int8_available():
        pytest.skip("this torch build has no fbgemm")
    torch.manual_seed(0)
    weight = torch.randn(64, 128)
    weight[3, 7] = 40.0  # one channel's outlier sets that channel's scale
    packed = cpu_linear.Int8Linear(weight, None)
    quantized, _ = torch.ops.quantized.linear_unpack(packed._packed)
    levels = quantized.int_repr()
    assert int(levels.abs().max()) == cpu_linear.WEIGHT_LEVELS == 63
    assert 2 * 255 * cpu_linear.WEIGHT_LEVELS <= 2**15 - 1
    assert torch.equal(levels[:, -2:], torch.zeros(64, 2, dtype=levels.dtype))  # the pins weigh nothing


def test_int8_mixed_runs_only_the_mlp_inputs_in_int8(monkeypatch, tiny_llama, reorders):
    """int8 for the MLP's gate and up projections (a norm's output comes in); the down
    projection (gate*up: the massive activations), the attention and the head keep fp16."""
    if problem := cpu_linear.backend_problem("int8-mixed", frozenset(AVX2_ONLY.split())):
        pytest.skip(problem)
    cpu(monkeypatch, AVX2_ONLY, backend="int8-mixed")
    monkeypatch.setenv("SUMMARIZE_NUM_THREADS", "1")
    reorders.avx2 = True
    model = GenerativeModel(tiny_llama)
    model.load()
    kinds = {name.rsplit(".", 1)[-1]: type(m).__name__ for name, m in model._model.named_modules()
             if isinstance(m, cpu_linear.Int8Linear | cpu_linear.HalfLinear)}
    assert kinds == {**dict.fromkeys(["q_proj", "k_proj", "v_proj", "o_proj", "down_proj", "lm_head"],
                                     "HalfLinear"), "gate_proj": "Int8Linear", "up_proj": "Int8Linear"}
    assert sum(isinstance(m, cpu_linear.Int8Linear) for m in model._model.modules()) == 2 * 2
    assert not any(type(m) is torch.nn.Linear for m in model._model.modules())
    assert torch.bfloat16 not in reorders.dtypes
    assert model.runtime == {**model.runtime, "requested": "int8-mixed", "backend": "int8-mixed"}
    assert model.generate("w1 w2 w3", max_new_tokens=3).new_tokens >= 1


def test_int8_mixed_needs_avx2_and_f16c():
    for missing in ("avx2", "f16c"):
        flags = frozenset(f for f in AVX2_ONLY.split() if f != missing)
        problem = cpu_linear.backend_problem("int8-mixed", flags)
        assert problem is not None and missing in problem


def test_forcing_int8_runs_on_avx2_and_generates(monkeypatch, tiny_llama, reorders):
    if not cpu_linear.int8_available():
        pytest.skip("this torch build has no fbgemm")
    cpu(monkeypatch, AVX2_ONLY, backend="int8")
    monkeypatch.setenv("SUMMARIZE_NUM_THREADS", "1")
    model = GenerativeModel(tiny_llama)
    assert model.generate("w1 w2 w3", max_new_tokens=3).new_tokens >= 1
    assert model.runtime == {**model.runtime, "requested": "int8", "backend": "int8"}


def _tiny_logits(backend: str) -> torch.Tensor:
    text = ("The old river bridge in Springfield collapsed on Tuesday morning, killing 12 people, "
            "and rescue teams searched the water through the night.")
    model = GenerativeModel("tiny", backend=backend)
    model.load()
    ids = model._tokenizer(text, return_tensors="pt")
    with torch.inference_mode():
        return model._model(**ids).logits[0].float()


def _assert_close_logits(exact: torch.Tensor, got: torch.Tensor) -> None:
    cosine = torch.nn.functional.cosine_similarity(exact, got, dim=-1)
    assert cosine.min() > 0.98, cosine.min()
    agree = (exact.argmax(-1) == got.argmax(-1)).float().mean()
    assert agree >= 0.85, agree


@pytest.mark.slow
@pytest.mark.model
def test_fp16_logits_stay_close_to_fp32_on_the_tiny_model(monkeypatch):
    """The packaged 135M model with fp16 weights (auto's choice without native bf16) against
    fp32. Measured: cosine 1.0000, every argmax the same (the old int8 scheme: -0.54)."""
    if problem := cpu_linear.backend_problem("fbgemm-fp16"):
        pytest.skip(problem)
    monkeypatch.setenv("SUMMARIZE_NUM_THREADS", "1")
    exact, got = _tiny_logits("onednn-fp32"), _tiny_logits("fbgemm-fp16")
    _assert_close_logits(exact, got)
    assert torch.equal(exact.argmax(-1), got.argmax(-1))
    assert torch.nn.functional.cosine_similarity(exact, got, dim=-1).min() > 0.999


@pytest.mark.slow
@pytest.mark.model
@pytest.mark.xfail(strict=True, reason="measured: with every decoder linear in int8 the 135M model's "
                   "argmaxes agree with fp32 at 81% of positions (cosine 0.97), so auto never picks int8")
def test_int8_logits_stay_close_to_fp32_on_the_tiny_model(monkeypatch):
    """The packaged 135M model under int8 against fp32 (fails today: see the xfail reason)."""
    if not cpu_linear.int8_available():
        pytest.skip("this torch build has no fbgemm")
    monkeypatch.setenv("SUMMARIZE_NUM_THREADS", "1")
    _assert_close_logits(_tiny_logits("onednn-fp32"), _tiny_logits("int8"))


@pytest.mark.slow
@pytest.mark.model
def test_int8_mixed_logits_stay_close_to_fp32_on_the_tiny_model(monkeypatch):
    """The packaged 135M model with int8 gate/up projections (auto's choice without native
    bf16) against fp32. Measured: cosine min 0.969 / mean 0.997, 26 of 27 argmaxes the same
    (all-int8: 22 of 27). The 1.5B model is closer still (docs/models.md: 99.8% top-1)."""
    if problem := cpu_linear.backend_problem("int8-mixed"):
        pytest.skip(problem)
    monkeypatch.setenv("SUMMARIZE_NUM_THREADS", "1")
    exact, got = _tiny_logits("onednn-fp32"), _tiny_logits("int8-mixed")
    cosine = torch.nn.functional.cosine_similarity(exact, got, dim=-1)
    assert cosine.min() > 0.95 and cosine.mean() > 0.99, cosine
    assert (exact.argmax(-1) == got.argmax(-1)).float().mean() >= 0.9
    assert not torch.equal(exact, got)  # really quantized


@pytest.mark.slow
@pytest.mark.model
def test_batched_greedy_text_equals_one_by_one_on_the_tiny_model(monkeypatch):
    from summarize.models.generative import DecodingOptions

    monkeypatch.setenv("SUMMARIZE_NUM_THREADS", "1")
    # fp32 on every CPU kind (int8's per-tensor activation scale depends on the batch).
    model = get_model("tiny", backend="onednn-fp32")
    prompts = [
        [{"role": "system", "content": "You rewrite news reports."},
         {"role": "user", "content": "Shorten: The old river bridge in Springfield collapsed on "
                                     "Tuesday morning, killing 12 people, officials said."}],
        [{"role": "system", "content": "You rewrite news reports."},
         {"role": "user", "content": "Combine: [1] Rescue teams searched the water. [2] Divers searched."}],
        "Say hello.",
    ]
    batched = model.generate_batch(prompts, max_new_tokens=24)
    alone = [model.generate(p, max_new_tokens=24, options=DecodingOptions()) for p in prompts]
    assert [b.text for b in batched] == [a.text for a in alone]
    assert [b.new_tokens for b in batched] == [a.new_tokens for a in alone]
    assert len({b.prompt_tokens for b in batched}) > 1  # really padded to a common length


def test_int8_gives_each_row_its_own_scale():
    """One input row with an outlier no longer flattens the other rows (per-tensor scale)."""
    if not cpu_linear.int8_available():
        pytest.skip("this torch build has no fbgemm")
    torch.manual_seed(0)
    layer = torch.nn.Linear(256, 96)
    x = torch.randn(4, 256)
    x[0] *= 1000  # e.g. the first token's massive activations
    packed = cpu_linear.Int8Linear(layer.weight, layer.bias)
    together, alone = packed(x), packed(x[1:])
    assert torch.equal(together[1:], alone)  # the same whatever the batch (the pinned range)
    assert torch.equal(packed(x[2:3]), alone[1:2])
    exact = layer(x[1:]).detach()
    assert (alone - exact).norm() / exact.norm() < 0.02


# --- greedy decoding: prefix cache and prompt lookup ----------------------------------------


@pytest.fixture
def chat_llama(tiny_llama, tmp_path_factory):
    """The random two-layer Llama with a chat template, so prompts have a system prefix."""
    transformers = pytest.importorskip("transformers")
    out = tmp_path_factory.mktemp("chat-llama")
    tokenizer = transformers.AutoTokenizer.from_pretrained(tiny_llama)
    tokenizer.chat_template = ("{% for m in messages %}<s> {{ m['content'] }} </s> {% endfor %}"
                               "{% if add_generation_prompt %}<s> {% endif %}")
    tokenizer.save_pretrained(out)
    transformers.AutoModelForCausalLM.from_pretrained(tiny_llama).save_pretrained(out)
    return str(out)


def _hf_greedy(model, prompt, max_new_tokens):
    """The same prompt through transformers' own generate, plain greedy (the reference)."""
    from summarize.models.generative import DecodingOptions

    inputs = model._encode(prompt)
    config = model._generation_config(max_new_tokens, DecodingOptions())
    with torch.inference_mode():
        out = model._model.generate(**inputs, generation_config=config)
    return out[0, inputs["input_ids"].shape[1]:].tolist()


@pytest.mark.parametrize("backend", ["onednn-fp32", "int8-mixed"])
@pytest.mark.parametrize("lookup", [None, 4])
def test_greedy_loop_with_prefix_cache_equals_transformers_generate(monkeypatch, chat_llama, lookup, backend):
    """Also with int8 linears: a row's quantization grid does not depend on the other rows,
    so a prompt prefilled after a cached prefix sees the numbers it would in one piece."""
    from summarize.models.generative import DecodingOptions

    monkeypatch.setenv("SUMMARIZE_NUM_THREADS", "1")
    if backend == "int8-mixed" and (problem := cpu_linear.backend_problem(backend)):
        pytest.skip(problem)
    model = GenerativeModel(chat_llama, backend=backend if cpu_linear.available() else "reference")
    model.load()
    system = {"role": "system", "content": " ".join(f"w{i}" for i in range(3, 40))}
    seen = []
    forward = model._model.forward

    def spy(*args, **kwargs):
        seen.append(kwargs["input_ids"].shape[1] if "input_ids" in kwargs else args[0].shape[1])
        return forward(*args, **kwargs)

    monkeypatch.setattr(model._model, "forward", spy)
    options = DecodingOptions(prompt_lookup_num_tokens=lookup)
    for user in ("w5 w6 w7 w5 w6 w7 w5 w6", "w40 w41 w42 w43 w9 w9", "w50"):
        prompt = [system, {"role": "user", "content": user}]
        expected = _hf_greedy(model, prompt, 12)
        seen.clear()
        got = model.generate(prompt, max_new_tokens=12, options=options)
        ids = model._encode(prompt)["input_ids"].shape[1]
        assert got.new_tokens == len(expected)
        assert got.text == model._tokenizer.decode(expected, skip_special_tokens=True).strip()
        # The system turn (39 tokens) is computed once, with the first prompt; after that
        # only the user turn is prefilled.
        if user.startswith("w5 "):
            assert seen[:2] == [39, ids - 39], seen
            if lookup:  # the repeated "w5 w6 w7" gets drafted and verified in one pass
                assert max(seen[2:]) > 1, seen
            else:
                assert set(seen[2:]) == {1}
        else:
            assert seen[0] == ids - 39, seen
    assert model._prefix is not None and len(model._prefix[1]) == 39
