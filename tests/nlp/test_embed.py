"""The embedder's backends: choice, names, errors, and the ONNX export cache.

The ONNX tests export the packaged MiniLM into a temporary cache (about 20 s once per
module) and compare with the torch path on real sentences from the seeds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, SEEDS

from summarize.errors import ModelError, ResourceMissingError
from summarize.nlp import embed, onnx_embed
from summarize.nlp.embed import MiniLMEmbedder, choose_backend
from summarize.nlp.onnx_embed import MARKER_NAME, MODEL_FILE, ensure_export, is_exported

needs_onnx = pytest.mark.skipif(not onnx_embed.onnx_available(export=True),
                                reason="onnxruntime / onnx not installed")


def _without(monkeypatch, *missing: str) -> None:
    real = onnx_embed.importlib.util.find_spec
    monkeypatch.setattr(onnx_embed.importlib.util, "find_spec",
                        lambda name, *a: None if name in missing else real(name, *a))


def test_forcing_onnx_without_onnxruntime_is_a_typed_error_naming_the_fix(monkeypatch):
    _without(monkeypatch, "onnxruntime")
    for backend in ("onnx", "onnx-int8"):
        with pytest.raises(ResourceMissingError, match=r"pip install 'onnxruntime==.*SUMMARIZE_EMBED_BACKEND=torch"):
            MiniLMEmbedder(backend=backend)
    monkeypatch.setenv("SUMMARIZE_EMBED_BACKEND", "onnx")
    with pytest.raises(ResourceMissingError):
        MiniLMEmbedder()


def test_auto_takes_torch_when_onnx_cannot_run_or_export(monkeypatch):
    monkeypatch.delenv("SUMMARIZE_EMBED_BACKEND", raising=False)
    _without(monkeypatch, "onnx")  # onnxruntime alone cannot make the export
    assert choose_backend() == "torch"
    assert MiniLMEmbedder().backend == "torch"


@needs_onnx
def test_auto_takes_torch_for_a_folder_onnx_does_not_reproduce(tmp_path, monkeypatch):
    monkeypatch.delenv("SUMMARIZE_EMBED_BACKEND", raising=False)
    (tmp_path / "modules.json").write_text(json.dumps(
        [{"type": "sentence_transformers.models.Transformer"}, {"type": "sentence_transformers.models.Pooling"}]))
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode_cls_token": True}))
    (tmp_path / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 128}))
    assert MiniLMEmbedder(str(tmp_path)).backend == "torch"
    forced = MiniLMEmbedder(str(tmp_path), backend="onnx")
    assert forced.backend == "onnx"
    with pytest.raises(ModelError, match="use the torch backend"):
        forced.encode(["Any text."])


def test_unknown_backend_is_a_typed_error(monkeypatch):
    with pytest.raises(ModelError, match="choose one of auto, torch, onnx, onnx-int8"):
        MiniLMEmbedder(backend="tensorflow")
    monkeypatch.setenv("SUMMARIZE_EMBED_BACKEND", "gpu")
    with pytest.raises(ModelError, match="SUMMARIZE_EMBED_BACKEND"):
        choose_backend()


@needs_onnx
@pytest.mark.parametrize("max_tokens", [embed.SPEED_CUT, None, 128])
def test_names_differ_exactly_when_vectors_differ(monkeypatch, max_tokens):
    monkeypatch.setenv("SUMMARIZE_EMBED_BACKEND", "torch")
    torch_name = MiniLMEmbedder(max_tokens=max_tokens).name
    assert MiniLMEmbedder(backend="onnx", max_tokens=max_tokens).name == torch_name  # same vectors
    int8 = MiniLMEmbedder(backend="onnx-int8", max_tokens=max_tokens).name
    assert int8 != torch_name
    assert "#onnx-int8#" not in int8 and not int8.endswith("#onnx-int8")  # the first int8 recipe
    assert not MiniLMEmbedder(backend="onnx").loaded  # choosing loads nothing
    # Another cut gives long texts other vectors: never the same name (or cache).
    others = {MiniLMEmbedder(backend="onnx-int8", max_tokens=n).name for n in (None, 128, 160, 200)}
    assert len(others) == 4 and int8 in others


def test_texts_are_read_to_the_model_limit_unless_cut(monkeypatch):
    monkeypatch.setenv("SUMMARIZE_EMBED_BACKEND", "torch")
    assert MiniLMEmbedder().max_tokens is embed.MAX_TOKENS is None  # the model's own limit
    assert MiniLMEmbedder(max_tokens=embed.SPEED_CUT).name == "sentence-transformers/all-MiniLM-L6-v2#160-tokens"
    # Up to the model's own limit: the names (and caches) of the vectors before the cut.
    assert MiniLMEmbedder(max_tokens=None).name == "sentence-transformers/all-MiniLM-L6-v2"
    for wrong in (1, 0, 12.5, "160"):
        with pytest.raises(ModelError, match="max_tokens"):
            MiniLMEmbedder(max_tokens=wrong)


AVX2_ONLY = "fpu sse sse2 ssse3 sse4_1 sse4_2 avx avx2 fma f16c popcnt"


@needs_onnx
@pytest.mark.parametrize("flags, backend", [
    (AVX2_ONLY, "onnx"),  # no VNNI: int8 was not measured there, fp32 ONNX (torch's vectors)
    (AVX2_ONLY + " avx512f avx512bw avx512_vnni avx512_bf16", "onnx-int8"),
    (AVX2_ONLY + " avx_vnni", "onnx-int8"),
])
def test_auto_takes_int8_only_on_a_cpu_with_vnni(monkeypatch, flags, backend):
    monkeypatch.delenv("SUMMARIZE_EMBED_BACKEND", raising=False)
    monkeypatch.setenv("SUMMARIZE_CPU_FLAGS", flags)
    chosen = MiniLMEmbedder()
    assert chosen.backend == backend
    assert chosen.name == MiniLMEmbedder(backend=backend).name
    assert MiniLMEmbedder(backend="onnx-int8").backend == "onnx-int8"  # forcing ignores the CPU
    # A folder of one's own: int8 was measured on the packaged model only.
    assert MiniLMEmbedder(str(MiniLMEmbedder()._resolve_path())).backend == "onnx"


def _fake_export(folder: Path, payload: bytes, checksum: str = "abc") -> None:
    import hashlib

    folder.mkdir(parents=True)
    (folder / MODEL_FILE).write_bytes(payload)
    marker = {"format": onnx_embed.EXPORT_FORMAT, "source_sha256": checksum, "size": len(payload),
              "sha256": hashlib.sha256(payload).hexdigest()}
    (folder / MARKER_NAME).write_text(json.dumps(marker))


def test_only_a_complete_export_of_the_same_source_counts(tmp_path):
    good = tmp_path / "good"
    _fake_export(good, b"weights" * 100)
    assert is_exported(good, "abc")
    assert not is_exported(good, "another source")
    truncated = tmp_path / "truncated"
    _fake_export(truncated, b"weights" * 100)
    (truncated / MODEL_FILE).write_bytes(b"weights" * 50)
    assert not is_exported(truncated, "abc")
    flipped = tmp_path / "flipped"
    _fake_export(flipped, b"weights" * 100)
    (flipped / MODEL_FILE).write_bytes(b"Weights" + b"weights" * 99)  # same size
    assert not is_exported(flipped, "abc")
    unmarked = tmp_path / "unmarked"
    _fake_export(unmarked, b"weights")
    (unmarked / MARKER_NAME).unlink()
    assert not is_exported(unmarked, "abc")


# --- the real export ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    folder = tmp_path_factory.mktemp("summarize-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SUMMARIZE_CACHE_DIR", str(folder))
        yield folder


@pytest.fixture(scope="module")
def model_path() -> Path:
    return Path(MiniLMEmbedder()._resolve_path())


@pytest.fixture(scope="module")
def sentences() -> list[str]:
    from summarize.nlp.segment import split

    out = []
    for path in sorted(SEEDS.glob("00*.txt")):
        out += [s for s in split(path.read_text(encoding="utf-8")) if len(s.split()) >= 6][:12]
    return out + ["Short.", "x" * 3000]  # a one-word text and one cut at 160 tokens


@pytest.fixture(scope="module")
def torch_vectors(sentences):
    return MiniLMEmbedder(backend="torch").encode(sentences)


@pytest.mark.slow
@needs_onnx
def test_onnx_vectors_match_torch_vectors(cache, sentences, torch_vectors):
    onnx = MiniLMEmbedder(backend="onnx")
    vectors = onnx.encode(sentences)
    assert vectors.shape == torch_vectors.shape and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert (vectors * torch_vectors).sum(axis=1).min() > 0.999
    # One text at a time (no padding) gives the same vectors as a padded batch.
    assert np.allclose(onnx.encode(sentences[:1])[0], vectors[0], atol=1e-5)


def _long_pair(sentences) -> tuple[str, str, int]:
    """Two texts of over 200 word pieces sharing their first 170, and that prefix's length."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(Path(MiniLMEmbedder()._resolve_path()) / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    words = " ".join(sentences[:12]).split()
    head = next(i for i in range(len(words)) if len(tokenizer.encode(" ".join(words[:i])).ids) >= 170)
    one = " ".join(words[:head] + words[head:head + 60])
    other = " ".join(words[:head] + ["Meanwhile", "the", "markets", "fell", "sharply"] * 12)
    return one, other, len(tokenizer.encode(" ".join(words[:head])).ids)


