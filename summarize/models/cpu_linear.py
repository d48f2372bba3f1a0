"""Linear layers with oneDNN-prepacked weights, for fast CPU decoding.

Measured on the project's 2-core AMD EPYC (AVX512-BF16) machine, for a 1536x8960 layer:
MKL's fp32 GEMM takes ~3 ms for one token but ~24 ms for 2-16 tokens, which makes
speculative verification (several tokens per pass) slower than plain decoding; a oneDNN
linear with the weight reordered once ("prepacked") stays near the one-token cost, and is
2.5x faster on long prompts. Storing the weight in bf16 halves the bytes read per token.
"""

from __future__ import annotations

import contextlib
import ctypes
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import nn


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
        packed = torch.ops.mkldnn._reorder_linear_weight(weight)
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


def available() -> bool:
    """True when this torch build has the oneDNN linear ops used here."""
    return torch.backends.mkldnn.is_available() and hasattr(
        torch.ops.mkldnn, "_reorder_linear_weight"
    )


def pack_model(model: nn.Module, dtype: torch.dtype, folder: str | Path | None = None) -> int:
    """Pack every ``nn.Linear`` of ``model`` in place; see :func:`pack_linears`.

    ``from_pretrained`` memory-maps safetensors files, and every weight page touched
    while packing would stay in the process's resident set next to its packed copy
    (11 GB for the 1.5B model). When ``folder`` holds the model's safetensors, each
    weight is read afresh with ``pread`` instead and the mapped copy is never touched,
    so the peak stays near the final size.

    Returns:
        The number of layers replaced.
    """
    with _FreshWeights(Path(folder) if folder else None) as fresh:
        count = pack_linears(model, dtype, fresh)
        _refresh_parameters(model, fresh)
    return count


def pack_linears(
    model: nn.Module,
    dtype: torch.dtype = torch.float32,
    fresh: Callable[[str, torch.Tensor], torch.Tensor | None] | None = None,
) -> int:
    """Replace every ``nn.Linear`` of ``model`` by a :class:`PackedLinear`, in place.

    The output head (``model.get_output_embeddings()``) is packed in fp32 whatever
    ``dtype`` is: it picks the token, and bf16 rounding there flips close greedy choices.

    Args:
        model: The model to change.
        dtype: Weight dtype of the packed layers other than the head.
        fresh: Optional source of a private copy of a parameter, by name.

    Returns:
        The number of layers replaced.
    """
    head = _output_head(model)
    # Collect names, not modules: holding the old layers would keep every fp32 weight
    # alive until the end and double the peak memory.
    names = [name for name, module in model.named_modules() if type(module) is nn.Linear]
    for index, name in enumerate(names):
        parent_name, _, child_name = name.rpartition(".")
        parent = model.get_submodule(parent_name)
        child = getattr(parent, child_name)
        weight = fresh(f"{name}.weight", child.weight) if fresh else None
        bias = child.bias
        if bias is not None and fresh is not None:
            fresh_bias = fresh(f"{name}.bias", bias)
            bias = bias if fresh_bias is None else fresh_bias
        layer_dtype = torch.float32 if child is head else dtype
        packed = PackedLinear(child.weight if weight is None else weight, bias, layer_dtype)
        setattr(parent, child_name, packed)
        del child, weight, bias
        if index % 16 == 15:
            release_free_memory()
    release_free_memory()
    return len(names)


def _refresh_parameters(model: nn.Module, fresh: Callable[..., torch.Tensor | None]) -> None:
    # Give the remaining parameters (embeddings, norms) private memory too, keeping ties.
    replaced: dict[int, nn.Parameter] = {}
    for name, param in list(model.named_parameters(remove_duplicate=False)):
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
        return tensor.to(like.dtype)


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
