"""MiniLM sentence embeddings on ONNX Runtime: export once, cache, run without torch.

The sentence-transformers model (a BERT encoder, then mean pooling over the real tokens,
then L2 normalisation; Reimers & Gurevych, 2019) is split in two:

* the encoder is exported once with ``torch.onnx.export`` and fused by ONNX Runtime's
  transformer optimizer (attention, layer norms, GELU become single kernels);
  ``int8`` additionally runs the matrix products in int8 (ONNX Runtime dynamic
  quantization: weights per output channel, activations on the fly, one text per run),
  with the few outlier input channels kept in fp32 and the attention input smoothed (see
  :data:`CALIBRATION`);
* tokenisation (the model's own ``tokenizer.json`` through ``tokenizers``, truncated at the
  model's ``max_seq_length`` or the embedder's shorter cut), mean pooling and normalisation run here in numpy, the same
  arithmetic as sentence-transformers.

The export lives under the model cache (``$SUMMARIZE_CACHE_DIR``, else
``$XDG_CACHE_HOME/summarize``, else ``~/.cache/summarize``; the convention of
:func:`summarize.models.packaged.cache_dir`) in ``onnx/<model>-<precision>-<source sha>``,
next to a marker that records the sha256 of the source files and of the exported file. A
folder is built under a temporary name and renamed into place, one process at a time (a
file lock), and is checked against its marker before every load: a partial, damaged or
outdated export is rebuilt, never loaded. Exporting needs torch, transformers and
``onnx``; running needs only ``onnxruntime``, ``tokenizers`` and numpy.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import logging
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from summarize.errors import ModelError, ResourceMissingError
from summarize.files import cache_root, exclusive
from summarize.machine import stated_cpu_flags

# Bump when the export recipe changes, so older exports are rebuilt.
EXPORT_FORMAT = 1
MARKER_NAME = "summarize-onnx.json"
MODEL_FILE = "model.onnx"
PRECISIONS = ("fp32", "int8")
# The cache folder of each precision's recipe: a new recipe gets a new folder, so processes
# running an older release keep (and never rebuild) theirs. "int8" (no outlier handling)
# was the first int8 recipe.
RECIPES = {"fp32": "fp32", "int8": "int8v2"}
INSTALL = "pip install 'onnxruntime==1.32.0' 'onnx==1.23.2'"
# The files whose bytes decide the exported graph and the tokenisation.
_SOURCE_FILES = ("config.json", "model.safetensors", "pytorch_model.bin", "tokenizer.json",
                 "sentence_bert_config.json", "modules.json", "1_Pooling/config.json")
_CHUNK = 16 * 1024 * 1024


def onnx_available(export: bool = False) -> bool:
    """True when ONNX Runtime can be imported (checked without importing anything); with
    ``export``, also what the one-time export needs (onnx, torch, transformers)."""
    needed = ("onnxruntime", "onnx", "torch", "transformers") if export else ("onnxruntime",)
    return all(importlib.util.find_spec(name) is not None for name in needed)


def cpu_flags() -> frozenset[str]:
    """The CPU's feature flags (:func:`summarize.machine.stated_cpu_flags`: the setting, else
    ``/proc/cpuinfo``); empty when neither states them, so ``auto`` stays on fp32."""
    stated = stated_cpu_flags()
    return stated[0] if stated is not None else frozenset()


def int8_fast() -> bool:
    """True on a CPU with VNNI (int8 dot products in one instruction), where the int8 export
    was measured faster than fp32 with stories unchanged. Without VNNI, int8 gains less and
    risks integer saturation (``quantize_dynamic``'s docstring says so), which would give
    other vectors than the ones measured; ``auto`` takes fp32 there."""
    return bool({"avx512_vnni", "avx_vnni"} & cpu_flags())


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def source_checksum(model_path: Path) -> str:
    """One sha256 over the model folder's weight, config and tokenizer files."""
    digest = hashlib.sha256()
    for name in _SOURCE_FILES:
        path = model_path / name
        if path.is_file():
            digest.update(name.encode() + b"\0" + _sha256(path).encode() + b"\0")
    return digest.hexdigest()


def check_mean_pooling(model_path: Path) -> int:
    """The model's ``max_seq_length``, after checking that it pools by mean and normalises.

    Raises:
        ModelError: The folder is not a sentence-transformers model this module reproduces
            (another pooling, no normalisation, no ``tokenizer.json``).
    """
    try:
        modules = json.loads((model_path / "modules.json").read_text())
        pooling = json.loads((model_path / "1_Pooling" / "config.json").read_text())
        max_len = json.loads((model_path / "sentence_bert_config.json").read_text())["max_seq_length"]
    except (OSError, ValueError, KeyError) as exc:
        raise ModelError(f"{model_path} is not a sentence-transformers folder the ONNX "
                         f"backend can reproduce ({exc}); use the torch backend") from exc
    kinds = [m.get("type", "").rsplit(".", 1)[-1] for m in modules]
    modes = [k for k, v in pooling.items() if k.startswith("pooling_mode") and v]
    if kinds != ["Transformer", "Pooling", "Normalize"] or modes != ["pooling_mode_mean_tokens"] \
            or not (model_path / "tokenizer.json").is_file():
        raise ModelError(f"{model_path} is not mean pooling + normalisation with a tokenizer.json "
                         f"(modules {kinds}, pooling {modes}); use the torch backend")
    return int(max_len)


def export_dir(model_path: Path, precision: str, checksum: str) -> Path:
    """Where the export of ``model_path`` at ``precision`` lives in the cache."""
    # The packaged model's folder is called "model"; its package name says more.
    label = model_path.parent.name if model_path.name == "model" else model_path.name
    return cache_root() / "onnx" / f"{label}-{RECIPES[precision]}-{checksum[:12]}"


def is_exported(folder: Path, checksum: str) -> bool:
    """True when ``folder`` holds a complete export of the source with ``checksum``: its
    marker names that source and the format, and the model file has the recorded size and
    sha256 (so a truncated or damaged file is never loaded)."""
    try:
        marker = json.loads((folder / MARKER_NAME).read_text())
        model = folder / MODEL_FILE
        return (marker.get("format") == EXPORT_FORMAT and marker.get("source_sha256") == checksum
                and model.stat().st_size == marker.get("size") and _sha256(model) == marker.get("sha256"))
    except (OSError, ValueError, AttributeError):
        return False


def ensure_export(model_path: Path, precision: str = "fp32") -> Path:
    """The verified ONNX file of ``model_path`` at ``precision``, exporting it the first time.

    Raises:
        ResourceMissingError: ``onnx`` (or torch / transformers) is missing for the export.
        ModelError: The export failed.
    """
    if precision not in PRECISIONS:
        raise ModelError(f"Unknown ONNX precision {precision!r}; choose one of {PRECISIONS}")
    checksum = source_checksum(model_path)
    final = export_dir(model_path, precision, checksum)
    if is_exported(final, checksum):
        return final / MODEL_FILE
    with exclusive(cache_root() / "locks" / f"onnx-{final.name}.lock"):
        if is_exported(final, checksum):  # another process finished meanwhile
            return final / MODEL_FILE
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
        try:
            _export(model_path, tmp, precision)
            model = tmp / MODEL_FILE
            marker = {"format": EXPORT_FORMAT, "source": str(model_path), "source_sha256": checksum,
                      "precision": precision, "recipe": RECIPES[precision],
                      "size": model.stat().st_size, "sha256": _sha256(model),
                      "versions": _versions()}
            # The marker goes last: a folder without it is never taken for a finished export.
            (tmp / MARKER_NAME).write_text(json.dumps(marker, indent=2) + "\n")
            if final.exists():  # a stale, partial or damaged earlier export
                shutil.rmtree(final)
            os.rename(tmp, final)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return final / MODEL_FILE


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("torch", "transformers", "onnx", "onnxruntime"):
        with contextlib.suppress(PackageNotFoundError):
            out[name] = version(name)
    return out


def _export(model_path: Path, out: Path, precision: str) -> None:
    missing = [m for m in ("onnx", "onnxruntime", "torch", "transformers")
               if importlib.util.find_spec(m) is None]
    if missing:
        raise ResourceMissingError(
            f"Exporting the embedder to ONNX needs {', '.join(missing)}: {INSTALL} "
            "(or force the torch backend: SUMMARIZE_EMBED_BACKEND=torch)"
        )
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the weights are local
    import torch
    from onnxruntime.transformers import optimizer
    from transformers import AutoConfig, AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()

    try:
        config = AutoConfig.from_pretrained(model_path)
        # Eager attention exports the plain BERT pattern that the optimizer fuses.
        encoder = AutoModel.from_pretrained(model_path, attn_implementation="eager").eval()
    except (OSError, ValueError) as exc:
        raise ModelError(f"Could not load {model_path} for the ONNX export: {exc}") from exc

    class Encoder(torch.nn.Module):
        def __init__(self, inner) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    names = ["input_ids", "attention_mask", "token_type_ids"]
    example = torch.ones((2, 16), dtype=torch.long)
    raw = out / "raw.onnx"
    try:
        import warnings

        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")  # tracer notes about constants that are constant here
            torch.onnx.export(
                Encoder(encoder), (example, example, torch.zeros_like(example)), str(raw),
                input_names=names, output_names=["last_hidden_state"], opset_version=17,
                dynamic_axes={n: {0: "batch", 1: "tokens"} for n in [*names, "last_hidden_state"]},
                dynamo=False,
            )
        fused = optimizer.optimize_model(str(raw), model_type="bert", opt_level=1,
                                         num_heads=config.num_attention_heads,
                                         hidden_size=config.hidden_size)
        fused.save_model_to_file(str(out / "fused.onnx"))
        if precision == "int8":
            _quantize(encoder, model_path, out / "fused.onnx", out / MODEL_FILE)
        else:
            os.replace(out / "fused.onnx", out / MODEL_FILE)
    except (RuntimeError, ValueError, OSError, KeyError) as exc:
        raise ModelError(f"Exporting {model_path} to ONNX failed: {exc}") from exc
    finally:
        raw.unlink(missing_ok=True)
        (out / "fused.onnx").unlink(missing_ok=True)


# int8 recipe (docs/embedding.md has the measurements behind each choice). Per-tensor
# dynamic int8 of the activations loses most where one input channel of a matrix product
# is far larger than the rest: MiniLM has such channels (hidden unit 99 after every layer
# norm; one or two units after GELU in layers 0-3, up to 5x the other channels), and they
# stretch the int8 step for every other channel. So, before quantizing:
# * the feed-forward products send those channels through a small fp32 product and the rest
#   through int8 (Dettmers et al., 2022, LLM.int8());
# * the attention input is divided per channel by s = sqrt(peak activation / peak weight)
#   and the QKV weight rows multiplied by s, an exact change in fp32 that evens out the
#   ranges (Xiao et al., 2023, SmoothQuant, alpha 0.5).
# The peaks come from the encoder run on CALIBRATION below (fixed text, so the export
# is reproducible and needs no data set). Outlier channels found on it are the ones found
# on 60 AllSides leads of April-May 2021.
OUTLIER_RATIO = 2.5  # a channel is an outlier above 2.5x the 99th percentile of channel peaks
MAX_OUTLIERS = 4  # per matrix product
CALIBRATION = (
    "The finance ministers of the seven largest economies agreed on Saturday to back a global "
    "minimum tax of at least 15 percent on multinational companies, officials said.",
    "Rescue teams searched through the night for survivors after a residential building "
    "partially collapsed near Miami, and the county mayor said 99 people were unaccounted for.",
    "The Senate voted 68 to 32 to advance the bipartisan infrastructure bill, which would "
    "spend $550 billion on roads, bridges, rail, broadband and water systems.",
    "Health officials reported that more than half of adults in the United States had received "
    "at least one dose of a coronavirus vaccine, as new cases continued to fall.",
    "Police in Minneapolis said the officer had been placed on leave while the state bureau of "
    "criminal apprehension investigates the shooting during a traffic stop on Sunday.",
    "Israel and Hamas agreed to a ceasefire after eleven days of fighting in which more than "
    "240 people were killed, most of them in Gaza, according to health officials.",
    "The company said its quarterly revenue rose 23% to $12.4 billion, beating analysts' "
    "forecasts, while shares fell in after-hours trading on concerns about supply chains.",
    "A federal judge blocked the state's new voting law from taking effect, ruling that the "
    "plaintiffs were likely to succeed in showing it placed an undue burden on voters.",
    "Wildfires forced thousands of residents to evacuate in northern California as crews "
    "battled flames fanned by strong winds and record temperatures across the West.",
    "In an interview, the former president repeated his claims about the election, which "
    "courts and election officials in several states have rejected.",
    "Pipeline operator Colonial said it had restarted operations after a ransomware attack "
    "that led to fuel shortages and long lines at gas stations along the East Coast.",
    "The Olympic Games opened in Tokyo on Friday without spectators, a year later than "
    "planned, after organizers barred fans because of rising infections in the city.",
)


def _activation_peaks(encoder, model_path: Path) -> dict[tuple[str, int], np.ndarray]:
    """Per-channel peak |input| of each layer's attention and feed-forward products on
    :data:`CALIBRATION`, one text per pass (no padding)."""
    import torch
    from tokenizers import Tokenizer

    try:
        layers = list(encoder.encoder.layer)
        modules = {("attention", i): layer.attention.self.query for i, layer in enumerate(layers)}
        modules.update({("ffn_in", i): layer.intermediate.dense for i, layer in enumerate(layers)})
        modules.update({("ffn_out", i): layer.output.dense for i, layer in enumerate(layers)})
    except AttributeError as exc:
        raise ModelError(f"The int8 recipe knows BERT encoders only ({exc}); use the onnx "
                         "backend (fp32) for this model") from exc
    peaks: dict[tuple[str, int], np.ndarray] = {}

    def watch(key):
        def hook(_module, inputs):
            seen = inputs[0].detach().abs().reshape(-1, inputs[0].shape[-1]).amax(0).numpy()
            peaks[key] = np.maximum(peaks[key], seen) if key in peaks else seen
        return hook

    tokenizer = Tokenizer.from_file(str(model_path / "tokenizer.json"))
    handles = [module.register_forward_pre_hook(watch(key)) for key, module in modules.items()]
    try:
        with torch.no_grad():
            for text in CALIBRATION:
                ids = torch.tensor([tokenizer.encode(text).ids])
                encoder(input_ids=ids, attention_mask=torch.ones_like(ids),
                        token_type_ids=torch.zeros_like(ids))
    finally:
        for handle in handles:
            handle.remove()
    return peaks


_FFN = re.compile(r"/encoder/layer\.(\d+)/(intermediate|output)/dense/MatMul$")


def _quantize(encoder, model_path: Path, fused: Path, target: Path) -> None:
    """Dynamic int8 (weights per output channel) of ``fused``, outlier channels kept in
    fp32 and the attention input smoothed (see the note above :data:`CALIBRATION`)."""
    import onnx
    from onnx import helper, numpy_helper
    from onnxruntime.quantization import QuantType, quantize_dynamic

    peaks = _activation_peaks(encoder, model_path)
    layers = len(encoder.encoder.layer)
    model = onnx.load(fused)
    graph = model.graph
    weights = {w.name: w for w in graph.initializer}
    nodes, fp32_products, attention, ffn = [], [], 0, 0

    def constant(name: str, value: np.ndarray) -> str:
        graph.initializer.append(numpy_helper.from_array(value, name))
        return name

    for node in graph.node:
        found = _FFN.search(node.name) if node.op_type == "MatMul" else None
        if node.op_type == "Attention":
            peak = peaks["attention", attention]
            attention += 1
            w = numpy_helper.to_array(weights[node.input[1]])
            scale = np.clip(np.sqrt(peak / np.maximum(np.abs(w).max(axis=1), 1e-6)), 1e-2, 1e2)
            weights[node.input[1]].CopyFrom(
                numpy_helper.from_array((w * scale[:, None]).astype(np.float32), node.input[1]))
            inverse = constant(f"{node.name}/smooth", (1 / scale).astype(np.float32))
            nodes.append(helper.make_node("Mul", [node.input[0], inverse], [f"{node.name}/x"],
                                          name=f"{node.name}/smooth"))
            node.input[0] = f"{node.name}/x"
            nodes.append(node)
        elif found:
            ffn += 1
            peak = peaks["ffn_in" if found[2] == "intermediate" else "ffn_out", int(found[1])]
            outliers = np.flatnonzero(peak > OUTLIER_RATIO * np.percentile(peak, 99))
            outliers = outliers[np.argsort(-peak[outliers])][:MAX_OUTLIERS]
            if len(outliers) == 0:
                nodes.append(node)
                continue
            p, x = node.name, node.input[0]
            w = numpy_helper.to_array(weights[node.input[1]])
            keep = np.ones(len(peak), np.float32)
            keep[outliers] = 0
            nodes += [
                helper.make_node("Gather", [x, constant(f"{p}/outliers", outliers.astype(np.int64))],
                                 [f"{p}/x_outliers"], axis=-1, name=f"{p}/gather"),
                helper.make_node("Mul", [x, constant(f"{p}/keep", keep)], [f"{p}/x_rest"], name=f"{p}/mask"),
                helper.make_node("MatMul", [f"{p}/x_outliers", constant(f"{p}/w_outliers", w[outliers])],
                                 [f"{p}/y_outliers"], name=f"{p}/fp32"),
                helper.make_node("MatMul", [f"{p}/x_rest", node.input[1]], [f"{p}/y_rest"], name=f"{p}/int8"),
                helper.make_node("Add", [f"{p}/y_rest", f"{p}/y_outliers"], list(node.output), name=f"{p}/add"),
            ]
            fp32_products.append(f"{p}/fp32")
        else:
            nodes.append(node)
    if attention != layers or ffn != 2 * layers:
        raise ModelError(f"The int8 recipe found {attention} attention and {ffn} feed-forward "
                         f"products for {layers} layers; use the onnx backend (fp32)")
    del graph.node[:]
    graph.node.extend(nodes)
    prepared = fused.with_name("prepared.onnx")
    onnx.save(model, prepared)
    quiet = logging.getLogger()  # the quantizer advises pre-processing on the root logger
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        # Per-channel weights: per-tensor int8 moved MiniLM vectors to a mean cosine of 0.96
        # with the fp32 ones. The word-embedding table stays fp32 (a lookup gains nothing).
        quantize_dynamic(prepared, target, weight_type=QuantType.QInt8, per_channel=True,
                         op_types_to_quantize=["MatMul", "Attention"], nodes_to_exclude=fp32_products,
                         extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    finally:
        quiet.setLevel(level)
        prepared.unlink(missing_ok=True)


def default_threads() -> int:
    """``$SUMMARIZE_EMBED_THREADS``, else the cores this process may run on (at most 8)."""
    explicit = os.environ.get("SUMMARIZE_EMBED_THREADS")
    if explicit:
        return max(1, int(explicit))
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(8, cores or 1))


class OnnxEncoder:
    """Tokenizer + ONNX Runtime session + mean pooling for one exported model.

    Args:
        model_path: The sentence-transformers folder (tokenizer and pooling come from it).
        precision: ``"fp32"`` or ``"int8"``.
        threads: Intra-op threads; defaults to :func:`default_threads`.
        max_tokens: Word pieces read per text (``[CLS]`` and ``[SEP]`` included), at most
            the model's ``max_seq_length``; ``None`` for the model's ``max_seq_length``.
    """

    def __init__(self, model_path: Path, precision: str = "fp32", threads: int | None = None,
                 max_tokens: int | None = None) -> None:
        self.max_length = check_mean_pooling(model_path)
        if max_tokens is not None:
            self.max_length = min(self.max_length, max_tokens)
        self.precision = precision
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise ResourceMissingError(f"The ONNX embedder needs onnxruntime: {INSTALL}") from exc
        self.path = ensure_export(model_path, precision)
        threads = threads or default_threads()
        # int8 runs one text at a time (see encode); one text is too small a task for two
        # cores, so int8 gets one single-threaded session per core, run side by side
        # (ONNX Runtime releases the GIL): 13.5 against 15.4 ms per lead with one 2-thread
        # session (94 leads, AMD EPYC with VNNI, load ~1.4). fp32 batches keep one session.
        lanes = threads if precision == "int8" else 1
        try:
            self._sessions = [self._session_for(ort, threads // lanes) for _ in range(lanes)]
            self._tokenizer = Tokenizer.from_file(str(model_path / "tokenizer.json"))
        except Exception as exc:  # onnxruntime raises its own exception types
            raise ModelError(f"ONNX Runtime could not load {self.path}: {exc}") from exc
        self._tokenizer.enable_truncation(self.max_length)
        self._tokenizer.no_padding()
        self._inputs = {i.name for i in self._sessions[0].get_inputs()}
        width = self._sessions[0].get_outputs()[0].shape[-1]
        self.dimension = width if isinstance(width, int) else 384  # MiniLM's, if left symbolic
        # One run per session at a time: a session already uses the cores given to it.
        self._locks = [threading.Lock() for _ in self._sessions]
        self._pool = None

    def _session_for(self, ort, threads: int):
        options = ort.SessionOptions()
        options.intra_op_num_threads = max(1, threads)
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Idle threads sleep instead of spinning: in a trial on a busy shared 2-core machine
        # (int8, 2 threads) spinning took 180 ms per lead and sleeping 139 ms.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        return ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])

    def encode(self, texts: Sequence[str], batch_size: int = 8) -> np.ndarray:
        """L2-normalised mean-pooled vectors, one row per text, float32.

        int8 runs one text at a time whatever ``batch_size``: its activations are quantized
        with one scale per run, so in a batch a text's vector would depend on its batch mates
        and padding (cosine down to 0.997 between the two on real leads), and a cache keyed
        by text would mix them. One at a time was also faster (docs/embedding.md).
        """
        if self.precision == "int8":
            batch_size = 1
        encodings = self._tokenizer.encode_batch(list(texts))
        # Longest first, like sentence-transformers, so a batch pads little.
        order = np.argsort([-len(e.ids) for e in encodings], kind="stable")
        batches = [order[start:start + batch_size] for start in range(0, len(order), batch_size)]
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        lanes = len(self._sessions)
        if lanes == 1 or len(batches) == 1:
            self._run(0, batches, encodings, out)
            return out
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(lanes, thread_name_prefix="onnx-embed")
        # Lane i takes batches i, i + lanes, ...: the lengths fall evenly, so the lanes end together.
        done = [self._pool.submit(self._run, lane, batches[lane::lanes], encodings, out) for lane in range(lanes)]
        for future in done:
            future.result()
        return out

    def _run(self, lane: int, batches, encodings, out: np.ndarray) -> None:
        """Encode ``batches`` (rows of ``encodings``) on session ``lane`` into ``out``."""
        session, lock = self._sessions[lane], self._locks[lane]
        for rows in batches:
            width = max(len(encodings[i].ids) for i in rows)
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for r, i in enumerate(rows):
                n = len(encodings[i].ids)
                ids[r, :n] = encodings[i].ids
                mask[r, :n] = 1
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            with lock:
                hidden = session.run(None, {k: v for k, v in feed.items() if k in self._inputs})[0]
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
            pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
            out[rows] = pooled