@pytest.mark.slow
@needs_onnx
@pytest.mark.parametrize("backend", ["onnx-int8", "onnx", "torch"])
def test_the_cut_is_honoured_and_short_texts_keep_their_vectors(cache, sentences, backend):
    one, other, prefix = _long_pair(sentences)
    assert prefix >= 170  # both texts are the same up to past the cut of 160
    cut, full = MiniLMEmbedder(backend=backend, max_tokens=embed.SPEED_CUT), MiniLMEmbedder(backend=backend)
    a, b = cut.encode([one, other])
    assert np.allclose(a, b, atol=1e-6)  # nothing after word piece 160 is read
    fa, fb = full.encode([one, other])
    assert float(fa @ fb) < 0.99  # at full length the endings count
    assert float(a @ fa) < 0.999  # so the cut changed this long text's vector (hence the name)
    # Texts under the cut (the seeds' sentences: evidence sentences) get the same vectors,
    # bit for bit with int8 (one text per run, the same word pieces).
    short = [s for s in sentences if len(s) < 400]
    same = np.array_equal if backend == "onnx-int8" else lambda x, y: np.allclose(x, y, atol=1e-5)
    assert same(cut.encode(short), full.encode(short))


@pytest.mark.slow
@needs_onnx
def test_int8_vectors_stay_close_to_torch_vectors(cache, sentences, torch_vectors):
    vectors = MiniLMEmbedder(backend="onnx-int8").encode(sentences)
    cosines = (vectors * torch_vectors).sum(axis=1)
    # The first int8 recipe gave a mean of 0.994 here; the lowest is the 3,000 "x" text.
    assert cosines.min() > 0.99 and cosines.mean() > 0.997, (cosines.min(), cosines.mean())


