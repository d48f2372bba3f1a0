"""Linear layers with oneDNN-prepacked weights, for fast CPU decoding, and the CPU flags
that decide which of them can run.

Measured on the project's 2-core AMD EPYC (AVX512-BF16) machine, for a 1536x8960 layer:
MKL's fp32 GEMM takes ~3 ms for one token but ~24 ms for 2-16 tokens, which makes
speculative verification (several tokens per pass) slower than plain decoding; a oneDNN
linear with the weight reordered once ("prepacked") stays near the one-token cost, and is
2.5x faster on long prompts. Storing the weight in bf16 halves the bytes read per token.

What each path needs (flag names as in ``/proc/cpuinfo``):

* fp32 oneDNN linears: only a torch build with oneDNN (every x86-64 CPU; the portable path).
* bf16 oneDNN linears: torch refuses to reorder a bf16 weight unless the CPU has
  ``avx512bw`` or ``avx_ne_convert`` ("bf16 path needs the cpu support avx_ne_convert or
  avx512bw"); an AVX2-only CPU has neither. They are only *fast* with native bf16 dot
  products (``avx512_bf16`` or ``amx_bf16``); without those oneDNN emulates them.

:func:`cpu_flags` reads the flags from ``$SUMMARIZE_CPU_FLAGS`` (space or comma separated;
for tests that simulate another CPU) or else ``/proc/cpuinfo``, and falls back to torch's
own probes where that file does not exist. :func:`backend_problem` says why a backend
cannot run here, naming the missing flag.
"""

from __future__ import annotations

import contextlib
import ctypes
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import nn

from summarize.errors import ModelError
from summarize.machine import stated_cpu_flags

# torch reorders a bf16 weight for oneDNN only with one of these (else RuntimeError).
BF16_RUNS = ("avx512bw", "avx_ne_convert")
# Native bf16 dot products: bf16 weights are then faster than fp32, so "auto" picks them.
BF16_NATIVE = ("avx512_bf16", "amx_bf16")
# fbgemm's fp16 GEMM: AVX2 kernels converting fp16 weights with F16C.
HALF_RUNS = ("avx2", "f16c")
# The MLP's input projections (gate and up, the larger half of a decoder's products), the
# only linears "int8-mixed" runs in int8. Their input is a norm's output; the down projection
# reads gate*up (the massive activations) and the attention's q/k/v/o and the head decide
# close tokens: those keep fp16 weights. Measured on the 1.5B model's claim prompts,
# teacher-forced top-1 agreement with fp32: 99.8% with int8 gate/up, 98.8% when q/k/v/o
# were int8 too (docs/models.md). Names as in Llama/Qwen/Mistral (gate_proj, up_proj),
# OPT/Phi (fc1), GPT-NeoX/Falcon (dense_h_to_4h) and T5 (wi, wi_0, wi_1).
INT8_MLP_INPUTS = ("gate_proj", "up_proj", "fc1", "dense_h_to_4h", "wi", "wi_0", "wi_1")


class PackedLinear(nn.Module):
    """A linear layer whose weight is prepacked for oneDNN, optionally stored in bf16.

    Inputs and outputs stay fp32; in bf16 mode the input is rounded to bf16 for the
    matrix product only, and the bias is added in fp32.
    """

    def __init__(
        self, weight: torch.Tensor, bias: torch.Tensor | None, dtype: torch.dtype = torch.float32
    ) -> None:
        super().__init__()
        self.out_features, self.in_features = weight.shape
        self.dtype = dtype
        weight = weight.detach().to(dtype).contiguous()
        try:
            packed = torch.ops.mkldnn._reorder_linear_weight(weight)
        except RuntimeError as exc:
            raise ModelError(
                f"This CPU cannot run oneDNN linears with {dtype} weights ({exc}); "
                "set SUMMARIZE_BACKEND=onednn-fp32 or auto"
            ) from exc
        self.register_buffer("packed_weight", packed, persistent=False)
        bias = bias.detach().float().clone() if bias is not None else None
        self.register_buffer("bias", bias, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = x.shape
        flat = x.reshape(-1, self.in_features).to(self.dtype)
        out = torch.ops.mkldnn._linear_pointwise(flat, self.packed_weight, None, "none", [], "")
        out = out.to(torch.float32)
        if self.bias is not None:
            out = out + self.bias
        return out.reshape(*shape[:-1], self.out_features)

    def extra_repr(self) -> str:
        return f"in={self.in_features}, out={self.out_features}, dtype={self.dtype}"


_PINS = torch.tensor([[1.0, -1.0]])
WEIGHT_LEVELS = 63  # 7-bit weights: see Int8Linear


class Int8Linear(nn.Module):
    """A linear layer with int8 weights (one scale per output channel), run by fbgemm's
    dynamic int8 kernel: the input is quantized on the fly, the product is accumulated in
    int32 and scaled back to fp32.

    fbgemm quantizes a whole input tensor with one scale and zero point, from its minimum and
    maximum. Each row (token) is divided by its own largest magnitude first and the output
    row multiplied back, so every token gets its own scale: one token's outlier no longer
    flattens the others. Two extra input columns, +1 and -1 (against zero weights), pin every
    tensor's range to [-1, 1], so the grid, and a row's output, never depends on the other
    rows: a prompt run in one piece or after a cached prefix gives the same numbers. With
    one scale per tensor the tiny model's next-token logits fell to a cosine of -0.54
    against fp32; per row, 0.90.
    AVX2 CPUs without VNNI multiply unsigned 8-bit activations by signed 8-bit weights and
    add pairs into saturating 16-bit sums; weights use 7 bits (-63..63) so that a pair never
    exceeds 2 x 255 x 63 = 32,130 < 32,767, and activations keep all 8 bits (the finer grid
    matters more: on the 1.5B model's claim prompts, teacher-forced top-1 agreement with fp32
    was 98.8% this way against 98.2% with 7-bit activations and 8-bit weights). Inputs and
    outputs stay fp32; the bias is added in fp32.

    Backend ``int8`` (opt-in) uses it for every decoder linear, which bends the logits too
    far; ``int8-mixed`` only for the MLP's input projections (:data:`INT8_MLP_INPUTS`),
    with fp16 weights everywhere else (``docs/models.md``).
    """

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None) -> None:
        super().__init__()
        self.out_features, self.in_features = weight.shape
        weight = weight.detach().float()
        scales = (weight.abs().amax(dim=1).clamp_min(1e-8) / WEIGHT_LEVELS).double()
        zeros = torch.zeros(self.out_features, dtype=torch.long)
        weight = torch.cat([weight, weight.new_zeros(self.out_features, 2)], dim=1)  # the pins
        with warnings.catch_warnings():  # torch 2.13 marks quantized tensors deprecated
            warnings.simplefilter("ignore", UserWarning)
            quantized = torch.quantize_per_channel(weight, scales, zeros, 0, torch.qint8)
        bias = bias.detach().float().clone() if bias is not None else None
        self.register_buffer("bias", bias, persistent=False)
        try:
            self._packed = torch.ops.quantized.linear_prepack(quantized, None)
        except RuntimeError as exc:
            raise ModelError(f"This torch build cannot pack int8 linears ({exc}); "
                             "set SUMMARIZE_BACKEND=onednn-fp32 or auto") from exc

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = x.shape
        flat = x.reshape(-1, self.in_features).float()
        peak = flat.abs().amax(dim=1, keepdim=True).clamp_min(1e-12)
        pinned = torch.cat([flat / peak, _PINS.expand(flat.shape[0], 2)], dim=1)
        out = torch.ops.quantized.linear_dynamic(pinned, self._packed, False) * peak
        if self.bias is not None:
            out = out + self.bias
        return out.reshape(*shape[:-1], self.out_features)

    def extra_repr(self) -> str:
        return f"in={self.in_features}, out={self.out_features}, dtype=int8 (7-bit per channel, 8-bit per-row inputs)"