@pytest.mark.slow
@needs_onnx
def test_an_int8_vector_depends_on_its_text_alone(cache, sentences):
    int8 = MiniLMEmbedder(backend="onnx-int8", batch_size=8)
    together = int8.encode(sentences)
    assert np.array_equal(int8.encode(sentences[3:4])[0], together[3])
    assert np.array_equal(int8.encode(sentences[::-1])[::-1], together)


@pytest.mark.slow
@needs_onnx
def test_int8_outlier_channels_stay_fp32_and_beat_plain_int8(cache, model_path, sentences, torch_vectors,
                                                              tmp_path):
    import onnx
    import onnxruntime as ort
    from onnxruntime.quantization import QuantType, quantize_dynamic

    int8 = ensure_export(model_path, "int8")
    kinds = {n.name: n.op_type for n in onnx.load(int8).graph.node}
    kept = [name for name, kind in kinds.items() if name.endswith("/fp32")]
    assert kept and all(kinds[name] == "MatMul" for name in kept)  # not quantized
    assert "MatMulInteger" in kinds.values() or "DynamicQuantizeMatMul" in kinds.values()
    # The same products quantized without the outlier handling move the vectors more.
    plain = tmp_path / "plain.onnx"
    quantize_dynamic(ensure_export(model_path, "fp32"), plain, weight_type=QuantType.QInt8,
                     per_channel=True, op_types_to_quantize=["MatMul", "Attention"],
                     extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    encoder = onnx_embed.OnnxEncoder(model_path, "int8")
    ours = encoder.encode(sentences)
    encoder._sessions = [ort.InferenceSession(str(plain), providers=["CPUExecutionProvider"])] * len(encoder._sessions)
    theirs = encoder.encode(sentences)
    error = lambda v: float(1 - (v * torch_vectors).sum(axis=1).mean())  # noqa: E731
    assert error(ours) < 0.6 * error(theirs), (error(ours), error(theirs))


@pytest.mark.slow
@needs_onnx
def test_a_new_process_reuses_the_export_without_torch(cache, model_path):
    folder = ensure_export(model_path).parent
    before = (folder / MARKER_NAME).stat()
    script = ("import sys, json; from summarize.nlp.embed import MiniLMEmbedder; "
              "v = MiniLMEmbedder(backend='onnx').encode(['The talks resumed on Monday.']); "
              "print(json.dumps({'torch': 'torch' in sys.modules, 'shape': list(v.shape)}))")
    env = {**os.environ, "SUMMARIZE_CACHE_DIR": str(cache), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=300, check=True)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report == {"torch": False, "shape": [1, 384]}  # the export imports torch
    after = (folder / MARKER_NAME).stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


@pytest.mark.slow
@needs_onnx
def test_a_damaged_or_partial_export_is_rebuilt_not_loaded(cache, model_path, sentences, torch_vectors):
    model = ensure_export(model_path)
    model.write_bytes(model.read_bytes()[: model.stat().st_size // 2])  # cut short
    vectors = MiniLMEmbedder(backend="onnx").encode(sentences[:3])
    assert (vectors * torch_vectors[:3]).sum(axis=1).min() > 0.999
    assert is_exported(model.parent, onnx_embed.source_checksum(model_path))
    (model.parent / MARKER_NAME).unlink()  # as if the export had stopped before its marker
    again = ensure_export(model_path)
    assert again == model and (model.parent / MARKER_NAME).is_file()
    leftovers = [p for p in model.parent.parent.iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_default_embedder_is_built_once():
    assert embed.default_embedder() is embed.default_embedder()


@pytest.mark.slow
@needs_onnx
def test_int8_lanes_side_by_side_give_the_one_lane_vectors(cache, model_path, sentences):
    one = onnx_embed.OnnxEncoder(model_path, "int8", threads=1)
    two = onnx_embed.OnnxEncoder(model_path, "int8", threads=2)
    assert len(two._sessions) == 2 and len(one._sessions) == 1
    assert np.array_equal(two.encode(sentences), one.encode(sentences))
    assert two.encode([]).shape == (0, one.dimension)