class HalfLinear(nn.Module):
    """A linear layer with fp16 weights run by fbgemm's fp16 GEMM: the weight is packed
    once, each product converts it to fp32 on the fly and multiplies fp32 activations.

    Nothing is done to the activations (no quantization, no rounding), and an fp16 weight
    keeps 11 significant bits, far finer than the 4-6-bit GGUF weights the packaged models
    come from: a layer's output moves by ~2e-4 (relative) against fp32. Decoding reads
    half the bytes of fp32 per token. Measured per call for a 1536x8960 layer, one
    thread, on the simulated AVX2 path (AMD EPYC, load ~7): 1.5 / 3.6 / 88 ms for 1 / 11 /
    260 input rows against 5.8 / 7.5 / 85 ms for a oneDNN fp32 linear. fbgemm picks its
    kernels from the CPU itself (AVX2 + F16C at least), not from ``ATEN_CPU_CAPABILITY``.
    """

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None) -> None:
        super().__init__()
        self.out_features, self.in_features = weight.shape
        # torch 2.13 marks both fbgemm fp16 ops deprecated (torch is pinned; the warning
        # would otherwise reach the user once per call site).
        warnings.filterwarnings("ignore", message=r"fbgemm_\w+ is deprecated", category=UserWarning)
        try:
            self._packed = torch.fbgemm_pack_gemm_matrix_fp16(weight.detach().float().contiguous())
        except RuntimeError as exc:
            raise ModelError(f"This CPU or torch build cannot run fbgemm's fp16 linears ({exc}); "
                             "set SUMMARIZE_BACKEND=onednn-fp32 or auto") from exc
        bias = bias.detach().float().clone() if bias is not None else None
        self.register_buffer("bias", bias, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = x.shape
        flat = x.reshape(-1, self.in_features).float().contiguous()
        out = torch.fbgemm_linear_fp16_weight_fp32_activation(flat, self._packed, self.bias)
        return out.reshape(*shape[:-1], self.out_features)

    def extra_repr(self) -> str:
        return f"in={self.in_features}, out={self.out_features}, dtype=float16 (fbgemm)"


def half_available() -> bool:
    """True when this torch build has fbgemm's fp16-weight linear (x86 builds do)."""
    return hasattr(torch, "fbgemm_pack_gemm_matrix_fp16") and int8_available()


def int8_available() -> bool:
    """True when this torch build has fbgemm's dynamic int8 linear (x86 builds do)."""
    engines = getattr(torch.backends.quantized, "supported_engines", [])
    return bool({"fbgemm", "x86"} & set(engines)) and hasattr(torch.ops.quantized, "linear_dynamic")


def available() -> bool:
    """True when this torch build has the oneDNN linear ops used here."""
    return torch.backends.mkldnn.is_available() and hasattr(
        torch.ops.mkldnn, "_reorder_linear_weight"
    )


def cpu_flags() -> frozenset[str]:
    """The CPU's feature flags, lower case, as ``/proc/cpuinfo`` names them.

    ``$SUMMARIZE_CPU_FLAGS`` (space or comma separated) replaces them when set, so tests
    and CI can simulate another CPU. Without ``/proc/cpuinfo`` (not Linux) the flags are
    rebuilt from torch's probes.
    """
    return _cpu_flags_and_origin()[0]


def cpu_flags_origin() -> str:
    """Where :func:`cpu_flags` read the flags: the setting, ``/proc/cpuinfo`` or torch."""
    return _cpu_flags_and_origin()[1]


def _cpu_flags_and_origin() -> tuple[frozenset[str], str]:
    stated = stated_cpu_flags()
    if stated is not None:
        return stated
    probes = {
        "avx2": "_is_avx2_supported", "avx512bw": "_is_avx512_supported",
        "avx512_bf16": "_is_avx512_bf16_supported", "amx_tile": "_is_amx_tile_supported",
    }
    flags = {flag for flag, probe in probes.items() if getattr(torch.cpu, probe, lambda: False)()}
    if "avx512bw" in flags:
        flags |= {"avx512f", "avx512vl"}
    if "amx_tile" in flags:
        flags.add("amx_bf16")
    return frozenset(flags), "torch"


def backend_problem(backend: str, flags: frozenset[str] | None = None) -> str | None:
    """Why ``backend`` cannot run on a CPU with ``flags`` (default: this one), or None.

    ``"reference"`` runs everywhere; ``"onednn-fp32"`` needs a torch build with oneDNN;
    ``"onednn-bf16"`` also needs one of :data:`BF16_RUNS`; ``"fbgemm-fp16"`` needs fbgemm
    and a CPU with ``avx2`` and ``f16c`` (:data:`HALF_RUNS`); so does ``"int8-mixed"``.
    """
    if backend == "reference":
        return None
    if backend == "int8":
        if not int8_available():
            return "int8 needs a torch build with fbgemm's quantized engine; this one has none"
        return None if available() else "int8 needs a torch build with oneDNN"
    if backend == "int8-mixed":
        if not int8_available() or not half_available():
            return "int8-mixed needs a torch build with fbgemm (x86); this one has none"
        flags = cpu_flags() if flags is None else flags
        missing = [flag for flag in HALF_RUNS if flag not in flags]
        if missing:
            return (f"int8-mixed needs the CPU flags {' and '.join(HALF_RUNS)} (fbgemm's int8 and "
                    f"fp16 kernels); this CPU lacks {', '.join(missing)}")
        return None
    if backend == "fbgemm-fp16":
        if not half_available():
            return "fbgemm-fp16 needs a torch build with fbgemm (x86); this one has none"
        flags = cpu_flags() if flags is None else flags
        missing = [flag for flag in HALF_RUNS if flag not in flags]
        if missing:
            return f"fbgemm-fp16 needs the CPU flags {' and '.join(HALF_RUNS)}; this CPU lacks {', '.join(missing)}"
        return None
    if not available():
        return f"{backend} needs a torch build with oneDNN (mkldnn); this one has none"
    if backend == "onednn-bf16":
        flags = cpu_flags() if flags is None else flags
        if not flags & set(BF16_RUNS):
            return (f"onednn-bf16 needs the CPU flag {' or '.join(BF16_RUNS)} "
                    "(torch's bf16 reorder refuses to run without it); this CPU has neither")
    return None


def prefers_bf16(flags: frozenset[str] | None = None) -> bool:
    """True when the CPU has native bf16 dot products (:data:`BF16_NATIVE`) and can run
    the bf16 path, so bf16 weights are the faster choice."""
    flags = cpu_flags() if flags is None else flags
    return bool(flags & set(BF16_NATIVE)) and backend_problem("onednn-bf16", flags) is None


def pack_model(model: nn.Module, dtype: torch.dtype, folder: str | Path | None = None,
               int8_for: tuple[str, ...] = ()) -> int:
    """Pack every ``nn.Linear`` of ``model`` in place; see :func:`pack_linears`.

    The token embedding is left as ``from_pretrained`` gave it: a view of the memory-mapped
    fp32 file, of which a brief touches only the rows of the tokens it reads (a few MB
    instead of the 0.87 GiB table of the 1.5B model; the pages belong to the file, so the
    kernel can drop them). The head it is tied to is packed from its own fresh copy, first,
    while little else is resident.

    ``from_pretrained`` memory-maps safetensors files, and every weight page touched
    while packing would stay in the process's resident set next to its packed copy
    (11 GB for the 1.5B model). When ``folder`` holds the model's safetensors, each
    weight is read afresh with ``pread`` instead and the mapped copy is never touched,
    so the peak stays near the final size. The model itself may then have been loaded in
    a smaller dtype (bf16): every weight packed or kept is read again from the files in
    fp32, so nothing of that dtype survives.

    Returns:
        The number of layers replaced.
    """
    with _FreshWeights(Path(folder) if folder else None) as fresh:
        count = pack_linears(model, dtype, fresh, int8_for)
        embedding = _input_embedding(model)
        _refresh_parameters(model, fresh, skip=embedding.weight if embedding is not None else None)
    return count


def pack_linears(
    model: nn.Module,
    dtype: torch.dtype = torch.float32,
    fresh: Callable[[str, torch.Tensor], torch.Tensor | None] | None = None,
    int8_for: tuple[str, ...] = (),
) -> int:
    """Replace every ``nn.Linear`` of ``model`` by a packed layer, in place.

    The output head (``model.get_output_embeddings()``) picks the token, and bf16 rounding
    of its inputs flips close greedy choices: it is packed in fp32 when ``dtype`` is fp32,
    else with fp16 weights and fp32 inputs (:class:`HalfLinear`, where fbgemm exists;
    fp32 otherwise).

    Args:
        model: The model to change.
        dtype: Weight dtype of the packed layers other than the head: ``torch.float32``
            or ``torch.bfloat16`` (:class:`PackedLinear`), ``torch.float16``
            (:class:`HalfLinear`) or ``torch.qint8`` (:class:`Int8Linear`).
        fresh: Optional source of a private copy of a parameter, by name.
        int8_for: Layer names (the last part, e.g. ``"gate_proj"``) packed as
            :class:`Int8Linear` whatever ``dtype`` says (never the head).

    Returns:
        The number of layers replaced.
    """
    head = _output_head(model)
    tied = _names_of(model, head.weight) if isinstance(head, nn.Linear) else []
    # Collect names, not modules: holding the old layers would keep every fp32 weight
    # alive until the end and double the peak memory.
    names = [name for name, module in model.named_modules() if type(module) is nn.Linear]
    # The head first: its fp32 copy (0.87 GiB for the 1.5B model) is then read while the
    # packed decoder is not yet resident, which keeps the peak near the final size.
    names.sort(key=lambda name: model.get_submodule(name) is not head)
    for index, name in enumerate(names):
        parent_name, _, child_name = name.rpartition(".")
        parent = model.get_submodule(parent_name)
        child = getattr(parent, child_name)
        weight = None
        if fresh is not None:  # a tied head is stored under the embedding's name
            for key in [f"{name}.weight", *(tied if child is head else [])]:
                if (weight := fresh(key, child.weight)) is not None:
                    break
        bias = child.bias
        if bias is not None and fresh is not None:
            fresh_bias = fresh(f"{name}.bias", bias)
            bias = bias if fresh_bias is None else fresh_bias
        source = child.weight if weight is None else weight
        if child is head:
            half_head = dtype != torch.float32 and half_available()
            packed = HalfLinear(source, bias) if half_head else PackedLinear(source, bias)
        elif dtype == torch.qint8 or child_name in int8_for:
            packed = Int8Linear(source, bias)
        elif dtype == torch.float16:
            packed = HalfLinear(source, bias)
        else:
            packed = PackedLinear(source, bias, dtype)
        setattr(parent, child_name, packed)
        del child, weight, bias, source
        if index % 16 == 15:
            release_free_memory()
    release_free_memory()
    return len(names)


def _names_of(model: nn.Module, param: torch.Tensor) -> list[str]:
    return [name for name, p in model.named_parameters(remove_duplicate=False)
            if p.data_ptr() == param.data_ptr()]


def _input_embedding(model: nn.Module) -> Any:
    getter = getattr(model, "get_input_embeddings", None)
    embedding = getter() if callable(getter) else None
    return embedding if isinstance(embedding, nn.Embedding) else None


def _refresh_parameters(model: nn.Module, fresh: Callable[..., torch.Tensor | None],
                        skip: torch.Tensor | None = None) -> None:
    # Give the remaining parameters (norms, biases) private memory too, keeping ties.
    replaced: dict[int, nn.Parameter] = {}
    for name, param in list(model.named_parameters(remove_duplicate=False)):
        if skip is not None and param.data_ptr() == skip.data_ptr():
            continue  # the embedding: rows are read on demand from the mapped file
        module_name, _, leaf = name.rpartition(".")
        module = model.get_submodule(module_name)
        new = replaced.get(param.data_ptr())
        if new is None:
            tensor = fresh(name, param)
            if tensor is None:
                continue
            new = replaced[param.data_ptr()] = nn.Parameter(tensor, requires_grad=False)
        module._parameters[leaf] = new


class _FreshWeights:
    """Reads single tensors from a folder's safetensors files without memory-mapping."""

    def __init__(self, folder: Path | None) -> None:
        self._folder = folder
        self._stack = contextlib.ExitStack()
        self._where: dict[str, Any] = {}

    def __enter__(self) -> _FreshWeights:
        files = sorted(self._folder.glob("*.safetensors")) if self._folder else []
        try:
            from safetensors import safe_open

            for file in files:
                handle = self._stack.enter_context(
                    safe_open(str(file), framework="pt", device="cpu", backend="pread")
                )
                self._where.update(dict.fromkeys(handle.keys(), handle))
        except (ImportError, TypeError, OSError):  # old safetensors without pread
            self._where.clear()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def __call__(self, name: str, like: torch.Tensor) -> torch.Tensor | None:
        """A private copy of tensor ``name``, or None when the file has no match."""
        handle = self._where.get(name)
        if handle is None:
            return None
        tensor = handle.get_tensor(name)
        if tensor.shape != like.shape:
            return None
        # fp32 whatever dtype the model was loaded in: packing and the kept parameters
        # start from the files' precision, never from a rounded copy.
        return tensor.float() if tensor.is_floating_point() else tensor.to(like.dtype)


def release_free_memory() -> None:
    """Hand freed heap memory back to the OS (glibc only; a no-op elsewhere).

    The fp32 copies freed while packing leave ~2 GB in glibc's arenas otherwise.
    """
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _output_head(model: nn.Module) -> Any:
    getter = getattr(model, "get_output_embeddings", None)
    return getter() if callable(getter) else None
